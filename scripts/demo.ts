// `npm run demo`: a local demo fleet. Starts three simulated Kubernetes clusters (dev, staging,
// prod), a Git server with a sample configuration repository, the hub (SQLite, gRPC with its own CA)
// and one agent per cluster; then walks through the everyday GitOps loop with the `fleet` CLI,
// narrating each step: register, commit → converged, drift → corrected, promotion, rollback.
//
// Usage: npm run demo [-- --no-wait] [--keep]   (runs scripts/setup.sh first: idempotent, quick once done)
//   --no-wait  exit after the last step (also the default without a terminal); status 0 only when
//              every step succeeded. Otherwise the fleet keeps running until Ctrl-C.
// FLOTILLA_DEMO_DIR moves the work directory (default .flotilla/demo; wiped at start).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_NODE_FLAGS } from '../hub/src/node-flags.js';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { REPO_ROOT, locateBinaries } from '../test/harness/kube/binaries.js';
import { kubeClient } from '../test/harness/kube/client.js';
import { startFleet, type KubeClusterInfo, type KubeFleet } from '../test/harness/kube/fleet.js';
import { startGitServer, type GitServer } from '../test/harness/git-server.js';
import { freePort } from '../test/harness/ports.js';
import { spawnServer, type Spawned } from '../test/harness/process.js';
import { waitFor } from '../test/harness/wait.js';
import { httpCall } from '../test/harness/kube/http.js';
import { Agent, fetch as tlsFetch } from 'undici';

