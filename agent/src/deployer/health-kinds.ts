import type { KubeObject } from '../objects.js';
import {
  at,
  condition,
  conditions,
  conditionText,
  failed,
  int,
  intField,
  progress,
  ready,
  specOf,
  str,
  unknown,
  type HealthResult,
  type Status,
} from './health-status.js';

/**
 * The rules per kind, keyed `group/Kind` (`Kind` for the core group): every kind kstatus has a rule
 * for, in every group it covers. Where a rule departs from kstatus, docs/health.md gives the reason.
 */
export type KindRule = (o: KubeObject, s: Status, now: number) => HealthResult;

/** kstatus gives a Pod this long to be scheduled before an Unschedulable condition counts as failure. */
export const SCHEDULE_WINDOW_MS = 15_000;

/** The Deployment controller's "no deadline" value: it then never sets Progressing. */
const NO_DEADLINE = 2 ** 31 - 1;

const replicas = (o: KubeObject) => int(specOf(o).replicas, 1);

function deployment(o: KubeObject, s: Status): HealthResult {
  let progressing = int(specOf(o).progressDeadlineSeconds, NO_DEADLINE) === NO_DEADLINE;
  let available = false;
  for (const c of conditions(s)) {
    if (c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') {
      return failed(`rollout stuck: ${c.message || 'progress deadline exceeded'}`);
    }
    if (c.type === 'Progressing' && c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    if (c.type === 'Available' && c.status === 'True') available = true;
  }
  const want = replicas(o);
  const [total, updated, readyN, availableN] = [
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
  ].map((k) => int(s[k], 0)) as [number, number, number, number];
  if (want > total) return progress(`${total} of ${want} replicas created`);
  if (want > updated) return progress(`${updated} of ${want} replicas updated`);
  if (total > want) return progress(`${total - want} old replicas pending termination`);
  if (updated > availableN) return progress(`${availableN} of ${updated} replicas available`);
  if (want > readyN) return progress(`${readyN} of ${want} replicas ready`);
  if (!progressing) return progress(`new ReplicaSet not yet available (${progressingText(s)})`);
  if (!available) return progress(`not available (${availableText(s)})`);
  return ready;
}

function progressingText(s: Status): string {
  const c = condition(s, 'Progressing');
  return c ? `Progressing=${c.status}${c.reason ? `: ${c.reason}` : ''}` : 'no Progressing condition';
}

function availableText(s: Status): string {
  const c = condition(s, 'Available');
  return c ? `Available=${c.status}${c.reason ? `: ${c.reason}` : ''}` : 'no Available condition';
}

function replicaSet(o: KubeObject, s: Status): HealthResult {
  const failure = condition(s, 'ReplicaFailure', 'True');
  if (failure) return progress(`replica failure: ${conditionText(failure, 'check its pods')}`);
  const want = replicas(o);
  const [total, readyN, availableN, labelled] = [
    'replicas',
    'readyReplicas',
    'availableReplicas',
    'fullyLabeledReplicas',
  ].map((k) => int(s[k], 0)) as [number, number, number, number];
  if (want > labelled) return progress(`${labelled} of ${want} replicas labelled`);
  if (want > availableN) return progress(`${availableN} of ${want} replicas available`);
  if (want > readyN) return progress(`${readyN} of ${want} replicas ready`);
  if (total > want) return progress(`${total - want} extra replicas pending termination`);
  return ready;
}

function statefulSet(o: KubeObject, s: Status): HealthResult {
  // OnDelete: pods are replaced by hand, so the controller's counts say nothing about a rollout.
  if (at(o, 'spec', 'updateStrategy', 'type') === 'OnDelete') return ready;
  const want = replicas(o);
  const [total, readyN, current, updated] = ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas'].map(
    (k) => int(s[k], 0),
  ) as [number, number, number, number];
  const partition = intField(at(o, 'spec', 'updateStrategy', 'rollingUpdate', 'partition'));
  if (want > total) return progress(`${total} of ${want} replicas created`);
  if (want > readyN) return progress(`${readyN} of ${want} replicas ready`);
  if (total > want) return progress(`${total - want} extra replicas pending termination`);
  if (partition !== undefined) {
    return updated < want - partition ? progress(`${updated} of ${want - partition} replicas updated`) : ready;
  }
  if (want > current) return progress(`${current} of ${want} replicas at the current revision`);
  const revision = str(s.updateRevision);
  if (str(s.currentRevision) !== revision) return progress(`rolling out revision ${revision}`);
  return ready;
}

function daemonSet(o: KubeObject, s: Status): HealthResult {
  // The controller always sets these once it has acted: their absence means it has not yet.
  if (intField(o.metadata.generation) === undefined) return progress('no metadata.generation yet');
  if (intField(s.observedGeneration) === undefined) return progress('not yet observed by its controller');
  const want = intField(s.desiredNumberScheduled);
  if (want === undefined) return progress('not yet scheduled by its controller');
  for (const [field, what] of [
    ['currentNumberScheduled', 'scheduled'],
    ['updatedNumberScheduled', 'updated'],
    ['numberAvailable', 'available'],
    ['numberReady', 'ready'],
  ] as const) {
    const n = int(s[field], 0);
    if (want > n) return progress(`${n} of ${want} pods ${what}`);
  }
  return ready;
}

