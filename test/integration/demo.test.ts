import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/kube/binaries.js';

interface Summary {
  ok: boolean;
  steps: { title: string; ok?: boolean; ms?: number; note?: string }[];
}

/**
 * The README's main command, end to end: three simulated clusters, the hub, a Git server and an
 * agent per cluster, driven by the fleet CLI through registration, a commit, drift, two promotions
 * and a rollback. Uses the built packages (the check run builds before testing).
 */
describe('npm run demo -- --no-wait', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every step and exits 0', { timeout: 600_000 }, async () => {
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', join(REPO_ROOT, 'scripts/demo.ts'), '--no-wait'],
        { cwd: REPO_ROOT, env: { ...process.env, FLOTILLA_DEMO_DIR: dir }, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
      );
      child.stdin?.end();
    });
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
    expect({ code, failed: summary.steps.filter((s) => !s.ok) }, out).toEqual({ code: 0, failed: [] });
    expect(summary.steps.map((s) => s.title)).toEqual([
      'Check the build and the Kubernetes test binaries',
      'Start three simulated clusters: dev, staging, prod',
      'Start a Git server with the configuration repository (branches dev, staging, prod)',
      'Start the hub (SQLite store, its own CA, gRPC and the HTTP API over TLS)',
      'Tell the hub what to deploy: a repo, three environments, one target',
      'Register the clusters and start one agent in each',
      'First rollout: every cluster converges on guestbook v1',
      'Commit a change to dev → converged on the dev cluster',
      'Inject drift (someone scales the frontend by hand) → the agent corrects it',
      'Promote dev → staging, then staging → prod (gated on staging being healthy)',
      'Roll prod back: a revert commit on its branch, rolled out like any commit',
    ]);
    expect(out).toMatch(/Every step succeeded/);
    // Agents dial the hub by IP address: never as the TLS server name (issue #19, item 8).
    for (const env of ['dev', 'staging', 'prod']) {
      expect(readFileSync(join(dir, `agent-${env}.log`), 'utf8')).not.toMatch(/DEP0123|DeprecationWarning/);
    }
  });
});
