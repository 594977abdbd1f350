// The `fleet` binary as a user runs it: a process per command, against a real hub process (built
// dist/), with real Git over HTTP. Agents are not part of this suite (end-to-end covers them), so
// deployments stay Pending here: that is what `status --exit-status` and `--wait` timeouts are tested on.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../harness/kube/binaries.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { FLEET, runFleet, userEnv, type FleetRun } from '../harness/fleet-cli.js';
import { hubProcess, type HubProcess } from '../harness/hub.js';

const HUB = join(REPO_ROOT, 'hub/dist/main.js');

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe('fleet CLI against a hub process', () => {
  let git: GitServer;
  let dir: string;
  let grpcPort: number;
  let hub: HubProcess | undefined;
  let hubUrl: string;
  let adminToken: string;
  const tokens: Record<'viewer' | 'operator', string> = { viewer: '', operator: '' };
  const configFile = () => join(dir, 'home', 'fleet.json');

  /** The environment of a user's shell: no FLOTILLA_* from the test runner, a home of its own. */
  const baseEnv = (): NodeJS.ProcessEnv => userEnv(join(dir, 'home'));

  /** Runs `fleet ARGS`; `as` picks a token by role (admin uses the saved login), `env` adds variables. */
  const fleet = (
    args: string[],
    o: { as?: 'viewer' | 'operator' | 'anonymous'; env?: NodeJS.ProcessEnv; stdin?: string } = {},
  ): Promise<FleetRun> => {
    const env = { ...baseEnv(), ...o.env };
    if (o.as === 'anonymous') env.FLOTILLA_HUB_URL = hubUrl;
    else if (o.as) Object.assign(env, { FLOTILLA_HUB_URL: hubUrl, FLOTILLA_TOKEN: tokens[o.as] });
    return runFleet(args, { env, cwd: dir, ...(o.stdin !== undefined ? { stdin: o.stdin } : {}) });
  };
  const json = async <T>(args: string[], o: Parameters<typeof fleet>[1] = {}): Promise<T> => {
    const r = await fleet([...args, '-o', 'json'], o);
    if (r.code !== 0) throw new Error(`fleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  beforeAll(async () => {
    for (const built of [FLEET, HUB, join(REPO_ROOT, 'cli/dist/commands/status.js')]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -b)`);
    }
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'apps/web/cm.yaml': configMap('web', 'v1') });
    for (const b of ['dev', 'staging', 'prod', 'lab']) await git.createBranch('config', b, 'main');
    dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
    hub = await hubProcess({ dataDir: dir, entry: [HUB], env: { ...baseEnv(), FLOTILLA_LOG_LEVEL: 'warn' } });
    ({ grpcPort } = hub);
    hubUrl = hub.url;
    await hub.start();
    adminToken = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  });

  afterAll(async () => {
    await hub?.stop();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses without a hub, without a token, and with a wrong token (exit 4, with what to do)', async () => {
    const none = await fleet(['clusters', 'list']);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/no hub to talk to\nHint: run `fleet login/);

    const anonymous = await fleet(['clusters', 'list'], { as: 'anonymous' });
    expect(anonymous.code).toBe(4);
    expect(anonymous.stderr).toMatch(/^Error: .*bearer token/m);
    expect(anonymous.stderr).toMatch(/^Hint: .*fleet login/m);

    const wrong = await fleet(['login', '--hub', hubUrl, '--token', 'flapi_not-a-token']);
    expect(wrong.code).toBe(4);
    expect(existsSync(configFile())).toBe(false);

    const asJson = await fleet(['whoami', '-o', 'json'], { as: 'anonymous' });
    expect(asJson.code).toBe(4);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('logs in (token from stdin), saves the login readable by its owner only, and says who it is', async () => {
    const login = await fleet(['login', '--hub', hubUrl, '--token-stdin'], { stdin: `${adminToken}\n` });
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/Logged in to:\s+http:\/\/127\.0\.0\.1:\d+\nAs:\s+bootstrap-admin \(admin\)/);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ hubUrl, token: adminToken });
    expect(await json(['whoami'])).toEqual({ name: 'bootstrap-admin', role: 'admin', hubUrl });
    // The environment wins over the saved login.
    const env = await fleet(['whoami'], { env: { FLOTILLA_TOKEN: 'flapi_wrong' } });
    expect(env.code).toBe(4);
  });

  it('creates, lists and revokes API tokens; roles are enforced (exit 4 naming the role)', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const created = await json<{ token: string; role: string }>(['tokens', 'create', `${role}-bot`, '--role', role]);
      expect(created.role).toBe(role);
      tokens[role] = created.token;
    }
    const table = await fleet(['tokens', 'list']);
    expect(table.stdout).toMatch(/^NAME\s+ROLE\s+CREATED BY/);
    expect(table.stdout).toMatch(/^operator-bot\s+operator\s+bootstrap-admin/m);

    expect((await fleet(['clusters', 'list'], { as: 'viewer' })).code).toBe(0);
    const viewerWrites = await fleet(['clusters', 'register', 'x1'], { as: 'viewer' });
    expect(viewerWrites.code).toBe(4);
    expect(viewerWrites.stderr).toMatch(/operator/);
    const operatorAdmin = await fleet(['repos', 'add', 'r', 'https://example.com/r.git'], { as: 'operator' });
    expect(operatorAdmin.code).toBe(4);
    expect(operatorAdmin.stderr).toMatch(/admin/);
    expect((await fleet(['tokens', 'list'], { as: 'operator' })).code).toBe(4);

    await json(['tokens', 'create', 'short-lived', '--role', 'viewer', '--ttl', '1h']);
    const revoked = await fleet(['tokens', 'revoke', 'short-lived']);
    expect(revoked).toMatchObject({ code: 0, stdout: 'Revoked token short-lived.\n' });
    expect((await fleet(['tokens', 'revoke', 'no-such-token'])).code).toBe(3);
    expect((await fleet(['tokens', 'create', 'x', '--role', 'root'])).code).toBe(2);
  });

  it('adds, lists, gets and syncs repos; a duplicate is a conflict (5), an unknown one not found (3)', async () => {
    const added = await fleet(['repos', 'add', 'config', git.url('config'), '--poll', '5s']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Name:\s+config$/m);
    expect(added.stdout).toMatch(/^Poll interval:\s+5s$/m);
    const again = await fleet(['repos', 'add', 'config', git.url('config')]);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/already exists\nHint: /);
    const badPoll = await fleet(['repos', 'add', 'other', git.url('config'), '--poll', '1s']);
    expect(badPoll.code).toBe(2);
    expect((await fleet(['repos', 'sync', 'config'], { as: 'operator' })).stdout).toBe(
      'Fetch of repo config requested.\n',
    );
    const list = await json<{ name: string; url: string }[]>(['repos', 'list']);
    expect(list).toEqual([expect.objectContaining({ name: 'config', url: git.url('config') })]);
    expect((await fleet(['repos', 'get', 'nope'])).code).toBe(3);
    expect((await fleet(['repos', 'get', 'config', '-o', 'yaml'])).stdout).toMatch(/^name: config$/m);
  });

  it('registers and labels clusters, and sets groups that select them', async () => {
    const reg = await json<{ cluster: string; token: string; expiresAt: string }>(
      ['clusters', 'register', 'c1', '--label', 'fleet=demo,env=dev', '--ttl', '30m'],
      { as: 'operator' },
    );
    expect(reg.cluster).toBe('c1');
    expect(reg.token.length).toBeGreaterThan(20);
    await json(['clusters', 'register', 'c3', '-l', 'fleet=demo', '-l', 'env=prod']);
    const text = await fleet(['clusters', 'register', 'c2', '-l', 'fleet=demo']);
    expect(text.stdout).toMatch(/^Token:\s+\S+$/m);
    expect(text.stdout).toMatch(/shown once/);

    const labelled = await fleet(['clusters', 'label', 'c2', 'region=eu', 'fleet-'], { as: 'operator' });
    expect(labelled.code).toBe(0);
    expect(labelled.stdout).toMatch(/^c2\s.*region=eu$/m);
    await fleet(['clusters', 'label', 'c2', 'fleet=demo', 'env=staging']);
    expect((await fleet(['clusters', 'label', 'c2'])).code).toBe(2);
    expect((await fleet(['clusters', 'label', 'c9', 'a=b'])).code).toBe(3);

    const list = await fleet(['clusters', 'list']);
    expect(list.stdout).toMatch(/^NAME\s+STATE\s+CONDITION\s+DEPLOYMENTS\s+LAST SEEN\s+AGENT\s+LABELS$/m);
    expect(list.stdout).toMatch(/^c1\s+\S+\s+NeverSeen\s.*env=dev,fleet=demo$/m);

    const group = await fleet(['groups', 'set', 'demo', 'fleet=demo']);
    expect(group.stdout).toMatch(/^Clusters:\s+c1,c2,c3$/m);
    await fleet(['groups', 'set', 'dev', 'env=dev']);
    expect(await json(['groups', 'get', 'dev'])).toMatchObject({ selector: 'env=dev', clusters: ['c1'] });
    expect((await json<unknown[]>(['groups', 'list'])).length).toBe(2);
    expect((await fleet(['groups', 'get', 'nope'])).code).toBe(3);
    expect((await fleet(['groups', 'set', 'bad', 'fleet in ('])).code).toBe(2);
    expect((await fleet(['clusters', 'get', 'c1'])).stdout).toMatch(/^Groups:\s+demo,dev$/m);
    expect((await fleet(['clusters', 'get', 'nope'])).code).toBe(3);
  });

  it('prints the agent manifests with the hub address, CA and a fresh token; install checks the kube context first', async () => {
    // c1 exists: a new token would replace its agent's credential, which is an admin's to do.
    const operatorTakeover = await fleet(['agent', 'manifest', '--cluster', 'c1', '--register'], { as: 'operator' });
    expect(operatorTakeover.code).toBe(4);
    expect(operatorTakeover.stderr).toMatch(/cluster c1 already exists, and only an admin may mint a token for it/);
    const printed = await fleet(['agent', 'manifest', '--cluster', 'c1', '--register']);
    expect(printed.code, printed.stderr).toBe(0);
    const docs = parseAllDocuments(printed.stdout).map((d) => d.toJS() as { kind: string; [k: string]: unknown });
    expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(['Namespace', 'Secret', 'Deployment']));
    const secret = docs.find((d) => d.kind === 'Secret') as unknown as { stringData: Record<string, string> };
    expect(secret.stringData.token).toMatch(/\S{20,}/);
    expect(secret.stringData['ca.crt']).toContain('-----BEGIN CERTIFICATE-----');
    expect(printed.stdout).toContain(`value: 127.0.0.1:${grpcPort}`);
    const asJson = await json<{ kind: string }[]>(['agent', 'manifest', '-c', 'c1']);
    expect(asJson[0]?.kind).toBe('Namespace');
    const image = await fleet(['agent', 'manifest', '-c', 'c1', '--image', 'registry.local/agent:dev']);
    expect(image.stdout).toContain('image: registry.local/agent:dev');
    expect(image.stdout).not.toMatch(/^\s+token:/m);
    expect((await fleet(['agent', 'manifest', '-c', 'c1', '--hub-address', 'no-port'])).code).toBe(1);

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: only, cluster: { server: "https://127.0.0.1:1" } }]',
        'users: [{ name: only, user: { token: x } }]',
        'contexts: [{ name: only, context: { cluster: only, user: only } }]',
        'current-context: only',
        '',
      ].join('\n'),
    );
    const install = await fleet([
      'agent',
      'install',
      '--context',
      'elsewhere',
      '--cluster',
      'c9',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(install.code).toBe(1);
    expect(install.stderr).toMatch(/kube context "elsewhere" is not in the kubeconfig\nHint: contexts: only/);
    // Nothing was registered for a context that does not exist.
    expect((await fleet(['clusters', 'get', 'c9'])).code).toBe(3);
    const unreachable = await fleet(['agent', 'install', '--context', 'only', '-c', 'c9', '--kubeconfig', kubeconfig]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/applying Namespace\/flotilla-system through context only failed/);
    await fleet(['clusters', 'remove', 'c9']);
  });

  it('creates environments and targets; the hub renders them into deployments', async () => {
    // The chain is built from its end: an environment promotes only to one that exists. A cluster
    // belongs to one environment per target, so each selects its own.
    for (const args of [
      ['prod', '--selector', 'env=prod'],
      ['staging', '--selector', 'env=staging', '--promotes-to', 'prod'],
      ['dev', '--group', 'dev', '--promotes-to', 'staging'],
    ]) {
      const r = await fleet(['environments', 'create', ...args, '--repo', 'config']);
      expect(r.code, r.stderr).toBe(0);
    }
    // An environment that selects no cluster at all.
    await json(['environments', 'create', 'lab', '--repo', 'config', '--selector', 'fleet=nowhere']);
    const dup = await fleet(['environments', 'create', 'dev', '--repo', 'config', '--group', 'dev']);
    expect(dup.code).toBe(5);
    const noRepo = await fleet(['environments', 'create', 'qa', '--repo', 'nope']);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toMatch(/repo "nope" does not exist/);
    expect((await fleet(['environments', 'create', 'qa', '--repo', 'config', '-g', 'a', '-s', 'b=c'])).code).toBe(2);

    const target = await fleet([
      'targets',
      'add',
      'web',
      '-r',
      'config',
      '-p',
      'apps/web',
      '-e',
      'dev,staging',
      '-e',
      'prod',
      '-e',
      'lab',
    ]);
    expect(target.code, target.stderr).toBe(0);
    expect(target.stdout).toMatch(/^Environments:\s+dev,staging,prod,lab$/m);
    expect((await fleet(['targets', 'add', 'web', '-r', 'config', '-p', 'apps/web', '-e', 'dev'])).code).toBe(5);
    expect(
      (await fleet(['targets', 'add', 'x', '-r', 'config', '-p', 'apps/x', '-e', 'dev', '--option', 'colour=red']))
        .code,
    ).toBe(2);
    expect((await fleet(['targets', 'get', 'web'])).stdout).toMatch(/^Path:\s+apps\/web$/m);
    expect((await json<unknown[]>(['targets', 'list'])).length).toBe(1);
    expect((await fleet(['targets', 'get', 'nope'])).code).toBe(3);

    await expect
      .poll(async () => (await json<unknown[]>(['deployments', 'list', '--environment', 'dev'])).length, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(1);
    const envs = await fleet(['environments', 'list']);
    expect(envs.stdout).toMatch(/^NAME\s+STATE\s+REPO\s+BRANCH\s+COMMIT\s+CLUSTERS\s+SELECTS\s+PROMOTES TO$/m);
    expect(envs.stdout).toMatch(/^dev\s+\S+\s+config\s+dev\s+[0-9a-f]{7}\s+1\s+group dev\s+staging$/m);
    expect(await json(['environments', 'get', 'lab'])).toMatchObject({ clusters: [], selector: 'fleet=nowhere' });
    expect((await fleet(['environments', 'get', 'nope'])).code).toBe(3);
  });

  it('shows status worst first, and --exit-status fails (6) while deployments are not Ready', async () => {
    const status = await fleet(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Fleet: \w+ \(4 environments\)$/m);
    expect(status.stdout).toMatch(/^ENVIRONMENT\s+COMMIT\s+CLUSTER\s+CONDITION\s+STATE/m);
    expect(status.stdout).toMatch(/^lab\s+[0-9a-f]{7}\s+\(no clusters\)/m);
    const view = await json<{ state: string; environments: { name: string }[] }>(['status', '--environment', 'dev']);
    expect(view.environments.map((e) => e.name)).toEqual(['dev']);
    const gate = await fleet(['status', '--exit-status']);
    expect(gate.code).toBe(6);
    expect(gate.stderr).toMatch(/not Ready/);
  });

  it('lists bundles and deployments, gets a bundle by digest, and shows drift (none)', async () => {
    const bundles = await json<{ digest: string; objectCount: number }[]>(['bundles', 'list']);
    expect(bundles.length).toBeGreaterThan(0);
    const digest = bundles[0]!.digest;
    const bundle = await fleet(['bundles', 'get', digest]);
    expect(bundle.stdout).toMatch(/^Objects:\n\s+KIND\s+API VERSION\s+NAMESPACE\s+NAME\n\s+ConfigMap\s+v1\s+-\s+web$/m);
    expect((await fleet(['bundles', 'get', `sha256:${'0'.repeat(64)}`])).code).toBe(3);
    const deployments = await fleet(['deployments', 'list', '--cluster', 'c1']);
    // READY counts objects as the agent reports them: none has reported yet.
    expect(deployments.stdout).toMatch(/^CLUSTER\s+ENVIRONMENT\s+TARGET\s+STATE\s+READY\s+RETRY\s+REVISION/m);
    expect(deployments.stdout).toMatch(/^c1\s+dev\s+web\s+Pending\s+-\s+-\s/m);
    expect(deployments.stdout.trim().split('\n')).toHaveLength(2);
    expect((await fleet(['deployments', 'list', '--state', 'Broken'])).code).toBe(2);
    expect((await fleet(['drift'])).stdout).toBe('No drift.\n');
    expect(await json(['drift', '--cluster', 'c1', '--history'])).toEqual([]);
  });

  it('promotes: fast-forward, up to date, refused on conflict (5, listing files) and when not healthy (5)', async () => {
    await git.commitFiles('config', { 'apps/web/extra.yaml': configMap('extra', 'v1') }, { branch: 'dev' });
    const ff = await fleet(['promote', 'dev', 'staging'], { as: 'operator' });
    expect(ff.code, ff.stderr).toBe(0);
    expect(ff.stdout).toMatch(/^Promoted dev → staging: fast-forwarded [0-9a-f]{7}\.\.[0-9a-f]{7} \(1 commit\)\.$/m);
    expect(await git.head('config', 'staging')).toBe(await git.head('config', 'dev'));
    const same = await json<{ kind: string }>(['promote', 'dev', 'staging'], { as: 'operator' });
    expect(same.kind).toBe('up-to-date');

    await git.commitFiles('config', { 'apps/web/cm.yaml': configMap('web', 'prod-hotfix') }, { branch: 'prod' });
    await git.commitFiles('config', { 'apps/web/cm.yaml': configMap('web', 'staging-change') }, { branch: 'staging' });
    const conflict = await fleet(['promote', 'staging', 'prod'], { as: 'operator' });
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toMatch(/Conflicting files:\n {2}apps\/web\/cm\.yaml/);
    const conflictJson = await fleet(['promote', 'staging', 'prod', '-o', 'json'], { as: 'operator' });
    expect(JSON.parse(conflictJson.stderr)).toMatchObject({
      error: { code: 'PROMOTION_CONFLICT', details: { files: ['apps/web/cm.yaml'] } },
    });

    const unhealthy = await fleet(['promote', 'staging', 'prod', '--require-healthy'], { as: 'operator' });
    expect(unhealthy.code).toBe(5);
    expect(unhealthy.stderr).toMatch(/Ready|healthy/i);
    expect((await fleet(['promote', 'dev', 'nope'], { as: 'operator' })).code).toBe(3);
    expect((await fleet(['promote', 'dev'], { as: 'operator' })).code).toBe(2);
    expect((await fleet(['promote', 'dev', 'staging'], { as: 'viewer' })).code).toBe(4);

    const list = await fleet(['promotions', 'list']);
    expect(list.stdout).toMatch(/^ID\s+FROM\s+TO\s+KIND\s+COMMIT\s+COMMITS\s+ACTOR\s+AT$/m);
    expect(list.stdout).toMatch(/\sdev\s+staging\s+fast-forward\s+[0-9a-f]{7}\s+1\s+operator-bot\s/);
  });

  it('promote --wait returns once the target environment is Ready at the commit, and times out (6) otherwise', async () => {
    await git.commitFiles('config', { 'apps/web/lab.yaml': configMap('lab', 'v2') }, { branch: 'dev' });
    // lab selects no cluster: nothing to wait for.
    const quick = await json<{ rollout: { total: number } }>(['promote', 'dev', 'lab', '--wait', '--timeout', '30s'], {
      as: 'operator',
    });
    expect(quick.rollout.total).toBe(0);

    const slow = await fleet(['promote', 'dev', 'staging', '--wait', '--timeout', '3s'], { as: 'operator' });
    expect(slow.code).toBe(6);
    expect(slow.stderr).toMatch(/^Promoted dev → staging/m);
    expect(slow.stderr).toMatch(
      /staging is not Ready at [0-9a-f]{7} after 3s: 0\/1 deployments ready; waiting for c2\/web/,
    );
    expect(slow.stderr).toMatch(/^Hint: see `fleet status --environment staging`/m);
  });

  it('rolls back an environment with a revert commit; refuses an unknown environment (3) and a bad commit (2)', async () => {
    const before = await git.head('config', 'staging');
    const rb = await fleet(['rollback', 'staging'], { as: 'operator' });
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(
      /^Rolled back staging \(branch staging\) to the tree of [0-9a-f]{7}: new commit [0-9a-f]{7} \(was [0-9a-f]{7}\)\.$/m,
    );
    const after = await git.head('config', 'staging');
    expect(after).not.toBe(before);
    expect(await git.parents('config', after)).toEqual([before]);
    const rollbacks = await json<{ environment: string; commit: string; actor: string }[]>(['rollbacks', 'list']);
    expect(rollbacks).toEqual([
      expect.objectContaining({ environment: 'staging', commit: after, actor: 'operator-bot' }),
    ]);
    expect((await fleet(['rollback', 'nope'], { as: 'operator' })).code).toBe(3);
    expect((await fleet(['rollback', 'staging', '--to', 'not-a-commit'], { as: 'operator' })).code).toBe(2);
    const waited = await fleet(['rollback', 'dev', '--wait', '--timeout', '2s'], { as: 'operator' });
    expect(waited.code).toBe(6);
  });

  it('shows the event log with filters, and refuses an unknown kind (2)', async () => {
    const promotions = await json<{ kind: string; environment?: string }[]>(['events', '--kind', 'Promotion']);
    expect(promotions.length).toBeGreaterThan(0);
    expect(promotions.every((e) => e.kind === 'Promotion')).toBe(true);
    const two = await json<{ kind: string }[]>(['events', '--kind', 'Promotion', '--kind', 'Rollback', '-n', '100']);
    expect(new Set(two.map((e) => e.kind))).toEqual(new Set(['Promotion', 'Rollback']));
    const text = await fleet(['events', '--environment', 'staging', '--limit', '5']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').length).toBeLessThanOrEqual(5);
    expect(text.stdout).toMatch(/env=staging/);
    expect((await fleet(['events', '--kind', 'NoSuchKind'])).code).toBe(2);
  });

  it('events --follow streams new events and resumes after the hub restarts, losing and repeating none', async () => {
    const env = { ...baseEnv(), FLOTILLA_HUB_URL: hubUrl, FLOTILLA_TOKEN: tokens.viewer };
    const follower: ChildProcess = spawn(process.execPath, [FLEET, 'events', '--follow', '-o', 'json'], {
      env,
      cwd: dir,
    });
    let out = '';
    let err = '';
    follower.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    follower.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    const seen = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: number; kind: string });
    try {
      // Give the follower time to connect, then make events happen.
      await new Promise((r) => setTimeout(r, 2000));
      await fleet(['rollback', 'prod'], { as: 'operator' });
      await expect.poll(() => seen().some((e) => e.kind === 'Rollback'), { timeout: 20_000 }).toBe(true);

      await hub!.restart();
      await expect.poll(() => err, { timeout: 10_000 }).toMatch(/reconnecting/);
      await fleet(['rollback', 'prod'], { as: 'operator' });
      await expect.poll(() => seen().filter((e) => e.kind === 'Rollback').length, { timeout: 30_000 }).toBe(2);
      const ids = seen().map((e) => e.id);
      expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
    } finally {
      follower.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('revokes and removes clusters, and removes targets, environments, groups and repos', async () => {
    const revoked = await json<{ condition: string; registered: boolean }>(['clusters', 'revoke', 'c2']);
    expect(revoked).toMatchObject({ condition: 'Revoked', registered: false });
    expect((await fleet(['clusters', 'revoke', 'c2'], { as: 'operator' })).code).toBe(4);
    expect((await fleet(['clusters', 'remove', 'c2'])).stdout).toBe('Removed cluster c2.\n');
    expect((await fleet(['clusters', 'get', 'c2'])).code).toBe(3);

    const inUse = await fleet(['environments', 'remove', 'lab']);
    expect(inUse.code).toBe(5);
    expect((await fleet(['targets', 'remove', 'web'])).stdout).toMatch(/^Removed target web[.:]/);
    for (const env of ['dev', 'staging', 'prod', 'lab'])
      expect((await fleet(['environments', 'remove', env])).code).toBe(0);
    expect((await fleet(['environments', 'remove', 'dev'])).code).toBe(3);
    expect((await fleet(['groups', 'remove', 'demo'])).stdout).toBe('Removed group demo.\n');
    expect((await fleet(['groups', 'remove', 'demo'])).code).toBe(3);
    expect((await fleet(['repos', 'remove', 'config'])).stdout).toBe('Removed repo config.\n');
    expect(await json(['repos', 'list'])).toEqual([]);
  });

  it('reports usage errors with exit 2, prints help with examples (docs/cli.md current), and offers shell completion', async () => {
    const unknown = await fleet(['clusters', 'lst']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/"clusters lst" is not a fleet command/);
    expect(unknown.stderr).toMatch(/clusters list/);
    expect((await fleet(['status', '-o', 'xml'])).code).toBe(2);
    expect((await fleet(['clusters', 'register', 'c3', '--ttl', 'soon'])).code).toBe(2);
    const help = await fleet(['promote', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/USAGE\n\s+\$ fleet promote FROM TO/);
    expect(help.stdout).toMatch(/EXAMPLES\n\s+\$ fleet promote staging prod/);
    // docs/cli.md is generated from these same command classes: it must be current.
    const generated = join(dir, 'cli.md');
    const gen = await new Promise<number | null>((resolve) =>
      spawn(process.execPath, [join(REPO_ROOT, 'cli/dist/gen-docs.js'), generated], { stdio: 'ignore' }).on(
        'close',
        resolve,
      ),
    );
    expect(gen).toBe(0);
    expect(readFileSync(generated, 'utf8'), 'docs/cli.md is stale: run `npm run docs:cli`').toBe(
      readFileSync(join(REPO_ROOT, 'docs/cli.md'), 'utf8'),
    );
    const completion = await fleet(['autocomplete', 'bash']);
    expect(completion.code).toBe(0);
    expect(completion.stdout).toMatch(/fleet autocomplete/);
  });
});
