// `fleet agent manifest` and `fleet agent install`: the renderer lives in ./agent-manifest.ts (kept
// equal to deploy/agent/*); here are what the commands add around it: the hub's address and CA,
// server-side apply into a kube context, and waiting for the agent to register.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@flotilla/common';
import type { ClusterDetail, HubInfo } from '@flotilla/proto/api';
import type { AgentManifestInput } from './agent-manifest.js';
import { KubeError, NotReadyError, UsageError } from './errors.js';

/**
 * The renderer, loaded when an agent command runs: it pulls in code the other commands do not need.
 * Its input is completed from the hub's own description (agent address, CA).
 */
export async function renderAgent(
  hub: HubInfo,
  input: Omit<AgentManifestInput, 'hubAddress'> & { hubAddress?: string | undefined },
) {
  const { agentManifestObjects, renderAgentManifest } = await import('./agent-manifest.js');
  const full: AgentManifestInput = {
    ...input,
    hubAddress: agentAddress(input.hubAddress, hub),
    ...(input.caCertificate === undefined && hub.caCertificate ? { caCertificate: hub.caCertificate } : {}),
  };
  return { input: full, objects: agentManifestObjects(full), yaml: () => renderAgentManifest(full) };
}

/** The address agents dial: the flag, else what the hub advertises; a usage error when neither is known. */
export function agentAddress(flag: string | undefined, hub: HubInfo): string {
  const address = flag ?? hub.agentAddress;
  if (!address) {
    throw new UsageError('the hub does not advertise an address for agents', {
      hint: 'pass --hub-address host:port (the address agents in the cluster can reach the hub gRPC port at)',
    });
  }
  return address;
}

export type { KubeObject };

/** A cluster reached through a kubeconfig context, checked before anything is minted or applied. */
export interface KubeTarget {
  context: string;
  /** Server-side apply with field manager `fleet`, in the given order; returns `Kind/ns/name` per object. */
  apply(objects: readonly KubeObject[]): Promise<string[]>;
}

export async function kubeTarget(opts: { context: string; kubeconfig?: string | undefined }): Promise<KubeTarget> {
  if (!opts.kubeconfig && !process.env.KUBECONFIG) {
    // Without one, the client makes up a context of its own (localhost:8080): name the file instead.
    const file = join(homedir(), '.kube', 'config');
    if (!existsSync(file)) {
      throw new KubeError(`no kubeconfig found at ${file}, so there is no kube context "${opts.context}"`, {
        hint: `give --kubeconfig <file> (or set KUBECONFIG), or create the context "${opts.context}" in ${file}`,
      });
    }
  }
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new KubeError(
      `cannot load the kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: ${(err as Error).message}`,
    );
  }
  if (!kc.getContextObject(opts.context)) {
    const known = kc.getContexts().map((c) => c.name);
    throw new KubeError(`kube context "${opts.context}" is not in the kubeconfig`, {
      hint: known.length > 0 ? `contexts: ${known.join(', ')}` : 'pass --kubeconfig, or set KUBECONFIG',
    });
  }
  kc.setCurrentContext(opts.context);
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  return {
    context: opts.context,
    async apply(objects) {
      const applied: string[] = [];
      for (const obj of objects) {
        const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : '';
        const ref = `${obj.kind}/${ns}${obj.metadata.name ?? ''}`;
        try {
          // client-node's model types timestamps as Date; these objects are plain JSON, as the API takes them.
          const json = obj as unknown as Parameters<typeof api.patch>[0];
          await api.patch(json, undefined, undefined, 'fleet', true, k8s.PatchStrategy.ServerSideApply);
        } catch (err) {
          const body = (err as { body?: unknown }).body;
          const detail = typeof body === 'string' ? body : (err as Error).message;
          throw new KubeError(`applying ${ref} through context ${opts.context} failed: ${detail}`, { cause: err });
        }
        applied.push(ref);
      }
      return applied;
    },
  };
}

export interface RegistrationProbe {
  cluster: () => Promise<ClusterDetail>;
  /** Whether a ClusterRegistered event for the cluster came after the install began. */
  registeredSince: () => Promise<boolean>;
}

/**
 * Polls the hub until the newly installed agent has registered (a ClusterRegistered event after the
 * install began, so that a reinstall is not satisfied by the old agent) and is connected.
 */
export async function waitRegistered(
  probe: RegistrationProbe,
  o: {
    cluster: string;
    namespace: string;
    timeoutMs: number;
    intervalMs?: number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<ClusterDetail> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + o.timeoutMs;
  let registered = false;
  for (;;) {
    registered ||= await probe.registeredSince();
    const c = await probe.cluster();
    if (registered && c.registered && c.condition === 'Connected') return c;
    if (now() >= deadline) {
      const state = registered ? `registered, condition ${c.condition}` : 'not registered';
      throw new NotReadyError(
        `the agent of cluster ${o.cluster} has not connected to the hub within ${Math.round(o.timeoutMs / 1000)}s (${state})`,
        {
          hint:
            `check the agent: kubectl -n ${o.namespace} logs deploy/flotilla-agent; on a cluster with no container ` +
            'runtime (a simulated cluster) it cannot start: run it as a process (flotilla-agent run --help; ' +
            'README: "Running the agent as a process")',
        },
      );
    }
    await sleep(o.intervalMs ?? 2000);
  }
}
