import type { StatusView } from '@flotilla/proto/api';
import { NotReadyError } from './errors.js';
import { short } from './format.js';

export interface RolloutProgress {
  environment: string;
  commit: string;
  total: number;
  /** Deployments Ready at the commit. */
  done: number;
  /** The others, as `cluster/target: state (revision) message`. */
  waiting: string[];
}

/** How far an environment's rollout of `commit` has come: pure, from one /status answer. */
export function rolloutProgress(view: StatusView, environment: string, commit: string): RolloutProgress {
  const env = view.environments.find((e) => e.name === environment);
  const waiting: string[] = [];
  let total = 0;
  for (const c of env?.clusters ?? []) {
    for (const t of c.targets) {
      total += 1;
      if (t.state === 'Ready' && t.revision === commit) continue;
      const at = t.revision === commit ? 'at the commit' : `at ${short(t.revision) ?? 'nothing yet'}`;
      waiting.push(`${c.cluster}/${t.target}: ${t.state} ${at}${t.message ? `: ${t.message}` : ''}`);
    }
  }
  return { environment, commit, total, done: total - waiting.length, waiting };
}

export interface WaitDeps {
  status: (environment: string) => Promise<StatusView>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: RolloutProgress) => void;
}

/**
 * Polls until every deployment of `environment` is Ready at `commit`; throws NotReadyError naming
 * what is still waiting when `timeoutMs` passes.
 */
export async function waitForRollout(
  deps: WaitDeps,
  o: { environment: string; commit: string; timeoutMs: number; intervalMs?: number },
): Promise<RolloutProgress> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + o.timeoutMs;
  let last = '';
  for (;;) {
    const p = rolloutProgress(await deps.status(o.environment), o.environment, o.commit);
    const key = `${p.done}/${p.total} ${p.waiting.join(';')}`;
    if (key !== last) deps.onProgress?.(p);
    last = key;
    if (p.waiting.length === 0) return p;
    if (now() >= deadline) {
      throw new NotReadyError(
        `${o.environment} is not Ready at ${short(o.commit)} after ${Math.round(o.timeoutMs / 1000)}s: ` +
          `${p.done}/${p.total} deployments ready; waiting for ${p.waiting.slice(0, 5).join('; ')}` +
          (p.waiting.length > 5 ? ` and ${p.waiting.length - 5} more` : ''),
        { hint: `see \`fleet status --environment ${o.environment}\`, or wait longer with --timeout` },
      );
    }
    await sleep(o.intervalMs ?? 2000);
  }
}
