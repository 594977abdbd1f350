/** The measured scenarios of protocol-fleet.ts, each on a hub with its simulated fleet connected. */
import type { GitServer } from '../harness/git-server.js';
import type { ByteProxy } from './fleet-byte-proxy.js';
import { readyAt, withStore, type HubProcess } from './protocol-fleet-hub.js';
import type { Simulators } from './protocol-fleet-sims.js';
import { store as hubStore } from '@flotilla/hub';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Figure {
  scenario: string;
  measure: string;
  value: number;
  unit?: string;
  target?: number;
  /** false: the target is a minimum. */
  lower?: boolean;
}

export interface Run {
  hub: HubProcess;
  fleet: Simulators;
  n: number;
  /** Bundles each agent holds. */
  bundles: number;
  figures: Figure[];
  git: GitServer;
  manifests(tag: string): Record<string, string>;
}

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** The connected fleet at rest for one heartbeat period and more: hub RSS and CPU, simulator RSS. */
export async function idle(r: Run): Promise<void> {
  await sleep(10_000);
  let rssMax = 0;
  const cpu0 = r.hub.cpuMs();
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    rssMax = Math.max(rssMax, r.hub.rss());
    await sleep(1000);
  }
  const cpuShare = (r.hub.cpuMs() - cpu0) / (Date.now() - t0);
  const t = r.fleet.totals();
  r.figures.push(
    {
      scenario: 'connect',
      measure: 'hub RSS, connected and idle (max of 30 s)',
      value: rssMax / MiB,
      unit: 'MiB',
      target: 3072,
    },
    {
      scenario: 'connect',
      measure: 'hub CPU, idle fleet (heartbeats, 30 s)',
      value: cpuShare * 100,
      unit: '% of a core',
    },
    {
      scenario: 'connect',
      measure: 'agents still connected after 40 s',
      value: t.connected,
      target: r.n,
      lower: false,
    },
    { scenario: 'connect', measure: 'simulators RSS, total', value: t.rssTotal / MiB, unit: 'MiB' },
    { scenario: 'connect', measure: 'simulator RSS, largest process', value: t.rssMax / MiB, unit: 'MiB' },
  );
}

