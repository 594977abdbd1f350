import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClusterInfo } from './fleet.js';

/** A KubeConfig for one simulated cluster. */
export function kubeClient(cluster: KubeClusterInfo): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  return kc;
}

export function clusterByName(clusters: KubeClusterInfo[], name: string): KubeClusterInfo {
  const c = clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no simulated cluster named "${name}" (have: ${clusters.map((x) => x.name).join(', ')})`);
  return c;
}
