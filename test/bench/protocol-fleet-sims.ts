/** The simulator processes of protocol-fleet.ts, from the parent's side. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { procCpuMs } from './protocol-fleet-hub.js';
import type { SimAgent, SimCommand, SimProgress } from './protocol-fleet-sim.js';

const simFile = fileURLToPath(
  new URL(`./protocol-fleet-sim.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);
const execArgv = import.meta.url.endsWith('.ts') ? ['--conditions=@flotilla/source', '--import', 'tsx'] : [];
/** FLOTILLA_BENCH_SIM_PROFILE=DIR: each simulator writes its V8 CPU profile there when it stops. */
const profile = process.env.FLOTILLA_BENCH_SIM_PROFILE;
const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];

export type Totals = Omit<SimProgress, 'type' | 'lastError' | 'rss' | 'errors'> & {
  errors: Record<string, number>;
  rssTotal: number;
  rssMax: number;
  lastError?: string;
};

export interface Simulators {
  totals(): Totals;
  /** Resolves when `pred` holds for the totals; rejects after `timeoutMs` with the totals. */
  until(what: string, pred: (t: Totals) => boolean, timeoutMs: number): Promise<number>;
  burst(perAgent: number, tag: string): Promise<void>;
  /** CPU time (user + system) of every simulator process so far, in ms. */
  cpuMs(): number;
  /** When each cluster's simulated agent received `revision` (ms since epoch). */
  appliedTimes(revision: string): Promise<number[]>;
  stop(): Promise<Totals>;
}

type Start = Omit<Extract<SimCommand, { type: 'start' }>, 'type' | 'agents'>;

/** Forks `processes` simulators and hands each an equal slice of `agents`. */
export async function startSimulators(agents: SimAgent[], processes: number, start: Start): Promise<Simulators> {
  const children: { child: ChildProcess; last?: SimProgress }[] = [];
  const per = Math.ceil(agents.length / processes);
  for (let i = 0; i < processes; i++) {
    const slice = agents.slice(i * per, (i + 1) * per);
    if (slice.length === 0) break;
    const child = fork(simFile, [], {
      execArgv: [...execArgv, ...profiling, '--max-semi-space-size=16'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const entry: { child: ChildProcess; last?: SimProgress } = { child };
    child.on('message', (m: { type: string }) => {
      if (m.type === 'progress' || m.type === 'stopped') entry.last = m as SimProgress;
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`simulator ${i} exited ${code} before it was ready`)));
    });
    child.send({ type: 'start', agents: slice, ...start } satisfies SimCommand);
    children.push(entry);
  }

  const totals = (): Totals => {
    const t: Totals = {
      started: 0,
      connected: 0,
      registered: 0,
      unchanged: 0,
      fetched: 0,
      fetchedBytes: 0,
      disconnects: 0,
      rssTotal: 0,
      rssMax: 0,
      errors: {},
    };
    for (const { last } of children) {
      if (!last) continue;
      for (const k of [
        'started',
        'connected',
        'registered',
        'unchanged',
        'fetched',
        'fetchedBytes',
        'disconnects',
      ] as const)
        t[k] += last[k];
      t.rssTotal += last.rss;
      t.rssMax = Math.max(t.rssMax, last.rss);
      if (last.lastError) t.lastError = last.lastError;
      for (const [k, v] of Object.entries(last.errors)) t.errors[k] = (t.errors[k] ?? 0) + v;
    }
    return t;
  };

  const ask = <T>(c: { child: ChildProcess }, cmd: SimCommand, reply: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type: string }) => {
        if (m.type !== reply) return;
        c.child.off('message', on);
        resolve(m as T);
      };
      c.child.on('message', on);
      c.child.send(cmd);
    });

  return {
    totals,
    async until(what, pred, timeoutMs) {
      const t0 = Date.now();
      while (!pred(totals())) {
        if (Date.now() - t0 > timeoutMs) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(totals())}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return Date.now() - t0;
    },
    async burst(perAgent, tag) {
      await Promise.all(children.map((c) => ask(c, { type: 'burst', perAgent, tag }, 'burstSent')));
    },
    cpuMs: () => children.reduce((sum, c) => sum + (c.child.pid ? procCpuMs(c.child.pid) : 0), 0),
    async appliedTimes(revision) {
      const r = await Promise.all(
        children.map((c) => ask<{ times: number[] }>(c, { type: 'applied', revision }, 'appliedTimes')),
      );
      return r.flatMap((x) => x.times);
    },
    async stop() {
      const before = totals();
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.child.once('exit', () => resolve());
              c.child.send({ type: 'stop' } satisfies SimCommand);
              setTimeout(() => c.child.kill('SIGKILL'), 15_000).unref();
            }),
        ),
      );
      return before;
    },
  };
}