/** Commit → signed webhook → every cluster Ready at the commit, per cluster, `rounds` times. */
export async function converge(r: Run, rounds: number): Promise<void> {
  const reader = hubStore.openStore(join(r.hub.dir, 'hub.db'));
  const all: number[] = [];
  const agentSide: number[] = [];
  const hubCpus: number[] = [];
  const simCpus: number[] = [];
  let missing = 0;
  try {
    let lastId = reader.events.list({ kind: 'Applied', limit: 1, newest: true }).at(-1)?.id ?? 0;
    for (let i = 1; i <= rounds; i++) {
      const commit = await r.git.commitFiles('config', r.manifests(`round-${i}-${Date.now()}`));
      const [hubCpu0, simCpu0] = [r.hub.cpuMs(), r.fleet.cpuMs()];
      const t0 = Date.now();
      const status = await r.hub.webhook('config');
      if (status !== 202) throw new Error(`webhook answered ${status}`);
      const times = new Map<string, number>();
      const live = r.fleet.totals().connected;
      while (times.size < live && Date.now() - t0 < 60_000) {
        await sleep(100);
        lastId = readyAt(reader, commit, lastId, times);
      }
      missing += r.n - times.size;
      const wall = Date.now() - t0;
      const [hubCpu, simCpu] = [r.hub.cpuMs() - hubCpu0, r.fleet.cpuMs() - simCpu0];
      hubCpus.push(hubCpu);
      simCpus.push(simCpu);
      const lat = [...times.values()].map((t) => t - t0).sort((a, b) => a - b);
      const agentLat = (await r.fleet.appliedTimes(commit)).map((t) => t - t0).sort((a, b) => a - b);
      all.push(...lat);
      agentSide.push(...agentLat);
      const hubLog = phases(join(r.hub.dir, 'hub.log'), t0);
      console.log(
        `converge round ${i}: hub fetched the commit at +${hubLog.commitSeen} ms, reconcile done at +${hubLog.reconciled} ms; ` +
          `converge round ${i}: ${lat.length}/${r.n} Ready, p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, ` +
          `max ${lat.at(-1)} ms; agents received it: p50 ${pct(agentLat, 50)} ms, max ${agentLat.at(-1)} ms; ` +
          `CPU over those ${wall} ms: hub ${Math.round(hubCpu)} ms, simulators ${Math.round(simCpu)} ms`,
      );
      await sleep(2000);
    }
  } finally {
    reader.close();
  }
  all.sort((a, b) => a - b);
  agentSide.sort((a, b) => a - b);
  r.figures.push(
    {
      scenario: 'converge',
      measure: `webhook → Ready, p50 (${rounds} rounds × ${r.n})`,
      value: pct(all, 50),
      unit: 'ms',
      target: 2000,
    },
    { scenario: 'converge', measure: 'webhook → Ready, p99', value: pct(all, 99), unit: 'ms', target: 5000 },
    { scenario: 'converge', measure: 'webhook → Ready, max', value: all.at(-1) ?? NaN, unit: 'ms' },
    { scenario: 'converge', measure: 'webhook → agent holds the bundle, p50', value: pct(agentSide, 50), unit: 'ms' },
    {
      scenario: 'converge',
      measure: 'webhook → agent holds the bundle, max',
      value: agentSide.at(-1) ?? NaN,
      unit: 'ms',
    },
    { scenario: 'converge', measure: 'clusters not Ready within 60 s', value: missing, target: 0 },
    {
      scenario: 'converge',
      measure: 'hub CPU per round, median (until the last cluster is Ready)',
      value: [...hubCpus].sort((a, b) => a - b)[Math.floor(hubCpus.length / 2)] ?? NaN,
      unit: 'ms',
    },
    {
      scenario: 'converge',
      measure: 'simulators CPU per round, median (the agents, on the same 2 cores)',
      value: [...simCpus].sort((a, b) => a - b)[Math.floor(simCpus.length / 2)] ?? NaN,
      unit: 'ms',
    },
  );
}

/** When, after `t0`, the hub logged the commit seen and the reconcile that changed deployments (ms after t0). */
function phases(logFile: string, t0: number): { commitSeen?: number; reconciled?: number } {
  const out: { commitSeen?: number; reconciled?: number } = {};
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { time: number; msg: string; changed?: number };
    if (e.time < t0) continue;
    if (e.msg === 'commitSeen' && out.commitSeen === undefined) out.commitSeen = e.time - t0;
    if (e.msg === 'reconciled' && (e.changed ?? 0) > 0 && out.commitSeen !== undefined && out.reconciled === undefined)
      out.reconciled = e.time - t0;
  }
  return out;
}

/**
 * Hub CPU over one burst, until all are folded: with `perAgent` 1 every agent reports each bundle it
 * holds once (tagged); with more, `perAgent` reports of its first bundle, the last tagged.
 */
async function oneBurst(r: Run, perAgent: number, idlePerMs: number) {
  const tag = `burst-${perAgent}-${Date.now()}`;
  // Agents that never registered (counted as failures elsewhere) send nothing.
  const agents = r.fleet.totals().connected;
  const live = perAgent === 1 ? agents * r.bundles : agents;
  const cpu0 = r.hub.cpuMs();
  const t0 = Date.now();
  await r.fleet.burst(perAgent, tag);
  const reader = hubStore.openStore(join(r.hub.dir, 'hub.db'));
  let folded = 0;
  try {
    while (Date.now() - t0 < 300_000) {
      folded = reader.deployments.list({ environment: 'prod' }).filter((d) => d.message === tag).length;
      if (folded >= live) break;
      // Reading every deployment costs this process CPU that the hub shares the machine with.
      await sleep(r.n > 2000 ? 500 : 20);
    }
  } finally {
    reader.close();
  }
  const wallMs = Date.now() - t0;
  return { wallMs, cpuMs: r.hub.cpuMs() - cpu0 - idlePerMs * wallMs, complete: folded >= live, live, agents };
}

