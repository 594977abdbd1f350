// `fleet targets add` with Helm values (issue #19, item 10), as a user runs it: the fleet binary
// against a hub process (built dist/), with real Git over HTTP and helm in the render sandbox.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleDetail, DeploymentView, TargetView } from '@flotilla/proto/api';
import { REPO_ROOT } from '../harness/kube/binaries.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { FLEET, fleetJson, runFleet, userEnv } from '../harness/fleet-cli.js';
import { hubProcess, type HubProcess } from '../harness/hub.js';

const HUB = join(REPO_ROOT, 'hub/dist/main.js');

// The object's name shows which layer each value came from.
const CHART = {
  'charts/shop/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n',
  'charts/shop/values.yaml': 'prefix: chart\nname: chart\nsuffix: chart\n',
  'charts/shop/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.prefix }}-{{ .Values.name }}-{{ .Values.suffix }}\n',
  'charts/shop/values-repo.yaml': 'suffix: repo\n',
  'charts/shop/fleet.yaml': 'helm:\n  values: {prefix: fleet, name: fleet}\n',
};

describe('fleet targets add: Helm values and values files', () => {
  let git: GitServer;
  let dir: string;
  let hub: HubProcess | undefined;
  let env: NodeJS.ProcessEnv;

  const fleet = (args: string[]) => runFleet(args, { env, cwd: dir });
  const json = <T>(args: string[]) => fleetJson<T>(args, { env, cwd: dir });

  beforeAll(async () => {
    for (const built of [FLEET, HUB]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -b)`);
    }
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', CHART);
    dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-helm-'));
    hub = await hubProcess({ dataDir: dir, entry: [HUB], env: userEnv(dir, { FLOTILLA_LOG_LEVEL: 'warn' }) });
    await hub.start();
    const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    env = userEnv(dir, { FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: token });
    writeFileSync(join(dir, 'prod.yaml'), 'prefix: local\nname: local\n');
    writeFileSync(join(dir, 'list.yaml'), '- a\n');
    for (const args of [
      ['repos', 'add', 'config', git.url('config'), '--poll', '5s'],
      ['environments', 'create', 'prod', '--repo', 'config', '--branch', 'main', '--selector', 'env=prod'],
      ['clusters', 'register', 'p1', '--label', 'env=prod'],
    ]) {
      const r = await fleet(args);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    await hub?.stop();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores --values-file, --set and --repo-values-file with the target, and the chart renders with them', async () => {
    const added = await fleet([
      'targets',
      'add',
      'shop',
      '-r',
      'config',
      '-p',
      'charts/shop',
      '-e',
      'prod',
      '--values-file',
      'prod.yaml',
      '--set',
      'name=cli',
      '--repo-values-file',
      'values-repo.yaml',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const target = await json<TargetView>(['targets', 'get', 'shop']);
    expect(target.options).toEqual({
      helm: { values: { prefix: 'local', name: 'cli' }, valuesFiles: ['values-repo.yaml'] },
    });
    // prefix: the local file over fleet.yaml's inline value; name: --set over the file; suffix: the repo file.
    let deployment: DeploymentView | undefined;
    await expect
      .poll(
        async () => {
          [deployment] = await json<DeploymentView[]>(['deployments', 'list', '--target', 'shop']);
          return deployment?.bundle;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBeTruthy();
    const bundle = await json<BundleDetail>(['bundles', 'get', deployment?.bundle ?? '']);
    expect(bundle.objects.map((o) => o.name)).toEqual(['local-cli-repo']);
  });

  it.each([
    [['--values-file', 'missing.yaml'], /--values-file missing\.yaml: cannot read it \(ENOENT\)/],
    [['--values-file', 'list.yaml'], /--values-file list\.yaml must hold a map of Helm values, found a list/],
    [['--set', 'novalue'], /--set "novalue" is not key=value/],
    [
      ['--repo-values-file', '../../etc/passwd'],
      /options\.helm\.valuesFiles\[0\] "\.\.\/\.\.\/etc\/passwd" must be a path inside the repository/,
    ],
  ])('refuses %j with exit code 2, naming the flag or field', async (flags, message) => {
    const r = await fleet(['targets', 'add', 'bad', '-r', 'config', '-p', 'charts/shop', '-e', 'prod', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
