import type { KubeClient } from '../kube/client.js';
import type { Clock, Sleep } from '../util/time.js';
import { healthOf, type HealthResult } from './health.js';
import { readLive } from './live.js';
import type { DesiredObject } from './prepare.js';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  concurrency?: number;
  clock: Clock;
  sleep: Sleep;
}

/** Polls the objects' health (a few list calls per round) until all are Ready or time runs out. */
export async function waitReady(
  client: KubeClient,
  desired: readonly DesiredObject[],
  labelSelector: string,
  o: WaitOptions,
): Promise<{ ready: boolean; health: Map<string, HealthResult> }> {
  const deadline = o.clock.now() + o.timeoutMs;
  const held = new Set(desired.map((d) => d.key));
  for (;;) {
    const { live } = await readLive(
      client,
      desired.map((d) => d.ref),
      labelSelector,
      held,
      o.concurrency ?? 8,
    );
    const now = o.clock.now();
    const health = new Map(desired.map((d) => [d.key, healthOf(live.get(d.key), now)]));
    const ready = [...health.values()].every((h) => h.health === 'Ready');
    if (ready || o.clock.now() >= deadline) return { ready, health };
    await o.sleep(o.intervalMs ?? 1000);
  }
}