/**
 * Hub CPU per status message, from /proc, net of the idle fleet's rate: (a) rounds of one report
 * per agent, every report for a different deployment (nothing to coalesce: the realistic case), and
 * (b) one burst of `perAgent` reports per agent (a batch folds one write per deployment).
 */
export async function statusBurst(r: Run, messages: number): Promise<void> {
  // The idle fleet's rate, subtracted from every round: over two heartbeat periods (30 s), so that
  // every agent's heartbeats are in it. Agents beat at a random phase; when they beat in step (before
  // the agent did), one 5 s window read 0.7 % or 10.5 % of a core, moving the result by 16 µs a message.
  if (process.env.FLOTILLA_BENCH_DEBUG) console.error(`status: the idle fleet, from ${new Date().toISOString()}`);
  const windows: number[] = [];
  const idle0 = r.hub.cpuMs();
  const ti = Date.now();
  for (let i = 0; i < 6; i++) {
    const base0 = r.hub.cpuMs();
    const tb = Date.now();
    await sleep(5000);
    windows.push((r.hub.cpuMs() - base0) / (Date.now() - tb));
  }
  const idlePerMs = (r.hub.cpuMs() - idle0) / (Date.now() - ti);
  if (process.env.FLOTILLA_BENCH_DEBUG)
    console.error(`status: idle, 5 s windows: ${windows.map((w) => `${(w * 100).toFixed(1)} %`).join(', ')}`);
  const rounds = Math.max(1, Math.round(messages / r.n / r.bundles));
  let cpu = 0;
  let gross = 0;
  let wall = 0;
  let complete = 0;
  let sent = 0;
  const perRound: number[] = [];
  // One round first, not counted: the hub's folding path compiled and warm, as in a hub that has run a while.
  await oneBurst(r, 1, idlePerMs);
  for (let i = 0; i < rounds; i++) {
    const b = await oneBurst(r, 1, idlePerMs);
    [cpu, wall, complete, sent] = [cpu + b.cpuMs, wall + b.wallMs, complete + (b.complete ? 1 : 0), sent + b.live];
    gross += b.cpuMs + idlePerMs * b.wallMs;
    perRound.push((b.cpuMs * 1000) / b.live);
    if (process.env.FLOTILLA_BENCH_DEBUG)
      console.error(
        `status round ${i}: ${((b.cpuMs * 1000) / b.live).toFixed(1)} µs, ended ${new Date().toISOString()}`,
      );
  }
  perRound.sort((a, b) => a - b);
  const perAgent = Math.max(2, Math.ceil(messages / r.n / r.bundles / 2) * 2);
  const many = await oneBurst(r, perAgent, idlePerMs);
  r.figures.push(
    {
      scenario: 'status',
      measure: `bursts of 1 report per agent, folded in full (of ${rounds})`,
      value: complete,
      target: rounds,
      lower: false,
    },
    {
      scenario: 'status',
      measure:
        r.bundles === 1
          ? `hub CPU per status message, ${rounds} × ${r.n} reports, 1 per deployment`
          : `hub CPU per status, ${rounds} × ${r.n} agents × ${r.bundles} bundles (one message an agent)`,
      value: (cpu * 1000) / sent,
      unit: 'µs',
      target: 50,
    },
    {
      scenario: 'status',
      measure: '  the same with the idle fleet not subtracted (an upper bound)',
      value: (gross * 1000) / sent,
      unit: 'µs',
    },
    { scenario: 'status', measure: '  fastest round', value: perRound[0] ?? NaN, unit: 'µs' },
    {
      scenario: 'status',
      measure: '  median round',
      value: perRound[Math.floor(perRound.length / 2)] ?? NaN,
      unit: 'µs',
    },
    { scenario: 'status', measure: '  slowest round', value: perRound.at(-1) ?? NaN, unit: 'µs' },
    {
      scenario: 'status',
      measure: '  folded per second (1 per deployment)',
      value: (sent * 1000) / wall,
      unit: '/s',
    },
    {
      scenario: 'status',
      // The agent coalesces what it reports at once (the latest and the first settling status of a
      // bundle, in one message): this is the hub's CPU per report the agent was given.
      measure: `hub CPU per status report, ${perAgent} per agent at once (${perAgent * r.n}; the agents coalesce them)`,
      value: (many.cpuMs * 1000) / (perAgent * many.live),
      unit: 'µs',
    },
    {
      scenario: 'status',
      measure: '  folded per second (bursts per agent)',
      value: (perAgent * many.live * 1000) / many.wallMs,
      unit: '/s',
    },
    {
      scenario: 'status',
      measure: 'hub CPU, idle fleet before the bursts (30 s)',
      value: idlePerMs * 100,
      unit: '% of a core',
    },
  );
}

