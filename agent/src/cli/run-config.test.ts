import { describe, expect, it } from 'vitest';
import { withKubeDefaults } from './run-config.js';

describe('withKubeDefaults', () => {
  const inPod = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it.each([
    [
      'a kubeconfig is kept, with its context',
      { kubeconfig: '/k', context: 'c' },
      {},
      { kubeconfig: '/k', context: 'c' },
    ],
    [
      '--context alone: a context of ~/.kube/config',
      { context: 'kind-dev' },
      {},
      { context: 'kind-dev', kubeconfig: '/home/u/.kube/config' },
    ],
    ['nothing, in a pod: its service account', {}, inPod, {}],
  ])('%s', (_, cfg, env, expected) => {
    expect(withKubeDefaults(cfg, env, '/home/u')).toEqual(expected);
  });

  it('nothing, outside a pod: says what to give', () => {
    expect(() => withKubeDefaults({}, {}, '/home/u')).toThrow(
      /no cluster to manage: outside a pod, give --kubeconfig FILE \(or KUBECONFIG\) and --context NAME/,
    );
  });
});
