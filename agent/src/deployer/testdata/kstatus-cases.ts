import type { Health } from '../health.js';

/**
 * kstatus' own status test cases (kubernetes-sigs/cli-utils pkg/kstatus/status: status_compute_test,
 * core_test, status_augment_test, example_test) taken as facts: each manifest with the status kstatus
 * computes for it, confirmed by running kstatus v0.37.2's status.Compute on these manifests, except
 * the suspended Job (Current), which follows cli-utils' main branch after v0.37.2 (commit 2aef07c,
 * "check spec.suspend before marking a job with the suspended status as current"). Then probes of
 * rules those tests leave out, confirmed the same way. `__NOW__` is the moment of the check.
 */
export type KstatusStatus = 'Current' | 'InProgress' | 'Failed' | 'Terminating' | 'NotFound';

export interface KstatusCase {
  name: string;
  manifest: string;
  kstatus: KstatusStatus;
  /** Flotilla's verdict where it differs on purpose: its row (kind, case) in docs/health.md says why. */
  differs?: { health: Health; kind: string; case: string };
}

const meta = (name = 'test', extra = '') => `metadata:\n  name: ${name}\n  namespace: qual\n  generation: 1\n${extra}`;

const pod = (status: string, extra = '') => `apiVersion: v1\nkind: Pod\n${meta('test', extra)}status:\n${status}`;
const sts = (spec: string, status: string) =>
  `apiVersion: apps/v1\nkind: StatefulSet\n${meta()}spec:\n${spec}status:\n  observedGeneration: 1\n${status}`;
const ds = (status: string, generation = 1) =>
  `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: test\n  generation: ${generation}\nstatus:\n${status}`;
const dsCounts = (ready: number, available: number) =>
  `  observedGeneration: 1\n  desiredNumberScheduled: 4\n  currentNumberScheduled: 4\n  updatedNumberScheduled: 4\n  numberAvailable: ${available}\n  numberReady: ${ready}\n`;
const depStatus = `  observedGeneration: 1\n  updatedReplicas: 1\n  readyReplicas: 1\n  availableReplicas: 1\n  replicas: 1\n`;
const dep = (spec: string, conditions: string, apiVersion = 'apps/v1') =>
  `apiVersion: ${apiVersion}\nkind: Deployment\n${meta()}${spec}status:\n${depStatus}  conditions:\n${conditions}`;
const newRsAvailable = `  - type: Progressing\n    status: "True"\n    reason: NewReplicaSetAvailable\n`;
const availableTrue = `  - type: Available\n    status: "True"\n`;
const rs = (replicas: number, status: string, apiVersion = 'apps/v1') =>
  `apiVersion: ${apiVersion}\nkind: ReplicaSet\n${meta()}spec:\n  replicas: ${replicas}\nstatus:\n  observedGeneration: 1\n${status}`;
const rsCounts = (n: number, ready: number, available: number) =>
  `  replicas: ${n}\n  readyReplicas: ${ready}\n  availableReplicas: ${available}\n  fullyLabeledReplicas: ${n}\n`;
const cr = (status: string, generation = 1) =>
  `apiVersion: something/v1\nkind: MyCR\nmetadata:\n  name: test\n  namespace: qual\n  generation: ${generation}\n${status}`;
const job = (spec: string, status: string) => `apiVersion: batch/v1\nkind: Job\n${meta()}${spec}${status}`;
const svc = (spec: string, status = '') => `apiVersion: v1\nkind: Service\n${meta()}${spec}${status}`;
const crd = (conditions: string) =>
  `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: test\n  generation: 1\n${conditions}`;
const cond = (type: string, status: string, reason = '') =>
  `  - type: ${type}\n    status: "${status}"\n${reason ? `    reason: ${reason}\n` : ''}`;
const conds = (...c: string[]) => `status:\n  conditions:\n${c.join('')}`;

const FLOTILLA_FAILED_POD = { health: 'Failed', kind: 'Pod', case: 'phase Failed' } as const;
const FLOTILLA_RUNNING_JOB = { health: 'InProgress', kind: 'Job', case: 'started, not complete' } as const;
const FLOTILLA_LB = { health: 'InProgress', kind: 'Service', case: 'LoadBalancer without an address' } as const;
const FLOTILLA_LOST_PVC = { health: 'Failed', kind: 'PersistentVolumeClaim', case: 'phase Lost' } as const;

