import type { KubeObject, ManagedFieldsEntry } from '../../objects.js';

/** A Deployment as rendered in Git (already normalized). */
export function desiredDeployment(replicas = 2, image = 'nginx:1.27'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '1000m', memory: '1024Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** What flotilla's Apply entry looks like for desiredDeployment(), as kube-apiserver 1.37 records it. */
export const FLOTILLA_DEPLOYMENT_FIELDS = {
  'f:metadata': { 'f:labels': { 'f:app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            'f:resources': { 'f:limits': { 'f:cpu': {}, 'f:memory': {} } },
          },
        },
      },
    },
  },
};

export function applyEntry(fieldsV1: object, manager = 'flotilla'): ManagedFieldsEntry {
  return {
    manager,
    operation: 'Apply',
    apiVersion: 'apps/v1',
    time: '2026-11-26T09:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1 as never,
  };
}

/** The live Deployment after flotilla applied desiredDeployment(replicas, image): defaulted, canonical. */
export function liveDeployment(replicas = 2, image = 'nginx:1.27', extra: ManagedFieldsEntry[] = []): KubeObject {
  const fields = structuredClone(FLOTILLA_DEPLOYMENT_FIELDS);
  const taken = extra.some((e) => (e.fieldsV1 as { 'f:spec'?: { 'f:replicas'?: object } })?.['f:spec']?.['f:replicas']);
  if (taken) delete (fields['f:spec'] as Record<string, unknown>)['f:replicas'];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      labels: { app: 'web' },
      resourceVersion: '42',
      generation: 1,
      managedFields: [applyEntry(fields), ...extra],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: { limits: { cpu: '1', memory: '1Gi' } },
              imagePullPolicy: 'IfNotPresent',
            },
          ],
          restartPolicy: 'Always',
        },
      },
    },
    status: {
      observedGeneration: 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
    },
  };
}

export const SCALED_BY_KUBECTL: ManagedFieldsEntry = {
  manager: 'kubectl-scale',
  operation: 'Update',
  apiVersion: 'apps/v1',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  subresource: 'scale',
};
