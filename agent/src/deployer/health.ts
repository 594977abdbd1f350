import { groupOf, isPlainObject, type KubeObject } from '../objects.js';

export const HEALTH = ['Ready', 'InProgress', 'Failed', 'Unknown'] as const;
export type Health = (typeof HEALTH)[number];

export interface HealthResult {
  health: Health;
  /** Why the object is not Ready; empty when it is. */
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

type Status = Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number };

const ready: HealthResult = { health: 'Ready', message: '' };
const progress = (message: string): HealthResult => ({ health: 'InProgress', message });
const failed = (message: string): HealthResult => ({ health: 'Failed', message });

function statusOf(o: KubeObject): Status {
  return isPlainObject(o.status) ? (o.status as Status) : {};
}

function condition(s: Status, type: string): Condition | undefined {
  return Array.isArray(s.conditions) ? s.conditions.find((c) => c.type === type) : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function spec(o: KubeObject): Record<string, unknown> {
  return isPlainObject(o.spec) ? o.spec : {};
}

/** The controller has not seen the latest spec yet. */
function stale(o: KubeObject, s: Status): HealthResult | undefined {
  const gen = o.metadata.generation;
  if (gen !== undefined && s.observedGeneration !== undefined && s.observedGeneration < gen) {
    return progress(`generation ${gen} not yet observed (at ${s.observedGeneration})`);
  }
  if (gen !== undefined && s.observedGeneration === undefined && WORKLOADS.has(o.kind)) {
    return progress('not yet observed by its controller');
  }
  return undefined;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function deployment(o: KubeObject, s: Status): HealthResult {
  const progressing = condition(s, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return failed(`rollout stuck: ${progressing.message ?? 'progress deadline exceeded'}`);
  }
  const want = typeof spec(o).replicas === 'number' ? num(spec(o).replicas) : 1;
  const updated = num(s.updatedReplicas);
  if (updated < want) return progress(`${updated} of ${want} replicas updated`);
  if (num(s.replicas) > updated) return progress(`${num(s.replicas) - updated} old replicas pending termination`);
  if (num(s.availableReplicas) < updated) return progress(`${num(s.availableReplicas)} of ${want} replicas available`);
  if (num(s.readyReplicas) < want) return progress(`${num(s.readyReplicas)} of ${want} replicas ready`);
  return ready;
}

function statefulSet(o: KubeObject, s: Status): HealthResult {
  const want = typeof spec(o).replicas === 'number' ? num(spec(o).replicas) : 1;
  if (num(s.readyReplicas) < want) return progress(`${num(s.readyReplicas)} of ${want} replicas ready`);
  const strategy = spec(o).updateStrategy as { type?: string; rollingUpdate?: { partition?: number } } | undefined;
  if (strategy?.type === 'OnDelete') return ready;
  const partition = num(strategy?.rollingUpdate?.partition);
  if (num(s.updatedReplicas) < want - partition) {
    return progress(`${num(s.updatedReplicas)} of ${want - partition} replicas updated`);
  }
  if (partition === 0 && s.updateRevision && s.currentRevision !== s.updateRevision) {
    return progress(`rolling out revision ${String(s.updateRevision)}`);
  }
  return ready;
}

function daemonSet(_o: KubeObject, s: Status): HealthResult {
  const want = num(s.desiredNumberScheduled);
  if (num(s.updatedNumberScheduled) < want) return progress(`${num(s.updatedNumberScheduled)} of ${want} pods updated`);
  if (num(s.numberAvailable) < want) return progress(`${num(s.numberAvailable)} of ${want} pods available`);
  if (num(s.numberReady) < want) return progress(`${num(s.numberReady)} of ${want} pods ready`);
  return ready;
}

function job(_o: KubeObject, s: Status): HealthResult {
  const f = condition(s, 'Failed');
  if (f?.status === 'True') return failed(`job failed: ${f.reason ?? ''} ${f.message ?? ''}`.trim());
  if (condition(s, 'Complete')?.status === 'True') return ready;
  if (condition(s, 'Suspended')?.status === 'True') return progress('job suspended');
  return progress(`${num(s.active)} active, ${num(s.succeeded)} succeeded`);
}

function pod(_o: KubeObject, s: Status): HealthResult {
  if (s.phase === 'Succeeded') return ready;
  if (s.phase === 'Failed') return failed(`pod failed: ${String(s.reason ?? s.message ?? '')}`.trim());
  const statuses = (Array.isArray(s.containerStatuses) ? s.containerStatuses : []) as {
    name?: string;
    state?: { waiting?: { reason?: string; message?: string } };
  }[];
  const crash = statuses.find((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
  if (crash) return failed(`container ${crash.name}: CrashLoopBackOff`);
  const r = condition(s, 'Ready');
  if (s.phase === 'Running' && r?.status === 'True') return ready;
  const waiting = statuses.find((c) => c.state?.waiting?.reason);
  if (waiting) return progress(`container ${waiting.name}: ${waiting.state?.waiting?.reason}`);
  return progress(`pod ${String(s.phase ?? 'Pending')}${r?.message ? `: ${r.message}` : ''}`);
}

function pvc(_o: KubeObject, s: Status): HealthResult {
  if (s.phase === 'Bound') return ready;
  if (s.phase === 'Lost') return failed('volume lost');
  return progress(`claim ${String(s.phase ?? 'Pending')}`);
}

function service(o: KubeObject, s: Status): HealthResult {
  if (spec(o).type !== 'LoadBalancer') return ready;
  const ingress = (s.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress;
  return Array.isArray(ingress) && ingress.length > 0 ? ready : progress('waiting for a load balancer address');
}

function crd(_o: KubeObject, s: Status): HealthResult {
  const names = condition(s, 'NamesAccepted');
  if (names?.status === 'False') return failed(`names not accepted: ${names.message ?? names.reason ?? ''}`);
  return condition(s, 'Established')?.status === 'True' ? ready : progress('not yet established');
}

function namespace(_o: KubeObject, s: Status): HealthResult {
  return s.phase === 'Terminating' ? progress('namespace terminating') : ready;
}

/** Any other kind: a Ready condition when it has one (kstatus' convention), else Ready once it exists. */
function generic(_o: KubeObject, s: Status): HealthResult {
  const r = condition(s, 'Ready');
  if (!r || r.status === 'True') return ready;
  const why = [r.reason, r.message].filter(Boolean).join(': ') || 'Ready is not True';
  return r.reason === 'Failed' || r.reason === 'Error' ? failed(why) : progress(why);
}

const BY_KIND: Record<string, (o: KubeObject, s: Status) => HealthResult> = {
  'apps/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  '/Pod': pod,
  '/PersistentVolumeClaim': pvc,
  '/Service': service,
  '/Namespace': namespace,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
};

/** The health of one live object, in the spirit of kstatus. */
export function healthOf(o: KubeObject | null | undefined): HealthResult {
  if (!o) return { health: 'Unknown', message: 'not found' };
  if (o.metadata.deletionTimestamp) return progress('being deleted');
  const s = statusOf(o);
  const check = BY_KIND[`${groupOf(o.apiVersion)}/${o.kind}`] ?? generic;
  return stale(o, s) ?? check(o, s);
}
