import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../objects.js';
import { healthOf, type Health } from './health.js';
import { KSTATUS_CASES, KSTATUS_PROBES, type KstatusCase, type KstatusStatus } from './testdata/kstatus-cases.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const AS_FLOTILLA: Record<KstatusStatus, Health> = {
  Current: 'Ready',
  InProgress: 'InProgress',
  Failed: 'Failed',
  Terminating: 'InProgress',
  NotFound: 'Unknown',
};
const manifest = (c: KstatusCase) => parse(c.manifest.replaceAll('__NOW__', new Date(NOW).toISOString())) as KubeObject;
const docs = readFileSync(new URL('../../../docs/health.md', import.meta.url), 'utf8');

describe('healthOf agrees with kstatus', () => {
  it.each([...KSTATUS_CASES, ...KSTATUS_PROBES].map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(healthOf(manifest(c), NOW).health).toBe(c.differs?.health ?? AS_FLOTILLA[c.kstatus]);
  });

  it('differs only where docs/health.md says so, and why', () => {
    const differing = [...KSTATUS_CASES, ...KSTATUS_PROBES].filter((c) => c.differs);
    expect(differing.length).toBeLessThanOrEqual(5);
    for (const { differs } of differing) expect(docs).toContain(`| ${differs?.kind} | ${differs?.case} |`);
  });
});

function obj(apiVersion: string, kind: string, spec: object, status: object, metadata: object = {}): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'n', generation: 1, ...metadata }, spec, status };
}
const cond = (type: string, status: string, extra: object = {}) => ({ type, status, ...extra });
const conditions = (...c: object[]) => ({ conditions: c });
const deployed = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };

describe('healthOf says why', () => {
  it.each([
    ['CR being deleted', obj('x.io/v1', 'W', {}, {}, { deletionTimestamp: 'now' }), 'InProgress', 'being deleted'],
    [
      'generation not observed',
      obj('x.io/v1', 'W', {}, { observedGeneration: 1 }, { generation: 2 }),
      'InProgress',
      'generation 2 not yet observed (at 1)',
    ],
    [
      'Stalled',
      obj('x.io/v1', 'W', {}, conditions(cond('Stalled', 'True', { reason: 'NoQuota', message: 'out of IPs' }))),
      'Failed',
      'NoQuota: out of IPs',
    ],
    [
      'Reconciling',
      obj('x.io/v1', 'W', {}, conditions(cond('Reconciling', 'True', { message: 'creating' }))),
      'InProgress',
      'creating',
    ],
    [
      'Ready=False',
      obj('x.io/v1', 'W', {}, conditions(cond('Ready', 'False', { reason: 'Waiting', message: 'for a bolt' }))),
      'InProgress',
      'Waiting: for a bolt',
    ],
    [
      'Deployment rolling',
      obj('apps/v1', 'Deployment', { replicas: 2 }, { ...deployed, replicas: 3 }),
      'InProgress',
      '1 old replicas pending termination',
    ],
    [
      'Deployment un-available pods',
      obj('apps/v1', 'Deployment', { replicas: 2 }, { ...deployed, availableReplicas: 0 }),
      'InProgress',
      '0 of 2 replicas available',
    ],
    [
      'Deployment stuck',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 2 },
        {
          ...deployed,
          ...conditions(
            cond('Progressing', 'False', {
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "web-1" has timed out progressing.',
            }),
          ),
        },
      ),
      'Failed',
      'rollout stuck: ReplicaSet "web-1" has timed out progressing.',
    ],
    [
      'Deployment Available=False',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 2, progressDeadlineSeconds: 600 },
        {
          ...deployed,
          ...conditions(
            cond('Progressing', 'True', { reason: 'NewReplicaSetAvailable' }),
            cond('Available', 'False', { reason: 'MinimumReplicasUnavailable' }),
          ),
        },
      ),
      'InProgress',
      'not available (Available=False: MinimumReplicasUnavailable)',
    ],
    [
      'Deployment still progressing',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 2, progressDeadlineSeconds: 600 },
        { ...deployed, ...conditions(cond('Progressing', 'True', { reason: 'ReplicaSetUpdated' })) },
      ),
      'InProgress',
      'new ReplicaSet not yet available (Progressing=True: ReplicaSetUpdated)',
    ],
    [
      'ReplicaSet failure',
      obj(
        'apps/v1',
        'ReplicaSet',
        { replicas: 1 },
        conditions(cond('ReplicaFailure', 'True', { reason: 'FailedCreate', message: 'quota' })),
      ),
      'InProgress',
      'replica failure: FailedCreate: quota',
    ],
    [
      'DaemonSet not scheduled',
      obj('apps/v1', 'DaemonSet', {}, { observedGeneration: 1 }),
      'InProgress',
      'not yet scheduled by its controller',
    ],
    [
      'StatefulSet extra pods',
      obj('apps/v1', 'StatefulSet', { replicas: 1 }, { replicas: 2, readyReplicas: 2 }),
      'InProgress',
      '1 extra replicas pending termination',
    ],
    [
      'Pod crash-looping',
      obj(
        'v1',
        'Pod',
        {},
        { phase: 'Running', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      ),
      'Failed',
      'CrashLoopBackOff: container c',
    ],
    [
      'Pod pulling',
      obj(
        'v1',
        'Pod',
        {},
        { phase: 'Pending', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ImagePullBackOff' } } }] },
      ),
      'InProgress',
      'container c: ImagePullBackOff',
    ],
    [
      'Pod un-ready',
      obj('v1', 'Pod', {}, { phase: 'Running', ...conditions(cond('Ready', 'False', { message: 'probe failed' })) }),
      'InProgress',
      'pod Running: probe failed',
    ],
    [
      'Pod failed',
      obj('v1', 'Pod', {}, { phase: 'Failed', reason: 'Evicted', message: 'low on memory' }),
      'Failed',
      'pod failed: Evicted: low on memory',
    ],
    ['Pod lost', obj('v1', 'Pod', {}, { phase: 'Unknown' }), 'Unknown', 'pod phase Unknown'],
    [
      'Job running',
      obj('batch/v1', 'Job', {}, { startTime: '2025-01-01T00:00:00Z', active: 1 }),
      'InProgress',
      '1 active, 0 succeeded, 0 failed',
    ],
    [
      'Job failed',
      obj('batch/v1', 'Job', {}, conditions(cond('Failed', 'True', { reason: 'BackoffLimitExceeded' }))),
      'Failed',
      'job failed: BackoffLimitExceeded',
    ],
    [
      'Job suspended on purpose',
      obj('batch/v1', 'Job', { suspend: true }, conditions(cond('Suspended', 'True'))),
      'Ready',
      '',
    ],
    [
      'PVC lost',
      obj('v1', 'PersistentVolumeClaim', {}, { phase: 'Lost' }),
      'Failed',
      'volume lost: the claim lost its PersistentVolume',
    ],
    [
      'LoadBalancer waiting',
      obj('v1', 'Service', { type: 'LoadBalancer', clusterIP: '10.0.0.1' }, { loadBalancer: {} }),
      'InProgress',
      'waiting for a load balancer address',
    ],
    [
      'CRD refused',
      obj(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        {},
        conditions(cond('Established', 'False', { reason: 'NotAccepted', message: 'not allowed' })),
      ),
      'Failed',
      'not established: NotAccepted: not allowed',
    ],
  ] as const)('%s', (_name, o, health, message) => {
    expect(healthOf(o, NOW)).toEqual({ health, message });
  });

  it('is Unknown for an object that does not exist', () => {
    expect(healthOf(null, NOW)).toEqual({ health: 'Unknown', message: 'not found' });
  });
});