interface ContainerStatus {
  name?: string;
  state?: { waiting?: { reason?: string } };
}

function waitingReasons(s: Status): { name: string; reason: string }[] {
  const list = (Array.isArray(s.containerStatuses) ? s.containerStatuses : []) as ContainerStatus[];
  return list.flatMap((c) => {
    const reason = c?.state?.waiting?.reason;
    return typeof reason === 'string' && typeof c.name === 'string' ? [{ name: c.name, reason }] : [];
  });
}

function pod(o: KubeObject, s: Status, now: number): HealthResult {
  const phase = str(s.phase);
  switch (phase) {
    case 'Succeeded':
      return ready;
    case 'Failed':
      // kstatus: Current ("completed, but not successfully"). See docs/health.md.
      return failed(
        `pod failed${s.reason || s.message ? `: ${[s.reason, s.message].filter(Boolean).join(': ')}` : ''}`,
      );
    case 'Running': {
      if (condition(s, 'Ready', 'True')) return ready;
      const waiting = waitingReasons(s);
      const crashing = waiting.filter((w) => w.reason === 'CrashLoopBackOff').map((w) => w.name);
      if (crashing.length > 0) return failed(`CrashLoopBackOff: container ${crashing.join(', ')}`);
      if (waiting[0]) return progress(`container ${waiting[0].name}: ${waiting[0].reason}`);
      const r = condition(s, 'Ready');
      return progress(`pod Running${r?.message ? `: ${r.message}` : ', not ready'}`);
    }
    case 'Pending':
      return pendingPod(o, s, now);
    case '':
      return progress('not yet observed by the kubelet or scheduler');
    default:
      return unknown(`pod phase ${phase}`);
  }
}

function pendingPod(o: KubeObject, s: Status, now: number): HealthResult {
  const scheduled = condition(s, 'PodScheduled', 'False');
  if (scheduled?.reason === 'Unschedulable') {
    // No creationTimestamp reads as long ago, as in kstatus (a zero time).
    const created = Date.parse(str(o.metadata.creationTimestamp));
    const deadline = (Number.isNaN(created) ? 0 : created) + SCHEDULE_WINDOW_MS;
    const why = scheduled.message ? `: ${scheduled.message}` : '';
    if (now < deadline) return { ...progress(`not yet scheduled${why}`), recheckAt: deadline };
    return failed(`unschedulable${why}`);
  }
  const waiting = waitingReasons(s)[0];
  return progress(waiting ? `container ${waiting.name}: ${waiting.reason}` : 'pod Pending');
}

function persistentVolumeClaim(_o: KubeObject, s: Status): HealthResult {
  const phase = str(s.phase, 'unknown');
  if (phase === 'Bound') return ready;
  // kstatus: InProgress. See docs/health.md.
  if (phase === 'Lost') return failed('volume lost: the claim lost its PersistentVolume');
  return progress(`claim ${phase}`);
}

function service(o: KubeObject, s: Status): HealthResult {
  if (specOf(o).type !== 'LoadBalancer') return ready;
  // kstatus waits only for a cluster IP. See docs/health.md.
  const ingress = at(s, 'loadBalancer', 'ingress');
  return Array.isArray(ingress) && ingress.length > 0 ? ready : progress('waiting for a load balancer address');
}

function job(o: KubeObject, s: Status): HealthResult {
  for (const c of conditions(s)) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') return ready;
    if (c.type === 'Failed') return failed(`job failed: ${conditionText(c, 'Failed')}`);
    // Suspended on purpose (spec.suspend) is where it should be; mid-transition it is not.
    if (c.type === 'Suspended' && specOf(o).suspend === true) return ready;
  }
  if (!str(s.startTime)) return progress('not started');
  // kstatus: Current once started. See docs/health.md.
  return progress(`${int(s.active, 0)} active, ${int(s.succeeded, 0)} succeeded, ${int(s.failed, 0)} failed`);
}

function customResourceDefinition(_o: KubeObject, s: Status): HealthResult {
  for (const c of conditions(s)) {
    if (c.type === 'NamesAccepted' && c.status === 'False') {
      return failed(`names not accepted: ${conditionText(c, 'NamesAccepted is False')}`);
    }
    if (c.type === 'Established' && c.status === 'False' && c.reason !== 'Installing') {
      return failed(`not established: ${conditionText(c, 'Established is False')}`);
    }
    if (c.type === 'Established' && c.status === 'True') return ready;
  }
  return progress('not yet established');
}

const always = (): HealthResult => ready;

export const KIND_RULES: Readonly<Record<string, KindRule>> = {
  Service: service,
  Pod: pod,
  Secret: always,
  ConfigMap: always,
  PersistentVolumeClaim: persistentVolumeClaim,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'extensions/DaemonSet': daemonSet,
  'apps/Deployment': deployment,
  'extensions/Deployment': deployment,
  'apps/ReplicaSet': replicaSet,
  'extensions/ReplicaSet': replicaSet,
  // The disruption controller sets no condition when it fails; observedGeneration was checked before.
  'policy/PodDisruptionBudget': always,
  'batch/CronJob': always,
  'batch/Job': job,
  'apiextensions.k8s.io/CustomResourceDefinition': customResourceDefinition,
};