const unschedulable = `  phase: Pending\n  conditions:\n${cond('PodScheduled', 'False', 'Unschedulable')}`;

export const KSTATUS_CASES: readonly KstatusCase[] = [
  // TestPodStatus
  {
    name: 'podNoStatus',
    manifest: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  generation: 1\n',
    kstatus: 'InProgress',
  },
  { name: 'podReady', manifest: pod(`  phase: Running\n  conditions:\n${cond('Ready', 'True')}`), kstatus: 'Current' },
  {
    name: 'podCompletedSuccessfully',
    manifest: pod(`  phase: Succeeded\n  conditions:\n${cond('Ready', 'False', 'PodCompleted')}`),
    kstatus: 'Current',
  },
  {
    name: 'podCompletedFailed',
    manifest: pod(`  phase: Failed\n  conditions:\n${cond('Ready', 'False', 'PodCompleted')}`),
    kstatus: 'Current',
    differs: FLOTILLA_FAILED_POD,
  },
  {
    name: 'podBeingScheduled',
    manifest: pod(unschedulable, '  creationTimestamp: "__NOW__"\n'),
    kstatus: 'InProgress',
  },
  { name: 'podUnschedulable', manifest: pod(unschedulable), kstatus: 'Failed' },
  {
    name: 'podCrashLooping',
    manifest: pod(
      `  phase: Running\n  conditions:\n${cond('PodScheduled', 'False', 'Unschedulable')}  containerStatuses:\n  - name: nginx\n    state:\n      waiting:\n        reason: CrashLoopBackOff\n`,
    ),
    kstatus: 'Failed',
  },
  // TestPVCStatus
  {
    name: 'pvcNoStatus',
    manifest: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: test\n  generation: 1\n',
    kstatus: 'InProgress',
  },
  {
    name: 'pvcBound',
    manifest: `apiVersion: v1\nkind: PersistentVolumeClaim\n${meta()}status:\n  phase: Bound\n`,
    kstatus: 'Current',
  },
  // TestStsStatus
  {
    name: 'stsNoStatus',
    manifest: 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: test\n  generation: 1\n',
    kstatus: 'InProgress',
  },
  {
    name: 'stsBadStatus',
    manifest: `apiVersion: apps/v1\nkind: StatefulSet\n${meta()}status:\n  observedGeneration: 1\n  currentReplicas: 1\n`,
    kstatus: 'InProgress',
  },
  {
    name: 'stsOK',
    manifest: sts('  replicas: 4\n', '  currentReplicas: 4\n  readyReplicas: 4\n  replicas: 4\n'),
    kstatus: 'Current',
  },
  {
    name: 'stsLessReady',
    manifest: sts('  replicas: 4\n', '  currentReplicas: 4\n  readyReplicas: 2\n  replicas: 4\n'),
    kstatus: 'InProgress',
  },
  {
    name: 'stsLessCurrent',
    manifest: sts('  replicas: 4\n', '  currentReplicas: 2\n  readyReplicas: 4\n  replicas: 4\n'),
    kstatus: 'InProgress',
  },
  {
    name: 'stsExtraPods',
    manifest: sts('  replicas: 4\n', '  currentReplicas: 4\n  readyReplicas: 4\n  replicas: 8\n'),
    kstatus: 'InProgress',
  },
  // TestDaemonsetStatus
  {
    name: 'dsNoStatus',
    manifest: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: test\n  generation: 1\n',
    kstatus: 'InProgress',
  },
  { name: 'dsBadStatus', manifest: ds('  observedGeneration: 1\n  currentReplicas: 1\n'), kstatus: 'InProgress' },
  { name: 'dsOK', manifest: ds(dsCounts(4, 4)), kstatus: 'Current' },
  { name: 'dsLessReady', manifest: ds(dsCounts(2, 4)), kstatus: 'InProgress' },
  { name: 'dsDifferentGeneration', manifest: ds(dsCounts(4, 4), 2), kstatus: 'InProgress' },
  { name: 'dsLessAvailable', manifest: ds(dsCounts(4, 2)), kstatus: 'InProgress' },
  // TestDeploymentStatus
  {
    name: 'depNoStatus',
    manifest: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: test\n  generation: 1\n',
    kstatus: 'InProgress',
  },
  { name: 'depOK', manifest: dep('', newRsAvailable + availableTrue), kstatus: 'Current' },
  {
    name: 'depNotProgressing',
    manifest: dep(
      'spec:\n  progressDeadlineSeconds: 45\n',
      cond('Progressing', 'False', 'Some reason') + availableTrue,
    ),
    kstatus: 'InProgress',
  },
  { name: 'depNoProgressDeadlineSeconds', manifest: dep('', availableTrue), kstatus: 'Current' },
  {
    name: 'depNotAvailable',
    manifest: dep('', newRsAvailable + cond('Available', 'False')),
    kstatus: 'InProgress',
  },
  // TestReplicasetStatus
  {
    name: 'rsNoStatus',
    manifest: 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: test\n  generation: 1\n',
    kstatus: 'InProgress',
  },
  {
    name: 'rsOK1',
    manifest: rs(2, `${rsCounts(2, 2, 2)}  conditions:\n${cond('ReplicaFailure', 'False')}`),
    kstatus: 'Current',
  },
  { name: 'rsOK2', manifest: rs(2, rsCounts(2, 2, 2)), kstatus: 'Current' },
  { name: 'rsLessAvailable', manifest: rs(4, rsCounts(4, 4, 2)), kstatus: 'InProgress' },
  { name: 'rsLessReady', manifest: rs(4, rsCounts(4, 2, 4)), kstatus: 'InProgress' },
  {
    name: 'rsReplicaFailure',
    manifest: rs(4, `${rsCounts(4, 4, 4)}  conditions:\n${cond('ReplicaFailure', 'True')}`),
    kstatus: 'InProgress',
  },
  // TestPDBStatus
  {
    name: 'pdbNotObserved',
    manifest: `apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: test\n  generation: 2\nstatus:\n  observedGeneration: 1\n`,
    kstatus: 'InProgress',
  },
  {
    name: 'pdbObserved',
    manifest: `apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n${meta()}status:\n  observedGeneration: 1\n`,
    kstatus: 'Current',
  },
  // TestCRDGenericStatus (custom resources)
  { name: 'crdNoStatus', manifest: cr(''), kstatus: 'Current' },
  { name: 'crdReady', manifest: cr(conds(cond('Ready', 'True', 'AllOk'))), kstatus: 'Current' },
  {
    name: 'crdNotReady',
    manifest: cr(`status:\n  observedGeneration: 1\n  conditions:\n${cond('Ready', 'False', 'NotReadyYet')}`),
    kstatus: 'InProgress',
  },
  { name: 'crdNoCondition', manifest: cr(conds(cond('SomeCondition', 'False'))), kstatus: 'Current' },
  { name: 'crdMismatchStatusGeneration', manifest: cr('status:\n  observedGeneration: 1\n', 2), kstatus: 'InProgress' },
  // TestJobStatus
  { name: 'jobNoStatus', manifest: job('', ''), kstatus: 'InProgress' },
  {
    name: 'jobComplete',
    manifest: job('', `status:\n  succeeded: 1\n  active: 0\n  conditions:\n${cond('Complete', 'True')}`),
    kstatus: 'Current',
  },
  {
    name: 'jobFailed',
    manifest: job(
      'spec:\n  completions: 4\n',
      `status:\n  succeeded: 3\n  failed: 1\n  conditions:\n${cond('Failed', 'True', 'JobFailed')}`,
    ),
    kstatus: 'Failed',
  },
  {
    name: 'jobInProgress',
    manifest: job(
      'spec:\n  completions: 10\n  parallelism: 2\n',
      `status:\n  startTime: "2019-06-04T01:17:13Z"\n  succeeded: 3\n  failed: 1\n  active: 2\n  conditions:\n${cond('Failed', 'False')}${cond('Complete', 'False')}`,
    ),
    kstatus: 'Current',
    differs: FLOTILLA_RUNNING_JOB,
  },
  // TestCronJobStatus
  { name: 'cronjobNoStatus', manifest: `apiVersion: batch/v1\nkind: CronJob\n${meta()}`, kstatus: 'Current' },
  {
    name: 'cronjobWithStatus',
    manifest: `apiVersion: batch/v1\nkind: CronJob\n${meta()}status:\n`,
    kstatus: 'Current',
  },
  // TestServiceStatus
  { name: 'serviceDefault', manifest: svc(''), kstatus: 'Current' },
  { name: 'serviceNodePort', manifest: svc('spec:\n  type: NodePort\n'), kstatus: 'Current' },
  { name: 'serviceLBnok', manifest: svc('spec:\n  type: LoadBalancer\n'), kstatus: 'InProgress' },
  {
    name: 'serviceLBok',
    manifest: svc('spec:\n  type: LoadBalancer\n  clusterIP: "1.2.3.4"\n'),
    kstatus: 'Current',
    differs: FLOTILLA_LB,
  },
  // TestCRDStatus (CustomResourceDefinitions)
  { name: 'crdNoConditions', manifest: crd(''), kstatus: 'InProgress' },
  {
    name: 'crdInstalling',
    manifest: crd(conds(cond('NamesAccepted', 'True', 'NoConflicts'), cond('Established', 'False', 'Installing'))),
    kstatus: 'InProgress',
  },
  {
    name: 'crdNamesNotAccepted',
    manifest: crd(conds(cond('NamesAccepted', 'False', 'SomeReason'))),
    kstatus: 'Failed',
  },
  {
    name: 'crdEstablished',
    manifest: crd(
      conds(cond('NamesAccepted', 'True', 'NoConflicts'), cond('Established', 'True', 'InitialNamesAccepted')),
    ),
    kstatus: 'Current',
  },
  // core_test: suspended Jobs
  {
    name: 'TestSuspendedJobConditions',
    manifest: job('spec:\n  suspend: true\n', conds(cond('Suspended', 'True'))),
    kstatus: 'Current',
  },
  {
    name: 'TestPreviouslySuspendedJobConditions',
    manifest: job('spec:\n  suspend: false\n', conds(cond('Suspended', 'False'))),
    kstatus: 'InProgress',
  },
  {
    name: 'TestSuspendedJobTransitionConditions to suspended',
    manifest: job('spec:\n  suspend: true\n', conds(cond('Suspended', 'False'))),
    kstatus: 'InProgress',
  },
  {
    name: 'TestSuspendedJobTransitionConditions from suspended',
    manifest: job('spec:\n  suspend: false\n', conds(cond('Suspended', 'True'))),
    kstatus: 'InProgress',
  },
  // status_augment_test: a running Pod, and a custom kind, with the conditions it adds
  { name: 'augment: no existing conditions', manifest: pod('  phase: Running\n'), kstatus: 'InProgress' },
  {
    name: 'augment: has other existing conditions',
    manifest: pod(`  phase: Running\n  conditions:\n${cond('Ready', 'False', 'Pod has not started')}`),
    kstatus: 'InProgress',
  },
  {
    name: 'augment: already has condition of standard type InProgress',
    manifest: pod(`  phase: Running\n  conditions:\n${cond('Reconciling', 'True', 'PodIsAbsolutelyNotReady')}`),
    kstatus: 'InProgress',
  },
  {
    name: 'augment: already has condition of standard type Failed',
    manifest: pod(`  phase: Running\n  conditions:\n${cond('Stalled', 'True', 'PodHasFailed')}`),
    kstatus: 'Failed',
  },
  {
    name: 'augment: custom resource with no conditions',
    manifest:
      'apiVersion: v1beta1\nkind: SomeCustomKind\nmetadata:\n  name: test\n  namespace: default\n  generation: 1\n',
    kstatus: 'Current',
  },
  // example_test
  { name: 'TestExampleCompute', manifest: dep('', newRsAvailable + availableTrue), kstatus: 'Current' },
];

