import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentMessage, HubMessage__Output } from '@flotilla/proto';
import { AgentSession, RECENTLY_MS, reconnectDelay, type BundleSink, type HubLink } from './agent-session.js';

/** A session whose hub is this test: it welcomes the agent and keeps what the agent sends. */
class WelcomedSession extends AgentSession {
  readonly sent: { at: number; m: AgentMessage }[] = [];
  private end: (() => void) | undefined;

  protected register(): Promise<string> {
    return Promise.reject(new Error('the test writes a credential: no registration'));
  }

  protected serve(): Promise<void> {
    const link: HubLink = {
      send: (m) => this.sent.push({ at: Date.now(), m }),
      fetch: () => Promise.reject(new Error('no bundle is desired in this test')),
    };
    const welcome = { clusterId: 'alpha', heartbeatSeconds: 10, hubVersion: '', statusBatches: true };
    this.onHubMessage({ welcome } as HubMessage__Output, link);
    return new Promise((resolve) => (this.end = resolve));
  }

  protected close(): void {
    this.end?.();
  }
}

const emptyCluster: BundleSink = {
  set: () => Promise.resolve(undefined as never),
  remove: () => Promise.resolve(),
  report: () => undefined,
  bundles: () => [],
};

describe('heartbeats', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-session-'));
    writeFileSync(join(dir, 'credential'), 'flagt_test\n');
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  const session = (phase: number) =>
    new WelcomedSession(
      { clusterName: 'alpha', credentialFile: join(dir, 'credential'), random: () => phase },
      emptyCluster,
    );
  const beats = (s: WelcomedSession) => s.sent.filter((x) => x.m.heartbeat).map((x) => x.at);

  it('beat once a period, at a phase of their own: agents welcomed together do not beat in step', async () => {
    const early = session(0.1);
    const late = session(0.7);
    const runs = [early.run(), late.run()];
    await vi.advanceTimersByTimeAsync(35_000);
    expect(beats(early)).toEqual([1000, 11_000, 21_000, 31_000]);
    expect(beats(late)).toEqual([7000, 17_000, 27_000]);
    await Promise.all([early.stop(), late.stop()]);
    await Promise.all(runs);
  });

  it('stop when the session stops, even before the first beat', async () => {
    const s = session(0.5);
    const run = s.run();
    await vi.advanceTimersByTimeAsync(2000);
    await s.stop();
    await run;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beats(s)).toEqual([]);
  });
});

describe('reconnecting to the hub', () => {
  const upper = () => 1; // the top of each jittered range
  const lower = () => 0;

  it('after a hub that was reachable moments ago goes away, retries stay within 4 s (a hub restart is met quickly)', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => reconnectDelay(n, 5_000, upper));
    expect(Math.max(...waits)).toBe(4_000);
    // Jittered: agents that lost the same hub together do not all come back in the same instant.
    expect(reconnectDelay(8, 5_000, lower)).toBe(2_000);
    expect(waits.slice(0, 3)).toEqual([500, 1_000, 2_000]);
  });

  it('a hub away for longer than RECENTLY_MS (or never reached) gets the slow backoff, up to 30 s', () => {
    expect(reconnectDelay(8, RECENTLY_MS + 1, upper)).toBe(30_000);
    expect(reconnectDelay(20, Infinity, upper)).toBe(30_000);
    expect(reconnectDelay(1, Infinity, upper)).toBe(500);
  });
});
