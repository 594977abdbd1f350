import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { store as hubStore } from '@flotilla/hub';
import { REPO_ROOT } from '../harness/kube/binaries.js';
import { hubProcess, type HubProcess } from '../harness/hub.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';

/**
 * Issue #19, item 6: a hub started as the README says, after `npm run setup`, with no --helm or
 * --kustomize and neither tool on PATH, renders Helm charts and kustomizations with the ones setup
 * built (linked into the checkout's .flotilla/bin), inside the render sandbox.
 */
describe('flotilla-hub finds the helm and kustomize that setup built', () => {
  let git: GitServer;
  let root: string;
  let dataDir: string;
  let hub: HubProcess | undefined;

  const renderStates = () => {
    const s = hubStore.openStore(join(dataDir, 'hub.db'));
    try {
      return Object.fromEntries(
        ['chart', 'kustomized'].map((t) => {
          const r = s.renderStatus.get(t, 'dev');
          return [t, r ? `${r.state}${r.state === 'Failed' ? `: ${r.message}` : ''}` : 'pending'];
        }),
      );
    } finally {
      s.close();
    }
  };

  beforeAll(async () => {
    // setup's step (scripts/setup.sh runs it): link the tools kube-binaries.sh built into .flotilla/bin.
    execFileSync('bash', [join(REPO_ROOT, 'scripts/render-tools.sh')], { stdio: 'ignore' });
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'apps/chart/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-chart\ndata:\n  via: helm\n',
      'apps/kustomized/kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: k-\n',
      'apps/kustomized/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
    });
    root = mkdtempSync(join(tmpdir(), 'flotilla-hub-tools-'));
    dataDir = join(root, 'hub');
    // PATH has what the hub needs besides the render tools (git, bubblewrap), and no helm or kustomize.
    const bin = join(root, 'path');
    mkdirSync(bin);
    for (const tool of ['git', 'bwrap']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
    hub = await hubProcess({
      dataDir,
      env: { PATH: bin, FLOTILLA_HELM: undefined, FLOTILLA_KUSTOMIZE: undefined },
    });
    await hub.start();
    await hub.api('/api/v1/repos', 'POST', { name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 });
    await hub.api('/api/v1/environments', 'POST', { name: 'dev', repo: 'config', branch: 'main', selector: 'env=dev' });
    await hub.api('/api/v1/clusters', 'POST', { name: 'c1', labels: { env: 'dev' } });
    for (const name of ['chart', 'kustomized']) {
      await hub.api('/api/v1/targets', 'POST', { name, repo: 'config', path: `apps/${name}`, environments: ['dev'] });
    }
  }, 120_000);

  afterAll(async () => {
    await hub?.stop();
    await git?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it(
    'renders a chart and a kustomization with no flags, and logs where it found each tool',
    { timeout: 90_000 },
    async () => {
      await expect
        .poll(renderStates, { timeout: 45_000, interval: 200 })
        .toEqual({ chart: 'Rendered', kustomized: 'Rendered' });
      const log = hub!.proc.output();
      for (const tool of ['helm', 'kustomize']) {
        expect(log).toContain(`"tool":"${tool}","path":"${join(REPO_ROOT, '.flotilla', 'bin', tool)}"`);
      }
      expect(log).not.toMatch(/renderToolMissing|renderFailed/);
    },
  );
});
