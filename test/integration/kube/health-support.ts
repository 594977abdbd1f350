import type { KubeObject } from '@flotilla/agent';
import type { Kubectl } from './agent-support.js';

/** A namespaced kind `Gadget` whose status a test writes, playing its controller. */
export function gadgetCrd(group: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

export function gadget(group: string, ns: string, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name, namespace: ns }, spec };
}

/** Writes a Gadget's status as its controller would (through the status subresource). */
export function setGadgetStatus(
  kubectl: Kubectl,
  group: string,
  ns: string,
  name: string,
  status: Record<string, unknown>,
): Promise<KubeObject> {
  return kubectl.patch(`/apis/${group}/v1/namespaces/${ns}/gadgets/${name}/status`, 'gadget-controller', { status });
}
