/**
 * The agent side of the apply benchmark, run as its own plain `node` process on the compiled agent
 * (`agent/dist`), so its resident memory is the agent's, not the harness's or tsx's.
 *
 *   node test/dist/bench/agent-apply-worker.js <kubeconfig> <bundle.json>
 */
import { readFileSync } from 'node:fs';
import { Enforcer, InventoryStore, KubeClient, reconcile, type Bundle } from '@flotilla/agent';

const [kubeconfig, bundleFile] = process.argv.slice(2);
if (!kubeconfig || !bundleFile) throw new Error('usage: agent-apply-worker <kubeconfig> <bundle.json>');
const bundle = JSON.parse(readFileSync(bundleFile, 'utf8')) as Bundle;
const client = KubeClient.fromKubeconfig(kubeconfig, undefined, { maxSockets: 16 });
const inventories = new InventoryStore(client);
const mib = () => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;

async function timed<T>(fn: () => Promise<T>) {
  const w = client.stats.writes;
  const r = client.stats.reads;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return {
    ms: Math.round(performance.now() - t0),
    agentCpuMs: Math.round((used.user + used.system) / 1000),
    writes: client.stats.writes - w,
    reads: client.stats.reads - r,
    value,
  };
}

const rss: Record<string, number> = { loaded: mib() };
const first = await timed(() => reconcile(bundle, { client, inventories, concurrency: 16 }));
rss.afterFirstApply = mib();
const failed = first.value.results.filter((x) => x.change === 'failed').map((x) => x.error?.message);
const noop = await timed(() => reconcile(bundle, { client, inventories, concurrency: 16 }));
const noopChanges = new Set(noop.value.results.map((x) => x.change));
rss.afterNoop = mib();

// Managing them: an enforcer holding the bundle, watching every applied resource.
const enforcer = new Enforcer({ client, inventories, resyncMs: 3_600_000 });
const held = await timed(() => enforcer.set(bundle, false));
// Sampled each second for 30 s while the Deployments roll out (a stream of watch events), then settled.
const samples: number[] = [];
for (let i = 0; i < 30; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  samples.push(mib());
}
await enforcer.settle();
rss.managingMax = Math.max(...samples);
rss.managing = mib();
const resync = await timed(() => enforcer.set(bundle, false));
await enforcer.stop();
client.close();

process.stdout.write(
  JSON.stringify({
    objects: bundle.objects.length,
    firstApply: {
      ms: first.ms,
      objectsPerSecond: Math.round((bundle.objects.length / first.ms) * 1000),
      agentCpuMs: first.agentCpuMs,
      writes: first.writes,
      reads: first.reads,
      failed,
    },
    noopReconcile: {
      ms: noop.ms,
      agentCpuMs: noop.agentCpuMs,
      writes: noop.writes,
      reads: noop.reads,
      changes: [...noopChanges],
    },
    enforcerStart: { ms: held.ms, writes: held.writes, state: held.value?.state },
    enforcerResync: { ms: resync.ms, writes: resync.writes },
    rssMiB: { ...rss, peak: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10 },
  }) + '\n',
);
