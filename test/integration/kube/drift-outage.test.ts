import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriftView } from '@flotilla/proto/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterByName } from '../../harness/kube/client.js';
import { waitFor } from '../../harness/wait.js';
import { Kubectl, configMap } from './agent-support.js';
import { fleetCli, ok, type FleetRun } from './cli-support.js';
import { e2eWorld, type E2eWorld } from './e2e-support.js';

// Issue #29, items 1 and 2, through the hub. `kubectl create cm ... --dry-run=client -o yaml |
// kubectl replace -f -` dropped the bundle label and Flotilla's managedFields entry: never corrected,
// and `fleet drift` said "No drift.". And drift corrected while the hub was away was dated when the
// hub heard of it (detectedAt = correctedAt = the report's arrival), not when it happened.

const clusters = inject('kubeClusters');
const suffix = Math.random().toString(16).slice(2, 8);
const ns = `drift-${suffix}`;
const agentNs = `drift-agent-${suffix}`;
const converge = { timeout: 60_000, interval: 500 };
const prompt = { timeout: 15_000, interval: 200 };
/** How long the hub stays down after the agent corrected the drift alone. */
const OUTAGE_MS = 6_000;

describe('`kubectl replace` is drift, and drift is dated by the agent, hub up or down', () => {
  let w: E2eWorld;
  let fleet: (...args: string[]) => Promise<FleetRun>;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-drift-'));
  const kubectl = new Kubectl(clusterByName(clusters, 'alpha'));
  const live = () => kubectl.get('v1', 'ConfigMap', ns, 'web');
  const replaceWeb = (color: string) =>
    kubectl.replace(`/api/v1/namespaces/${ns}/configmaps/web`, configMap(ns, 'web', { color }));
  /** Drift of the ConfigMap by kubectl-replace, as `fleet drift --history -o json` shows it. */
  const replaced = async () => {
    const items = JSON.parse(ok(await fleet('drift', '--history', '-o', 'json'))) as DriftView[];
    return items.filter((d) => d.object === `ConfigMap/${ns}/web` && d.manager === 'kubectl-replace');
  };

  beforeAll(async () => {
    w = await e2eWorld(dir, clusters, ns);
    await w.startHub([]);
    w.joinAgent('alpha', { namespace: agentNs });
    fleet = await fleetCli(w, dir);
    await waitFor(async () => (await w.color('alpha')) === 'blue', { timeoutMs: 60_000, what: 'alpha converged' });
  });

  afterAll(async () => {
    await w?.stop();
    await kubectl.deleteNamespaces(agentNs);
    kubectl.close();
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('hub up: corrected within seconds, the label back, and `fleet drift` names kubectl-replace and the field', async () => {
    const before = await replaceWeb('red');
    expect(before.metadata.labels?.['flotilla.dev/bundle']).toBeUndefined();
    expect(before.metadata.managedFields?.map((m) => m.manager)).toEqual(['kubectl-replace']);

    await expect.poll(() => w.color('alpha'), prompt).toBe('blue');
    expect((await live())?.metadata.labels?.['flotilla.dev/bundle']).toBe('dev.web');
    await expect.poll(async () => (await replaced()).length, prompt).toBe(1);
    const [d] = await replaced();
    expect(d).toMatchObject({ cluster: 'alpha', target: 'web', environment: 'dev', corrected: true });
    expect(d?.fields).toContainEqual(
      expect.objectContaining({ path: '/data/color', desired: '"blue"', live: '"red"' }),
    );
    const table = ok(await fleet('drift', '--history'));
    expect(table).toMatch(new RegExp(`alpha\\s+ConfigMap/${ns}/web\\s+web\\s+dev\\s+kubectl-replace`));
    // Corrected: not current drift.
    expect(ok(await fleet('drift'))).not.toContain(`ConfigMap/${ns}/web`);
  });

  it('hub down: the agent corrects it alone; back later, the hub dates it when it happened, not when it heard', async () => {
    await w.stopHub();
    const replacedAt = Date.now();
    await replaceWeb('green');
    await expect.poll(() => w.color('alpha'), prompt).toBe('blue');
    const correctedBy = Date.now();
    expect((await live())?.metadata.labels?.['flotilla.dev/bundle']).toBe('dev.web');

    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const hubBack = Date.now();
    await w.startHub([]);
    await expect.poll(async () => (await replaced()).length, converge).toBe(2);
    const d = (await replaced()).find((x) => x.fields.some((f) => (f as { live?: string }).live === '"green"'));
    expect(d).toMatchObject({ corrected: true, manager: 'kubectl-replace' });
    const ms = (iso: string | undefined) => Date.parse(iso ?? '');
    // The agent's times (its clock is this machine's): within the outage, seconds before the hub was back.
    // The agent takes its correction time once its apply has returned, which can be a moment after
    // this test's read already saw the object restored: a second of slack, far below the outage.
    for (const t of [d?.detectedAt, d?.correctedAt]) {
      expect(ms(t)).toBeGreaterThanOrEqual(replacedAt - 1000);
      expect(ms(t)).toBeLessThanOrEqual(correctedBy + 1000);
      expect(ms(t)).toBeLessThan(hubBack - OUTAGE_MS / 2);
    }
    expect(ms(d?.correctedAt)).toBeGreaterThanOrEqual(ms(d?.detectedAt));
    expect(ms(d?.reportedAt)).toBeGreaterThanOrEqual(hubBack);
    // `fleet drift`'s ages count from then too: the newest row was detected and corrected before the outage.
    const [, , , , , detected, corrected] = ok(await fleet('drift', '--history'))
      .split('\n')[1]!
      .split(/\s+/);
    const seconds = (age = '') => {
      const [, n, unit] = /^(\d+)([sm])$/.exec(age) ?? [];
      return Number(n) * (unit === 'm' ? 60 : 1);
    };
    expect(seconds(detected)).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
    expect(seconds(corrected)).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
  });
});