describe('an unschedulable Pod', () => {
  const pod = (created: string) =>
    obj(
      'v1',
      'Pod',
      {},
      {
        phase: 'Pending',
        ...conditions(cond('PodScheduled', 'False', { reason: 'Unschedulable', message: '0/1 nodes are available' })),
      },
      { creationTimestamp: created },
    );
  const created = Date.parse('2025-06-01T11:59:50Z');

  it('is InProgress for 15 s after its creation, and says when to look again', () => {
    expect(healthOf(pod('2025-06-01T11:59:50Z'), NOW)).toEqual({
      health: 'InProgress',
      message: 'not yet scheduled: 0/1 nodes are available',
      recheckAt: created + 15_000,
    });
  });

  it('is Failed from then on', () => {
    expect(healthOf(pod('2025-06-01T11:59:50Z'), created + 15_000)).toEqual({
      health: 'Failed',
      message: 'unschedulable: 0/1 nodes are available',
    });
  });
});

describe('custom rules', () => {
  const widget = (observedGeneration: number) =>
    obj('x.io/v1', 'W', {}, { observedGeneration, ...conditions(cond('Stalled', 'True')) }, { generation: 2 });
  const custom = () => ({ health: 'Ready', message: '' }) as const;

  it('take the place of the standard conditions and the kind rules', () => {
    expect(healthOf(widget(2), NOW, custom)).toEqual({ health: 'Ready', message: '' });
  });

  it('come after the generation check', () => {
    expect(healthOf(widget(1), NOW, custom).health).toBe('InProgress');
  });

  it('leave kinds they do not cover to the built-in rules', () => {
    expect(healthOf(widget(2), NOW, () => undefined).health).toBe('Failed');
  });
});
