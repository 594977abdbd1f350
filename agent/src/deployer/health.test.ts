import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../objects.js';
import { healthOf } from './health.js';

function obj(apiVersion: string, kind: string, spec: object, status: object, generation = 1): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'n', generation }, spec, status };
}
const cond = (type: string, status: string, extra: object = {}) => ({ conditions: [{ type, status, ...extra }] });

describe('healthOf', () => {
  it.each([
    [
      'Deployment ready',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 2 },
        { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
      ),
      'Ready',
      '',
    ],
    [
      'Deployment not observed',
      obj('apps/v1', 'Deployment', { replicas: 2 }, {}),
      'InProgress',
      'not yet observed by its controller',
    ],
    [
      'Deployment stale generation',
      obj('apps/v1', 'Deployment', { replicas: 2 }, { observedGeneration: 1 }, 2),
      'InProgress',
      'generation 2 not yet observed (at 1)',
    ],
    [
      'Deployment pods un-ready',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 1 },
        { observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1 },
      ),
      'InProgress',
      '0 of 1 replicas available',
    ],
    [
      'Deployment rolling',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 3 },
        { observedGeneration: 1, replicas: 4, updatedReplicas: 3, availableReplicas: 3 },
      ),
      'InProgress',
      '1 old replicas pending termination',
    ],
    [
      'Deployment stuck',
      obj(
        'apps/v1',
        'Deployment',
        { replicas: 1 },
        {
          observedGeneration: 1,
          ...cond('Progressing', 'False', {
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "web-1" has timed out progressing.',
          }),
        },
      ),
      'Failed',
      'rollout stuck: ReplicaSet "web-1" has timed out progressing.',
    ],
    [
      'Deployment scaled to zero',
      obj('apps/v1', 'Deployment', { replicas: 0 }, { observedGeneration: 1 }),
      'Ready',
      '',
    ],
    [
      'StatefulSet ready',
      obj(
        'apps/v1',
        'StatefulSet',
        { replicas: 2 },
        { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'a' },
      ),
      'Ready',
      '',
    ],
    [
      'StatefulSet rolling',
      obj(
        'apps/v1',
        'StatefulSet',
        { replicas: 2 },
        { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'b' },
      ),
      'InProgress',
      'rolling out revision b',
    ],
    [
      'StatefulSet partitioned',
      obj(
        'apps/v1',
        'StatefulSet',
        { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
        { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 },
      ),
      'Ready',
      '',
    ],
    [
      'DaemonSet unavailable',
      obj(
        'apps/v1',
        'DaemonSet',
        {},
        { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 1 },
      ),
      'InProgress',
      '1 of 3 pods available',
    ],
    [
      'DaemonSet ready',
      obj(
        'apps/v1',
        'DaemonSet',
        {},
        {
          observedGeneration: 1,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 3,
          numberReady: 3,
        },
      ),
      'Ready',
      '',
    ],
    ['Job complete', obj('batch/v1', 'Job', {}, cond('Complete', 'True')), 'Ready', ''],
    [
      'Job failed',
      obj('batch/v1', 'Job', {}, cond('Failed', 'True', { reason: 'BackoffLimitExceeded' })),
      'Failed',
      'job failed: BackoffLimitExceeded',
    ],
    ['Job running', obj('batch/v1', 'Job', {}, { active: 1 }), 'InProgress', '1 active, 0 succeeded'],
    ['PVC bound', obj('v1', 'PersistentVolumeClaim', {}, { phase: 'Bound' }), 'Ready', ''],
    ['PVC pending', obj('v1', 'PersistentVolumeClaim', {}, { phase: 'Pending' }), 'InProgress', 'claim Pending'],
    ['Service ClusterIP', obj('v1', 'Service', { type: 'ClusterIP' }, {}), 'Ready', ''],
    [
      'Service LB waiting',
      obj('v1', 'Service', { type: 'LoadBalancer' }, { loadBalancer: {} }),
      'InProgress',
      'waiting for a load balancer address',
    ],
    [
      'Service LB ready',
      obj('v1', 'Service', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }),
      'Ready',
      '',
    ],
    [
      'CRD established',
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {}, cond('Established', 'True')),
      'Ready',
      '',
    ],
    [
      'CRD pending',
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {}, {}),
      'InProgress',
      'not yet established',
    ],
    [
      'CRD names refused',
      obj(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        {},
        cond('NamesAccepted', 'False', { message: 'taken' }),
      ),
      'Failed',
      'names not accepted: taken',
    ],
    [
      'Namespace terminating',
      obj('v1', 'Namespace', {}, { phase: 'Terminating' }),
      'InProgress',
      'namespace terminating',
    ],
    ['Pod running ready', obj('v1', 'Pod', {}, { phase: 'Running', ...cond('Ready', 'True') }), 'Ready', ''],
    [
      'Pod running un-ready',
      obj('v1', 'Pod', {}, { phase: 'Running', ...cond('Ready', 'False', { message: 'probe failed' }) }),
      'InProgress',
      'pod Running: probe failed',
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
      'container c: CrashLoopBackOff',
    ],
    ['Pod succeeded', obj('v1', 'Pod', {}, { phase: 'Succeeded' }), 'Ready', ''],
    [
      'custom Ready=False',
      obj('example.com/v1', 'Widget', {}, cond('Ready', 'False', { reason: 'Waiting', message: 'for a bolt' })),
      'InProgress',
      'Waiting: for a bolt',
    ],
    ['custom without conditions', obj('example.com/v1', 'Widget', {}, {}), 'Ready', ''],
    ['ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'Ready', ''],
  ] as const)('%s', (_name, o, health, message) => {
    expect(healthOf(o as KubeObject)).toEqual({ health, message });
  });

  it('is Unknown for an object that does not exist, InProgress while it is deleted', () => {
    expect(healthOf(null).health).toBe('Unknown');
    expect(healthOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { deletionTimestamp: 'now' } })).toEqual({
      health: 'InProgress',
      message: 'being deleted',
    });
  });
});
