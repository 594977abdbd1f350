import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { DeploymentView, RetryRequested, StatusView } from '@flotilla/proto/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { waitFor } from '../../harness/wait.js';
import { e2eWorld, type E2eWorld } from './e2e-support.js';

// Issue #19, item 3: after a failed apply nothing but the agent's 5-minute resync tried again, so a
// cause fixed in the cluster (a namespace created by hand) left the deployment ErrApplied for
// minutes, and nobody could ask for a retry. Now a failed apply is retried with backoff (2 s
// doubling), the hub shows when and why, and `fleet deployments retry` applies at once.

const clusters = inject('kubeClusters');
const suffix = Math.random().toString(16).slice(2, 8);
const ns = `rty-web-${suffix}`;
const shop = `rty-shop-${suffix}`;
const later = `rty-later-${suffix}`;
const agentNs = `rty-agent-${suffix}`;
const target = `orders-${suffix}`;
const converge = { timeout: 60_000, interval: 500 };

const configMap = (namespace: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orders\n  namespace: ${namespace}\ndata: {a: "1"}\n`;

describe('a failed apply is retried with backoff, and at once when asked', () => {
  let w: E2eWorld;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-retry-'));
  const core = kubeClient(clusterByName(clusters, 'alpha')).makeApiClient(CoreV1Api);
  const fleet = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(REPO_ROOT, 'cli/bin/run.js'), ...args], { cwd: REPO_ROOT, env }, (e, o, r) =>
        resolve({ code: e ? Number(e.code ?? 1) : 0, stdout: o, stderr: r }),
      ),
    );
  const deployment = async (): Promise<DeploymentView | undefined> => {
    const r = await fleet('deployments', 'list', '--cluster', 'alpha', '--target', target, '--output', 'json');
    return (JSON.parse(r.stdout || '[]') as DeploymentView[])[0];
  };
  const startAgent = (extra: string[] = []) => void w.joinAgent('alpha', { namespace: agentNs, extra });

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'cli/dist/commands/deployments')))
      throw new Error('the CLI is not built: run `npx tsc -b` first');
    w = await e2eWorld(dir, [clusterByName(clusters, 'alpha')], ns, { targets: ['web', target] });
    // The ConfigMap names a namespace nothing creates: every apply fails until someone does.
    await w.git.commitFiles('config', { [`apps/${target}/configmap.yaml`]: configMap(shop) }, { branch: 'dev' });
    await w.startHub([]);
    await waitFor(() => existsSync(join(w.hubDir, 'admin.token')), { what: 'admin token', timeoutMs: 10_000 });
    env = {
      ...process.env,
      FLOTILLA_CONFIG: join(dir, 'fleet.json'),
      FLOTILLA_HUB_URL: `http://127.0.0.1:${w.httpPort}`,
      FLOTILLA_TOKEN: readFileSync(join(w.hubDir, 'admin.token'), 'utf8').trim(),
      NO_COLOR: '1',
    };
    // 2 s doubling as by default, capped at 10 s rather than 5 min: on a loaded machine the checks below
    // can take long enough for the default backoff to reach a minute, and the recovery would wait for it.
    startAgent(['--retry-max-seconds', '10']);
  });

  afterAll(async () => {
    await w?.stop();
    for (const name of [shop, later, agentNs]) await core.deleteNamespace({ name }).catch(() => undefined);
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('shows the failure, its reason and the next retry, and retries on its own within seconds once the cause is fixed', async () => {
    await expect.poll(async () => (await deployment())?.retry?.attempt ?? 0, converge).toBeGreaterThanOrEqual(1);
    const failing = (await deployment())!;
    expect(failing.state).toBe('ErrApplied');
    expect(failing.retry?.reason).toBe(`ConfigMap/${shop}/orders: namespaces "${shop}" not found`);
    // Seconds away, not the resync's minutes (the agent's clock and this one are the same machine's).
    expect(Date.parse(failing.retry!.at) - Date.now()).toBeLessThan(60_000);
    const table = (await fleet('deployments', 'list', '--cluster', 'alpha', '--target', target)).stdout;
    expect(table.split('\n')[0]).toMatch(/STATE\s+READY\s+RETRY\s+REVISION/);
    expect(table.split('\n')[1]).toMatch(new RegExp(`${target}\\s+ErrApplied\\s+0/1\\s+#\\d+ (in \\d+s|now)\\s`));
    const status = JSON.parse((await fleet('status', '--output', 'json')).stdout) as StatusView;
    const row = status.environments[0]?.clusters[0]?.targets.find((t) => t.target === target);
    expect(row?.retry?.reason).toContain('not found');
    expect((await fleet('status')).stdout).toMatch(
      new RegExp(`${target}: ErrApplied \\(retry #\\d+ (in \\d+s|now)\\)`),
    );

    // The cause is fixed in the cluster, by hand; the agent notices nothing (no watched object
    // changed): only its backoff brings it back.
    const fixedAt = Date.now();
    await core.createNamespace({ body: { metadata: { name: shop } } });
    await expect.poll(async () => (await deployment())?.state, converge).toBe('Ready');
    const recoveredMs = Date.now() - fixedAt;
    console.log(`recovered ${recoveredMs} ms after the namespace was created (the resync comes after 300 s)`);
    expect(recoveredMs).toBeLessThan(45_000);
    expect((await deployment())?.retry).toBeUndefined();
  });

  it('`fleet deployments retry` applies at once, long before the next scheduled retry', async () => {
    // An agent whose backoff starts at two minutes: a retry within seconds is the one asked for.
    await w.stopAgent('alpha');
    startAgent(['--retry-base-seconds', '120']);
    await w.git.commitFiles('config', { [`apps/${target}/configmap.yaml`]: configMap(later) }, { branch: 'dev' });
    await expect
      .poll(async () => (await deployment())?.retry?.reason ?? '', converge)
      .toBe(`ConfigMap/${later}/orders: namespaces "${later}" not found`);
    const scheduled = Date.parse((await deployment())!.retry!.at);
    expect(scheduled - Date.now()).toBeGreaterThan(30_000);

    await core.createNamespace({ body: { metadata: { name: later } } });
    const askedAt = Date.now();
    const asked = await fleet('deployments', 'retry', '--cluster', 'alpha', '--output', 'json');
    expect(asked.code, asked.stderr).toBe(0);
    expect(JSON.parse(asked.stdout) as RetryRequested[]).toEqual([
      { cluster: 'alpha', target, environment: 'dev', state: 'ErrApplied', connected: true },
    ]);
    await expect.poll(async () => (await deployment())?.state, converge).toBe('Ready');
    console.log(
      `applied ${Date.now() - askedAt} ms after the retry was asked for (scheduled ${scheduled - askedAt} ms on)`,
    );
    expect(Date.now()).toBeLessThan(scheduled);
    expect(w.agentLog('alpha')).toContain('"msg":"retryRequested"');
    // Nothing left to retry: a Ready deployment is left alone; the table says so.
    expect((await fleet('deployments', 'retry', '--cluster', 'alpha')).stdout).toMatch(/^Nothing to retry/);
    // Who asked is on the record.
    const events = JSON.parse((await fleet('events', '--kind', 'RetryRequested', '--output', 'json')).stdout) as {
      actor?: string;
      target?: string;
    }[];
    expect(events.map((e) => [e.actor, e.target])).toEqual([['bootstrap-admin', target]]);
  });
});