const argv = process.argv.slice(2);
const noWait = argv.includes('--no-wait') || !process.stdout.isTTY;
const DIR = process.env.FLOTILLA_DEMO_DIR ?? join(REPO_ROOT, '.flotilla', 'demo');
const ENVS = ['dev', 'staging', 'prod'] as const;
const NS = 'guestbook';
const tty = process.stdout.isTTY;
const c = (code: string, s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = (s: string) => c('1', s);
const dim = (s: string) => c('2', s);
const green = (s: string) => c('32', s);
const red = (s: string) => c('31', s);

// The sample application: plain YAML, one directory, the same on every branch at first.
const app = (message: string, image: string) => ({
  'apps/guestbook/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
  'apps/guestbook/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\n  namespace: ${NS}\ndata:\n  message: "${message}"\n`,
  'apps/guestbook/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: ${NS}
spec:
  replicas: 2
  selector:
    matchLabels: { app: guestbook }
  template:
    metadata:
      labels: { app: guestbook }
    spec:
      containers:
        - name: web
          image: ${image}
          ports: [{ containerPort: 80 }]
`,
  // A LoadBalancer: Ready once it has an address, which the simulated clusters assign (lb-assigner.ts).
  'apps/guestbook/service.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: frontend\n  namespace: ${NS}\nspec:\n  type: LoadBalancer\n  selector: { app: guestbook }\n  ports: [{ port: 80, targetPort: 80 }]\n`,
});

interface Step {
  title: string;
  ok?: boolean;
  ms?: number;
  note?: string;
}
const steps: Step[] = [];
const started = new Map<string, Spawned>();
let fleet: KubeFleet | undefined;
let git: GitServer | undefined;
let httpPort = 0;
let grpcPort = 0;

async function step(title: string, fn: () => Promise<string | void>): Promise<void> {
  const s: Step = { title };
  steps.push(s);
  process.stdout.write(`\n${bold(`▶ ${steps.length}. ${title}`)}\n`);
  const t0 = performance.now();
  try {
    const note = await fn();
    s.ok = true;
    if (note) s.note = note;
  } catch (err) {
    s.ok = false;
    s.note = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    s.ms = performance.now() - t0;
    const mark = s.ok ? green('✔') : red('✘');
    process.stdout.write(
      `  ${mark} ${dim(`${(s.ms / 1000).toFixed(1)} s`)}${s.note ? `  ${s.note.split('\n')[0]}` : ''}\n`,
    );
  }
}

const say = (line: string) => process.stdout.write(`  ${line}\n`);

/** Runs the fleet CLI as a user would, echoing the command and its output. */
async function fleetCli(args: string[], opts: { quiet?: boolean; stdin?: string } = {}): Promise<string> {
  if (!opts.quiet) say(dim(`$ fleet ${args.join(' ')}`));
  const child = execFile(process.execPath, [join(REPO_ROOT, 'cli/bin/run.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, FLOTILLA_CONFIG: join(DIR, 'fleet.json'), NO_COLOR: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
  let out = '';
  let errOut = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (errOut += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (n) => resolve(n ?? 1)));
  if (!opts.quiet) for (const line of out.trimEnd().split('\n')) if (line) say(`  ${line}`);
  if (code !== 0) throw new Error(`fleet ${args.join(' ')} exited with ${code}: ${errOut.trim() || out.trim()}`);
  return out;
}

const cluster = (name: string): KubeClusterInfo => {
  const found = fleet?.clusters.find((x) => x.name === name);
  if (!found) throw new Error(`cluster ${name} is not running`);
  return found;
};

async function configMessage(name: string): Promise<string | undefined> {
  const core = kubeClient(cluster(name)).makeApiClient(CoreV1Api);
  return core
    .readNamespacedConfigMap({ name: 'guestbook', namespace: NS })
    .then((cm) => cm.data?.message)
    .catch(() => undefined);
}

async function loadBalancerIp(name: string): Promise<string | undefined> {
  const core = kubeClient(cluster(name)).makeApiClient(CoreV1Api);
  return core
    .readNamespacedService({ name: 'frontend', namespace: NS })
    .then((s) => s.status?.loadBalancer?.ingress?.[0]?.ip)
    .catch(() => undefined);
}

async function replicas(name: string): Promise<number | undefined> {
  const apps = kubeClient(cluster(name)).makeApiClient(AppsV1Api);
  return apps
    .readNamespacedDeployment({ name: 'frontend', namespace: NS })
    .then((d) => d.spec?.replicas)
    .catch(() => undefined);
}

/** The hub's API over HTTPS, trusting the hub's own CA (as `fleet login --ca-hash` made the CLI do). */
let trustHub: Agent | undefined;
const hubUrl = () => `https://127.0.0.1:${httpPort}`;

async function hubApi<T>(path: string): Promise<T> {
  const token = readFileSync(join(DIR, 'hub', 'admin.token'), 'utf8').trim();
  trustHub ??= new Agent({ connect: { ca: readFileSync(join(DIR, 'hub', 'tls', 'ca.crt'), 'utf8') } });
  const res = await tlsFetch(`${hubUrl()}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    dispatcher: trustHub,
  });
  if (!res.ok) throw new Error(`hub ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every deployment of the environment Ready at its branch head. */
async function readyAt(environment: string): Promise<boolean> {
  const s = await hubApi<{
    environments: {
      name: string;
      commit?: string;
      state: string;
      clusters: { targets: { revision?: string; state: string }[] }[];
    }[];
  }>(`/api/v1/status?environment=${environment}`);
  const env = s.environments[0];
  if (!env || env.clusters.length === 0) return false;
  return env.clusters.every((cl) => cl.targets.every((t) => t.state === 'Ready' && t.revision === env.commit));
}

async function stopAll(): Promise<void> {
  for (const p of [...started.values()].reverse()) await p.stop().catch(() => undefined);
  started.clear();
  await git?.stop().catch(() => undefined);
  await fleet?.stop().catch(() => undefined);
}

async function main(): Promise<void> {
  process.stdout.write(
    `${bold('Flotilla demo')}: a hub, a Git server and three clusters with an agent each, on this machine.\n`,
  );
  process.stdout.write(dim(`Work directory: ${DIR} (logs of every process are there)\n`));

  await step('Check the build and the Kubernetes test binaries', async () => {
    if (!existsSync(join(REPO_ROOT, 'hub/dist/main.js')) || !existsSync(join(REPO_ROOT, 'cli/dist/commands'))) {
      throw new Error('the TypeScript build is missing: run `npm run demo` (it sets up first) or `npm run setup`');
    }
    locateBinaries();
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    return 'hub, agent and fleet CLI built; kube-apiserver, etcd and kwok found';
  });

  await step('Start three simulated clusters: dev, staging, prod', async () => {
    fleet = await startFleet({ clusters: [...ENVS], dir: join(DIR, 'kube') });
    return fleet.clusters.map((k) => `${k.name} ${k.server}`).join(', ');
  });

  await step('Start a Git server with the configuration repository (branches dev, staging, prod)', async () => {
    git = await startGitServer({ root: join(DIR, 'git') });
    await git.createRepo('fleet-config');
    await git.commitFiles(
      'fleet-config',
      { 'README.md': '# fleet configuration\n', ...app('hello from v1', 'nginx:1.27') },
      { message: 'guestbook v1' },
    );
    for (const env of ENVS) await git.createBranch('fleet-config', env, 'main');
    return git.url('fleet-config');
  });

  await step('Start the hub (SQLite store, its own CA, gRPC and the HTTP API over TLS)', async () => {
    httpPort = await freePort();
    grpcPort = await freePort();
    const hub = spawnServer(
      process.execPath,
      [
        ...HUB_NODE_FLAGS,
        join(REPO_ROOT, 'hub/dist/main.js'),
        'serve',
        '--data-dir',
        join(DIR, 'hub'),
        '--http',
        `127.0.0.1:${httpPort}`,
        '--grpc',
        `127.0.0.1:${grpcPort}`,
        // HTTPS even on loopback: the demo shows what a production hub does.
        '--http-tls',
      ],
      {
        name: 'flotilla-hub',
        logFile: join(DIR, 'hub.log'),
        cwd: REPO_ROOT,
        env: { ...process.env, FLOTILLA_HELM: locateBinaries().helm, FLOTILLA_KUSTOMIZE: locateBinaries().kustomize },
      },
    );
    started.set('hub', hub);
    await waitFor(
      async () =>
        (await httpCall(`${hubUrl()}/readyz`, { caFile: join(DIR, 'hub', 'tls', 'ca.crt') }).catch(() => undefined))
          ?.status === 200,
      {
        what: 'the hub to be ready',
        timeoutMs: 30_000,
        abort: () => (hub.exited() ? `${hub.exited()}\n${hub.tail()}` : undefined),
      },
    );
    await waitFor(() => existsSync(join(DIR, 'hub', 'admin.token')), {
      what: 'the first admin token',
      timeoutMs: 10_000,
    });
    // The CLI verifies the hub by the hash of its CA's public key, as agents do (flotilla-hub ca hash).
    const pin = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'hub/dist/main.js'), 'ca', 'hash', '--data-dir', join(DIR, 'hub')],
        (err, out) => (err ? reject(err) : resolve(out.trim())),
      ),
    );
    await fleetCli(['login', '--hub', hubUrl(), '--ca-hash', pin, '--token-stdin'], {
      stdin: readFileSync(join(DIR, 'hub', 'admin.token'), 'utf8'),
    });
    return `${hubUrl()} (API, CA ${pin.slice(0, 19)}...), 127.0.0.1:${grpcPort} (agents)`;
  });

  await step('Tell the hub what to deploy: a repo, three environments, one target', async () => {
    await fleetCli(['repos', 'add', 'fleet-config', git!.url('fleet-config'), '--poll', '30s']);
    // The end of the promotion chain first: an environment names the next one, which must exist.
    await fleetCli(['environments', 'create', 'prod', '--repo', 'fleet-config', '--selector', 'env=prod']);
    await fleetCli([
      'environments',
      'create',
      'staging',
      '--repo',
      'fleet-config',
      '--selector',
      'env=staging',
      '--promotes-to',
      'prod',
    ]);
    await fleetCli([
      'environments',
      'create',
      'dev',
      '--repo',
      'fleet-config',
      '--selector',
      'env=dev',
      '--promotes-to',
      'staging',
    ]);
    await fleetCli([
      'targets',
      'add',
      'guestbook',
      '--repo',
      'fleet-config',
      '--path',
      'apps/guestbook',
      '-e',
      'dev',
      '-e',
      'staging',
      '-e',
      'prod',
    ]);
  });

  await step('Register the clusters and start one agent in each', async () => {
    const info = await hubApi<{ caFingerprint?: string }>('/api/v1/hub');
    for (const env of ENVS) {
      const out = await fleetCli(['clusters', 'register', env, '--label', `env=${env}`, '-o', 'json'], { quiet: true });
      say(dim(`$ fleet clusters register ${env} --label env=${env}`) + dim('   → one-time token'));
      const { token } = JSON.parse(out) as { token: string };
      const k = cluster(env);
      const args = [
        'run',
        '--hub',
        `127.0.0.1:${grpcPort}`,
        '--cluster',
        env,
        '--kubeconfig',
        k.kubeconfig,
        '--state-dir',
        join(DIR, `agent-${env}`),
        '--token',
        token,
      ];
      if (info.caFingerprint) args.push('--hub-ca-hash', info.caFingerprint);
      started.set(
        `agent-${env}`,
        spawnServer(
          process.execPath,
          ['--max-semi-space-size=1', '--optimize-for-size', join(REPO_ROOT, 'agent/dist/cli/main.js'), ...args],
          {
            name: `agent[${env}]`,
            logFile: join(DIR, `agent-${env}.log`),
            cwd: REPO_ROOT,
          },
        ),
      );
    }
    await waitFor(
      async () => {
        const list = await hubApi<{ items: { name: string; registered: boolean; condition: string }[] }>(
          '/api/v1/clusters',
        );
        return list.items.length === 3 && list.items.every((x) => x.registered && x.condition === 'Connected');
      },
      { what: 'three agents registered and connected', timeoutMs: 60_000, abort: agentDied },
    );
    await fleetCli(['clusters', 'list']);
  });

  await step('First rollout: every cluster converges on guestbook v1', async () => {
    await waitFor(async () => (await Promise.all(ENVS.map(readyAt))).every(Boolean), {
      what: 'guestbook Ready on dev, staging and prod',
      timeoutMs: 120_000,
      abort: agentDied,
    });
    await fleetCli(['status']);
    const addresses = await Promise.all(ENVS.map(async (env) => `${env} ${await loadBalancerIp(env)}`));
    return `the frontend LoadBalancer's address: ${addresses.join(', ')}`;
  });

  await step('Commit a change to dev → converged on the dev cluster', async () => {
    const t0 = performance.now();
    await git!.commitFiles('fleet-config', app('hello from v2', 'nginx:1.28'), {
      branch: 'dev',
      message: 'guestbook v2',
    });
    // A push webhook would trigger the fetch; the CLI does the same on request.
    await fleetCli(['repos', 'sync', 'fleet-config']);
    await waitFor(async () => (await configMessage('dev')) === 'hello from v2' && (await readyAt('dev')), {
      what: 'dev Ready at the new commit',
      timeoutMs: 60_000,
      abort: agentDied,
    });
    const ms = performance.now() - t0;
    say(
      `dev cluster now says "${await configMessage('dev')}"; staging and prod still "${await configMessage('prod')}"`,
    );
    return `commit → converged in ${(ms / 1000).toFixed(1)} s`;
  });

  await step('Inject drift (someone scales the frontend by hand) → the agent corrects it', async () => {
    const apps = kubeClient(cluster('dev')).makeApiClient(AppsV1Api);
    await apps.patchNamespacedDeployment(
      { name: 'frontend', namespace: NS, body: { spec: { replicas: 5 } }, fieldManager: 'kubectl-scale' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    say(dim('$ kubectl --context dev -n guestbook scale deployment frontend --replicas 5'));
    await waitFor(async () => (await replicas('dev')) === 2, {
      what: 'replicas back to 2 (self-heal)',
      timeoutMs: 60_000,
      abort: agentDied,
    });
    await waitFor(
      async () =>
        (await hubApi<{ items: { corrected: boolean }[] }>('/api/v1/drift?history=true&cluster=dev')).items.some(
          (d) => d.corrected,
        ),
      { what: 'the drift reported to the hub', timeoutMs: 30_000 },
    );
    await fleetCli(['drift', '--history', '--cluster', 'dev']);
    return 'replicas 5 → 2, reported as drift with the manager that made it';
  });

  await step('Promote dev → staging, then staging → prod (gated on staging being healthy)', async () => {
    await fleetCli(['promote', 'dev', 'staging', '--wait', '--timeout', '2m']);
    await fleetCli(['promote', 'staging', 'prod', '--require-healthy', '--wait', '--timeout', '2m']);
    const msg = await configMessage('prod');
    if (msg !== 'hello from v2') throw new Error(`prod says "${msg}", expected "hello from v2"`);
    return `prod now says "${msg}"`;
  });

  await step('Roll prod back: a revert commit on its branch, rolled out like any commit', async () => {
    await fleetCli(['rollback', 'prod', '--wait', '--timeout', '2m']);
    const msg = await configMessage('prod');
    if (msg !== 'hello from v1') throw new Error(`prod says "${msg}" after the rollback, expected "hello from v1"`);
    await fleetCli(['status']);
    await fleetCli(['events', '--kind', 'Promotion']);
    await fleetCli(['events', '--kind', 'Rollback']);
    return `prod is back to "${msg}"`;
  });
}

function agentDied(): string | undefined {
  for (const [name, p] of started) if (p.exited()) return `${name} ${p.exited()}:\n${p.tail()}`;
  return undefined;
}

function summary(): boolean {
  const ok = steps.length > 0 && steps.every((s) => s.ok);
  process.stdout.write(`\n${bold('Summary')}\n`);
  for (const [i, s] of steps.entries()) {
    process.stdout.write(
      `  ${s.ok ? green('✔') : red('✘')} ${i + 1}. ${s.title} ${dim(`(${((s.ms ?? 0) / 1000).toFixed(1)} s)`)}\n`,
    );
  }
  process.stdout.write(ok ? green('\nEvery step succeeded.\n') : red(`\nA step failed; logs are in ${DIR}.\n`));
  if (existsSync(DIR)) writeFileSync(join(DIR, 'summary.json'), JSON.stringify({ ok, steps }, null, 2));
  return ok;
}

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write(dim('\nStopping everything the demo started...\n'));
    await stopAll();
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

main()
  .then(async () => {
    const ok = summary();
    if (noWait || !ok) return shutdown(ok ? 0 : 1);
    process.stdout.write(
      `\nThe fleet keeps running. Try, in another terminal:\n` +
        `  export FLOTILLA_CONFIG=${join(DIR, 'fleet.json')}\n` +
        `  node cli/bin/run.js status\n` +
        `  curl -s --cacert ${join(DIR, 'hub', 'tls', 'ca.crt')} ${hubUrl()}/metrics | grep flotilla_environment\n` +
        `Press Ctrl-C to stop everything.\n`,
    );
    return new Promise<never>(() => undefined);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`\n${red('demo failed')}: ${err instanceof Error ? err.message : String(err)}\n`);
    summary();
    await shutdown(1);
  });