/** Agents reconnect (through the proxy) holding the current state: bytes per agent, bundles fetched. */
export async function unchanged(r: Run, proxy: ByteProxy, tls: boolean, h2: boolean): Promise<void> {
  const before = withStore(r.hub.dir, (s) => s.deployments.list({ environment: 'prod' }).map((d) => d.generation));
  await r.fleet.until('every agent told "unchanged"', (t) => t.unchanged >= r.n, 300_000);
  await sleep(1000);
  const t = r.fleet.totals();
  const per = (b: number) => b / r.n;
  const up = proxy.up;
  const down = proxy.down;
  r.figures.push(
    {
      scenario: 'unchanged',
      measure: `reconnect${tls ? ' (TLS handshake incl.)' : ''}: bytes per agent, total`,
      value: per(up.total + down.total),
      unit: 'B',
    },
    { scenario: 'unchanged', measure: 'bundles fetched on reconnect (manifest bytes)', value: t.fetched, target: 0 },
    { scenario: 'unchanged', measure: 'connections per agent', value: proxy.connections / r.n },
  );
  if (h2) {
    r.figures.push(
      {
        scenario: 'unchanged',
        measure: 'reconnect: HTTP/2 connection set-up per agent',
        value: per(up.connection + down.connection),
        unit: 'B',
      },
      {
        scenario: 'unchanged',
        measure: 'reconnect: the Connect call (hello ↔ unchanged) per agent',
        value: per(up.stream + down.stream),
        unit: 'B',
        target: 256,
      },
    );
  }
  // Heartbeats are due every 15 s per agent: windows of one period each, once the first ones flowed.
  await sleep(16_000);
  const windowMs = 15_000;
  proxy.reset();
  await sleep(windowMs);
  const baseline = proxy.up.total + proxy.down.total;
  // A commit outside the target's path: the hub fetches and reconciles, nothing moves for the agents.
  proxy.reset();
  await r.git.commitFiles('config', { 'docs/readme.md': `unrelated ${Date.now()}\n` });
  await r.hub.webhook('config');
  await sleep(windowMs);
  const extra = proxy.up.total + proxy.down.total - baseline;
  const after = withStore(r.hub.dir, (s) => s.deployments.list({ environment: 'prod' }).map((d) => d.generation));
  r.figures.push(
    {
      scenario: 'unchanged',
      measure: 'hub reconcile after an unrelated commit: bytes per agent beyond heartbeats',
      value: Math.max(0, per(extra)),
      unit: 'B',
      target: 256,
    },
    {
      scenario: 'unchanged',
      measure: 'heartbeat traffic per agent per second',
      value: per(baseline) / (windowMs / 1000),
      unit: 'B/s',
    },
    {
      scenario: 'unchanged',
      measure: 'deployments whose generation moved',
      value: before.filter((g, i) => g !== after[i]).length,
      target: 0,
    },
  );
}