/** Rules the tests above leave out, with what kstatus computes for them. */
export const KSTATUS_PROBES: readonly KstatusCase[] = [
  { name: 'custom resource Stalled=True', manifest: cr(conds(cond('Stalled', 'True', 'Broken'))), kstatus: 'Failed' },
  {
    name: 'custom resource Reconciling=True beside Ready=True',
    manifest: cr(conds(cond('Ready', 'True'), cond('Reconciling', 'True', 'Progressing'))),
    kstatus: 'InProgress',
  },
  {
    name: 'custom resource Ready=Unknown',
    manifest: cr(conds(cond('Ready', 'Unknown', 'Checking'))),
    kstatus: 'InProgress',
  },
  {
    name: 'Deployment Stalled=True before its counts',
    manifest: dep('', newRsAvailable + availableTrue + cond('Stalled', 'True', 'Stuck')),
    kstatus: 'Failed',
  },
  {
    name: 'Deployment progress deadline exceeded',
    manifest: dep('spec:\n  progressDeadlineSeconds: 45\n', cond('Progressing', 'False', 'ProgressDeadlineExceeded')),
    kstatus: 'Failed',
  },
  {
    name: 'extensions/v1beta1 Deployment not available',
    manifest: dep('', newRsAvailable + cond('Available', 'False'), 'extensions/v1beta1'),
    kstatus: 'InProgress',
  },
  {
    name: 'extensions/v1beta1 DaemonSet without desiredNumberScheduled',
    manifest: `apiVersion: extensions/v1beta1\nkind: DaemonSet\n${meta()}status:\n  observedGeneration: 1\n`,
    kstatus: 'InProgress',
  },
  {
    name: 'extensions/v1beta1 ReplicaSet short of ready replicas',
    manifest: rs(4, rsCounts(4, 2, 4), 'extensions/v1beta1'),
    kstatus: 'InProgress',
  },
  {
    name: 'StatefulSet OnDelete short of ready replicas',
    manifest: sts('  replicas: 4\n  updateStrategy:\n    type: OnDelete\n', '  readyReplicas: 1\n  replicas: 4\n'),
    kstatus: 'Current',
  },
  {
    name: 'StatefulSet partition rolled out',
    manifest: sts(
      '  replicas: 3\n  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: 2\n',
      '  readyReplicas: 3\n  replicas: 3\n  updatedReplicas: 1\n',
    ),
    kstatus: 'Current',
  },
  {
    name: 'StatefulSet revision rolling',
    manifest: sts(
      '  replicas: 2\n',
      '  readyReplicas: 2\n  replicas: 2\n  currentReplicas: 2\n  currentRevision: a\n  updateRevision: b\n',
    ),
    kstatus: 'InProgress',
  },
  {
    name: 'CRD Established=False, not Installing',
    manifest: crd(conds(cond('NamesAccepted', 'True', 'NoConflicts'), cond('Established', 'False', 'NotAccepted'))),
    kstatus: 'Failed',
  },
  {
    name: 'Secret with Stalled=True',
    manifest: `apiVersion: v1\nkind: Secret\n${meta()}${conds(cond('Stalled', 'True', 'Odd'))}`,
    kstatus: 'Failed',
  },
  { name: 'ConfigMap', manifest: `apiVersion: v1\nkind: ConfigMap\n${meta()}`, kstatus: 'Current' },
  {
    name: 'Job failed after a Complete=False',
    manifest: job('', conds(cond('Complete', 'False'), cond('Failed', 'True', 'BackoffLimitExceeded'))),
    kstatus: 'Failed',
  },
  {
    name: 'Pod Pending, scheduled',
    manifest: pod(`  phase: Pending\n  conditions:\n${cond('PodScheduled', 'True')}`),
    kstatus: 'InProgress',
  },
  {
    name: 'LoadBalancer Service with an address',
    manifest: svc(
      'spec:\n  type: LoadBalancer\n  clusterIP: "1.2.3.4"\n',
      'status:\n  loadBalancer:\n    ingress:\n    - ip: 5.6.7.8\n',
    ),
    kstatus: 'Current',
  },
  {
    name: 'PVC Lost',
    manifest: `apiVersion: v1\nkind: PersistentVolumeClaim\n${meta()}status:\n  phase: Lost\n`,
    kstatus: 'InProgress',
    differs: FLOTILLA_LOST_PVC,
  },
  {
    name: 'being deleted',
    manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test\n  deletionTimestamp: "2025-01-01T00:00:00Z"\n`,
    kstatus: 'Terminating',
  },
  {
    name: 'Namespace terminating',
    manifest: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n  deletionTimestamp: "2025-01-01T00:00:00Z"\nstatus:\n  phase: Terminating\n`,
    kstatus: 'Terminating',
  },
];
