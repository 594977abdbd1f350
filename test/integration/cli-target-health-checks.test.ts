// `fleet targets health-checks` (issue #27), as a user runs it: the fleet binary against a hub process.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetView } from '@flotilla/proto/api';
import { REPO_ROOT } from '../harness/kube/binaries.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { FLEET, runFleet, userEnv } from '../harness/fleet-cli.js';
import { hubProcess, type HubProcess } from '../harness/hub.js';

const HUB = join(REPO_ROOT, 'hub/dist/main.js');

const RULES = `# Flux's shape: a list of rules
- apiVersion: cert-manager.io/v1
  kind: Certificate
  failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False')"
  current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')"
`;

describe('fleet targets health-checks', () => {
  let git: GitServer;
  let dir: string;
  let hub: HubProcess | undefined;
  let env: NodeJS.ProcessEnv;

  const fleet = (args: string[]) => runFleet(args, { env, cwd: dir });

  beforeAll(async () => {
    for (const built of [FLEET, HUB]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -b)`);
    }
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/certs/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n',
    });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-health-'));
    hub = await hubProcess({ dataDir: dir, entry: [HUB], env: userEnv(dir, { FLOTILLA_LOG_LEVEL: 'warn' }) });
    await hub.start();
    const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    env = userEnv(dir, { FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: token });
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    writeFileSync(join(dir, 'broken.yaml'), RULES.replace("c.status == 'True')", "c.status == 'True'"));
    writeFileSync(join(dir, 'not-a-list.yaml'), 'kind: Certificate\n');
    for (const args of [
      ['repos', 'add', 'config', git.url('config'), '--poll', '5s'],
      ['environments', 'create', 'prod', '--repo', 'config', '--branch', 'main', '--selector', 'env=prod'],
      ['targets', 'add', 'certs', '-r', 'config', '-p', 'apps/certs', '-e', 'prod'],
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

  it('sets the rules from a YAML file and shows them with the target; --clear removes them', async () => {
    const set = await fleet(['targets', 'health-checks', 'certs', '--file', 'rules.yaml', '-o', 'json']);
    expect(set.code, set.stderr).toBe(0);
    expect((JSON.parse(set.stdout) as TargetView).options.healthChecks).toEqual([
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
        inProgress: '',
        failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False')",
      },
    ]);
    const cleared = await fleet(['targets', 'health-checks', 'certs', '--clear', '-o', 'json']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect((JSON.parse(cleared.stdout) as TargetView).options.healthChecks).toBeUndefined();
  });

  it("refuses an expression that does not parse, naming the rule's field", async () => {
    const r = await fleet(['targets', 'health-checks', 'certs', '-f', 'broken.yaml']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/healthChecks\[0\]\.current: /);
  });

  it('refuses a file that is not a list of rules, or no file at all, before asking the hub (exit 2)', async () => {
    const notList = await fleet(['targets', 'health-checks', 'certs', '-f', 'not-a-list.yaml']);
    expect(notList.code).toBe(2);
    expect(notList.stderr).toMatch(/--file not-a-list\.yaml: expected a list of rules/);
    const missing = await fleet(['targets', 'health-checks', 'certs', '-f', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--file nope\.yaml: cannot read it \(ENOENT\)/);
    expect((await fleet(['targets', 'health-checks', 'certs'])).code).toBe(2);
  });
});
