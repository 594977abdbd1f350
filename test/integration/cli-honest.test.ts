// Issue #29, items 4 and 5: what the hub and the CLIs accepted silently, or said wrongly. Each as a
// user meets it: the `fleet` and `flotilla-hub` processes, a real hub, real Git over HTTP, a real
// nats-server.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepoView, StatusView } from '@flotilla/proto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/kube/binaries.js';
import { httpCall } from '../harness/kube/http.js';
import { startGitServer, type GitServer } from '../harness/git-server.js';
import { FLEET, fleetJson, runFleet, userEnv } from '../harness/fleet-cli.js';
import { hubProcess, type HubProcess } from '../harness/hub.js';
import { launch } from '../harness/launch.js';
import { freePort } from '../harness/ports.js';
import { spawnServer, type Spawned } from '../harness/process.js';

const HUB = join(REPO_ROOT, 'hub/dist/main.js');
const GIT_TOKEN = 'tok-3f9a61c2d8e4b7a0';

/** `flotilla-hub ARGS` as a process (bounded: a hub that starts serving instead is killed). */
function hubCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = REPO_ROOT,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HUB, ...args], { env, cwd, timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('issue #29: the CLIs say what cannot work, at once', () => {
  let dir: string;
  let git: GitServer;
  let hub: HubProcess;
  let env: NodeJS.ProcessEnv;
  let hung: Server;
  let hungUrl: string;
  const held: Socket[] = [];
  const fleet = (args: string[]) => runFleet(args, { env, cwd: dir });

  beforeAll(async () => {
    for (const built of [FLEET, HUB]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -b)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'flotilla-honest-'));
    git = await startGitServer({ auth: { username: 'hub', password: GIT_TOKEN } });
    await git.createRepo('config');
    await git.commitFiles('config', {
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
    });
    // A remote that accepts connections and never answers.
    hung = createServer((s) => held.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    hungUrl = `http://127.0.0.1:${(hung.address() as { port: number }).port}/config.git`;
    env = userEnv(join(dir, 'home'));
    hub = await hubProcess({
      dataDir: join(dir, 'hub'),
      entry: [HUB],
      env: userEnv(join(dir, 'home'), { FLOTILLA_LOG_LEVEL: 'warn', FLOTILLA_REPO_GIT_TOKEN: GIT_TOKEN }),
    });
    await hub.start();
    const admin = readFileSync(join(dir, 'hub', 'admin.token'), 'utf8').trim();
    env = { ...env, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: admin };
  }, 60_000);

  afterAll(async () => {
    await hub?.stop();
    await git?.stop();
    for (const s of held) s.destroy();
    await new Promise((r) => hung?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('status does not call an empty fleet Ready, and --exit-status fails on it (6)', async () => {
    const status = await fleet(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Fleet: nothing deployed yet \(no environments\)$/m);
    expect(status.stdout).not.toMatch(/Ready/);
    const strict = await fleet(['status', '--exit-status']);
    expect(strict.code).toBe(6);
    expect(strict.stderr).toMatch(/nothing is deployed yet \(no environments\)/);
  });

  it('repos add refuses auth naming a variable or a secrets file the hub does not have (2), storing nothing', async () => {
    const noVar = await fleet(['repos', 'add', 'cfg', git.url('config'), '--auth', 'tokenEnv=FLOTILLA_REPO_NOPE']);
    expect(noVar.code).toBe(2);
    expect(noVar.stderr).toMatch(/environment variable FLOTILLA_REPO_NOPE \(auth\.tokenEnv\) is not set in the hub's/);
    expect(noVar.stderr).toMatch(/set it where the hub runs and restart the hub, or give the token as tokenFile=/);
    const noFile = await fleet(['repos', 'add', 'cfg', git.url('config'), '--auth', 'passwordFile=git-pw']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/auth\.passwordFile "git-pw" does not exist in the repo secrets directory/);
    expect((await fleet(['repos', 'get', 'cfg'])).code).toBe(3);
  });

  it('repos add checks the remote at once: a reachable one shows Reachable, without a warning', async () => {
    const r = await fleet([
      'repos',
      'add',
      'cfg',
      git.url('config'),
      '--auth',
      'username=hub',
      '--auth',
      'tokenEnv=FLOTILLA_REPO_GIT_TOKEN',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^State:\s+Reachable$/m);
    expect(await fleetJson<RepoView>(['repos', 'get', 'cfg'], { env })).toMatchObject({ state: 'Reachable' });
  });

  it('an unreachable remote is added with a warning, and repos get, list and status show its error', async () => {
    const refused = `http://127.0.0.1:${await freePort()}/gone.git`;
    const r = await fleet(['repos', 'add', 'gone', refused]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Warning: the hub cannot reach repo gone now: repo gone \(.*\): cannot fetch/m);
    expect(r.stderr).toMatch(/^Hint: it is added, and fetched every 60s; check its URL and credentials/m);
    const got = await fleetJson<RepoView>(['repos', 'get', 'gone'], { env });
    expect(got).toMatchObject({ state: 'Failed', error: expect.stringMatching(/cannot fetch/) });
    expect((await fleet(['repos', 'list'])).stdout).toMatch(/^gone\s+Failed\s.*cannot fetch/m);

    // An environment on it, no cluster, no target: nothing is deployed, and status says why.
    expect((await fleet(['environments', 'create', 'dev', '--repo', 'gone'])).code).toBe(0);
    const status = await fleet(['status']);
    expect(status.stdout).toMatch(
      /^Fleet: nothing deployed yet \(no environment has a commit, no clusters, no targets\)$/m,
    );
    expect(status.stdout).toMatch(/^Repos the hub cannot fetch/m);
    expect(status.stdout).toMatch(/^gone\s+.*cannot fetch/m);
    const view = await fleetJson<StatusView>(['status'], { env });
    expect(view.repoErrors).toEqual([expect.objectContaining({ repo: 'gone' })]);
  });

  it('a remote that never answers holds the add no longer than the bound, and shows so', async () => {
    const t0 = Date.now();
    const r = await fleet(['repos', 'add', 'hung', hungUrl]);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.stderr).toMatch(/^Warning: the hub cannot reach repo hung now: .*(no answer within 10 s|timed out)/m);
    expect(await fleetJson<RepoView>(['repos', 'get', 'hung'], { env })).toMatchObject({ state: 'Failed' });
  }, 30_000);

  it('webhook secrets: at least 16 characters, said by help, docs and the refusal', async () => {
    const short = await fleet(['repos', 'add', 'wh', git.url('config'), '--webhook-secret', 'too-short']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/webhookSecret: must NOT have fewer than 16 characters/);
    expect((await fleet(['repos', 'add', '--help'])).stdout).toMatch(/at least 16\s+characters/);
    expect(readFileSync(join(REPO_ROOT, 'docs/cli.md'), 'utf8')).toMatch(/webhooks, at least 16 characters/);
  });

  it('environments create says when the branch is the environment name', async () => {
    const named = await fleet(['environments', 'create', 'qa', '--repo', 'cfg']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toMatch(/^Branch:\s+qa \(the environment's name; give --branch to choose\)$/m);
    const chosen = await fleet(['environments', 'create', 'qa2', '--repo', 'cfg', '--branch', 'main']);
    expect(chosen.stdout).toMatch(/^Branch:\s+main$/m);
  });

  it('agent install without a kubeconfig names the file it looked for and what to do', async () => {
    const r = await fleet(['agent', 'install', '--context', 'kind-dev', '--cluster', 'c9']);
    expect(r.code).toBe(1);
    const file = join(dir, 'home', '.kube', 'config');
    expect(r.stderr).toContain(`Error: no kubeconfig found at ${file}, so there is no kube context "kind-dev"`);
    expect(r.stderr).toContain(`Hint: give --kubeconfig <file> (or set KUBECONFIG), or create the context "kind-dev"`);
    expect(r.stderr).not.toMatch(/loaded-context/);
    expect((await fleet(['clusters', 'get', 'c9'])).code).toBe(3);
  });
});

describe('issue #29: flotilla-hub help and commands', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-hubcli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help, -h and help print the commands; help serve and serve --help its flags (exit 0)', async () => {
    const env = userEnv(dir, { FLOTILLA_DATA_DIR: join(dir, 'data') });
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await hubCli(args, env);
      expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      for (const c of ['serve', 'tokens create', 'ca show', 'ca hash', 'nats init', 'help'])
        expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    for (const args of [
      ['help', 'serve'],
      ['serve', '--help'],
    ]) {
      const r = await hubCli(args, env);
      expect(r, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      for (const flag of ['--data-dir ', '--http ', '--grpc ', '--transport ', '--repo-env-prefix ']) {
        expect(r.stdout).toContain(flag);
      }
    }
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('with no arguments prints usage and exits 2, starting nothing and writing no admin token', async () => {
    const data = join(dir, 'none');
    const r = await hubCli([], userEnv(dir, { FLOTILLA_DATA_DIR: data }), dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^no command given; to run the hub: flotilla-hub serve\n\nusage: flotilla-hub/);
    expect(existsSync(join(data, 'admin.token'))).toBe(false);
    const wrong = await hubCli(['--insecure'], userEnv(dir, { FLOTILLA_DATA_DIR: data }), dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/a command comes first/);
  });

  it('nats init writes a server.conf that listens where the hub looks; tokens create gives NATS flags', async () => {
    const data = join(dir, 'nats-hub');
    const port = await freePort();
    const monitor = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const env = userEnv(dir);
    const init = await hubCli(['nats', 'init', '--data-dir', data, '--nats-url', url], env);
    expect(init.code, init.stderr).toBe(0);
    const { serverConfig } = JSON.parse(init.stdout) as { serverConfig: string };
    expect(readFileSync(serverConfig, 'utf8')).toMatch(new RegExp(`^listen: "0\\.0\\.0\\.0:${port}"$`, 'm'));
    // nats-server with that file alone (no -p): the hub finds it on the port of its --nats-url.
    mkdirSync(join(dir, 'js'), { recursive: true });
    let nats: Spawned | undefined;
    let hub: HubProcess | undefined;
    try {
      nats = await launch(
        {
          what: `nats-server from ${serverConfig}`,
          ports: [port, monitor],
          host: '0.0.0.0',
          readyTimeoutMs: 20_000,
          ready: async () =>
            (await httpCall(`http://127.0.0.1:${monitor}/healthz`).catch(() => undefined))?.status === 200,
        },
        () =>
          spawnServer('nats-server', ['-c', serverConfig, '-js', '-sd', join(dir, 'js'), '-m', String(monitor)], {
            name: 'nats-server',
            logFile: join(dir, 'nats.log'),
          }),
      );
      hub = await hubProcess({
        dataDir: data,
        entry: [HUB],
        args: ['--transport', 'nats', '--nats-url', url],
        env: userEnv(dir, { FLOTILLA_LOG_LEVEL: 'warn' }),
      });
      await hub.start();
      // tokens create, told nothing of the transport: the NATS flags, not a CA hash that does not apply.
      const tokens = await hubCli(['tokens', 'create', '--cluster', 'edge-1', '--data-dir', data], env);
      expect(tokens.code, tokens.stderr).toBe(0);
      expect(tokens.stderr).toContain(
        `agents reach this hub over NATS with: --transport nats --nats-url nats://<host>:<port> ` +
          `--nats-register-creds ${join(data, 'nats', 'register.creds')}`,
      );
      expect(tokens.stderr).not.toMatch(/--hub-ca-hash/);
      const told = await hubCli(['tokens', 'create', '--cluster', 'edge-2', '--data-dir', data, '--nats-url', url], {
        ...env,
        FLOTILLA_TRANSPORT: 'nats',
      });
      expect(told.stderr).toContain(`--transport nats --nats-url ${url} --nats-register-creds`);
      // A gRPC hub's data directory still gets the CA hash.
      const grpcData = join(dir, 'grpc-hub');
      expect((await hubCli(['ca', 'hash', '--data-dir', grpcData], env)).code).toBe(0);
      const grpc = await hubCli(['tokens', 'create', '--cluster', 'c1', '--data-dir', grpcData], env);
      expect(grpc.stderr).toMatch(/agents trust this hub's own CA \(--tls auto\) with: --hub-ca-hash sha256:/);
    } finally {
      await hub?.stop();
      await nats?.stop();
    }
  }, 60_000);
});
