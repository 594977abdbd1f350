/**
 * Hub ↔ agent protocol at fleet scale: one real hub process (`flotilla-hub serve`), a real Git server
 * over HTTP, and N simulated agents (the agent package's own session code, the cluster side held in
 * memory) spread over simulator processes. Scenarios (comma-separated, default all):
 *
 *   connect    all agents register and connect: time, failures, hub RSS and idle CPU, simulator RSS
 *   converge   commit + signed webhook → each cluster's deployment Ready at the commit (p50/p99)
 *   status     rounds of status messages: hub CPU per message (every hub thread, from
 *              /proc/<pid>/task/<tid>/schedstat), after one round not counted (code warm). With
 *              --bundles K each agent holds K bundles and reports all K at once (one message)
 *   unchanged  agents reconnect holding the current state, through a byte-counting proxy
 *
 *   npm run bench:protocol -- [--agents N] [--transport grpc|nats] [--scenario connect,converge,...]
 *                             [--tls on|off] [--sims K] [--ramp PER_SECOND] [--register-ramp PER_SECOND]
 *                             [--register-agents K] [--api-clusters K]
 *                             [--messages M] [--rounds R] [--bundles K] [--hub-profile DIR] [--keep]
 *
 * Environment: FLOTILLA_BENCH_HUB_NODE_FLAGS="--flag ..." passes Node flags to the hub alone;
 * FLOTILLA_BENCH_SIM_PROFILE=DIR profiles the simulators; FLOTILLA_BENCH_DEBUG=1 prints each status round.
 *
 * Exits 1 when a target of issue 5 is missed; prints a table either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startGitServer } from '../harness/git-server.js';
import { startByteProxy } from './fleet-byte-proxy.js';
import {
  configureFleet,
  createClustersDirect,
  registerClusters,
  registerDirect,
  startHubProcess,
  startNatsForHub,
  withStore,
} from './protocol-fleet-hub.js';
import { converge, idle, statusBurst, unchanged, type Figure, type Run } from './protocol-fleet-scenarios.js';
import { startSimulators } from './protocol-fleet-sims.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    transport: { type: 'string', default: 'grpc' },
    scenario: { type: 'string', default: 'connect,converge,status,unchanged' },
    tls: { type: 'string', default: 'on' },
    sims: { type: 'string' },
    ramp: { type: 'string', default: '0' },
    'register-ramp': { type: 'string', default: '50' },
    'register-agents': { type: 'string', default: '200' },
    'api-clusters': { type: 'string', default: '1000' },
    messages: { type: 'string', default: '20000' },
    // Bundles each agent holds (targets "web" plus extra-1..extra-(K-1)); for the status scenario.
    bundles: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'hub-profile': { type: 'string' },
  },
  strict: true,
});
const N = Number(values.agents);
const BUNDLES = Math.max(1, Number(values.bundles));
const transport = values.transport as 'grpc' | 'nats';
if (transport !== 'grpc' && transport !== 'nats') throw new Error(`--transport ${transport}: grpc or nats`);
const scenarios = new Set(values.scenario.split(','));
const tls = values.tls === 'on' && transport === 'grpc';
const sims = Number(values.sims ?? Math.max(1, Math.ceil(N / 2500)));

const figures: Figure[] = [];
const MiB = 1024 * 1024;
const load: number[] = [loadavg()[0]!];
const loadTimer = setInterval(() => load.push(loadavg()[0]!), 5000);

const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-fleet-'));
const git = await startGitServer();
const natsSide = transport === 'nats' ? await startNatsForHub(join(dir, 'hub')) : undefined;
const hub = await startHubProcess({
  dir: join(dir, 'hub'),
  tls,
  transport,
  ...(natsSide ? { natsUrl: natsSide.nats.url } : {}),
  logLevel: 'info',
  ...(values['hub-profile'] ? { cpuProfileDir: values['hub-profile'] } : {}),
});
try {
  await git.createRepo('config');
  const manifests = (tag: string) =>
    Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `apps/web/cm-${i}.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-${i}\n  namespace: web\ndata:\n  tag: "${tag}"\n  body: "${'x'.repeat(400)}"\n`,
      ]),
    );
  const extra = Array.from({ length: BUNDLES - 1 }, (_, j) => `extra-${j + 1}`);
  await git.commitFiles('config', {
    ...manifests('v0'),
    ...Object.fromEntries(
      extra.map((t) => [
        `apps/${t}/cm.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${t}\n  namespace: web\ndata:\n  body: "${'x'.repeat(400)}"\n`,
      ]),
    ),
  });
  await configureFleet(hub, git.url('config'), extra);
  const names = Array.from({ length: N }, (_, i) => `sim-${String(i).padStart(5, '0')}`);
  const t = Date.now();
  // Through the API (operator role) up to --api-clusters; beyond, straight in the store (each POST
  // triggers a full reconcile, O(clusters): minting 10,000 that way takes longer than the benchmark).
  const viaApi = Math.min(N, Number(values['api-clusters']));
  const tokens = createClustersDirect(hub.dir, names.slice(0, N - viaApi));
  for (const [c, tok] of await registerClusters(hub, names.slice(N - viaApi))) tokens.set(c, tok);
  const mintMs = Date.now() - t;
  await waitDeployments(N * BUNDLES);
  console.log(
    `minted ${N} registration tokens (${viaApi} through the API) in ${mintMs} ms; ${N} deployments desired after ${Date.now() - t} ms`,
  );

  const simStart = { transport, dir: join(dir, 'agents') };
  const agentPort = natsSide ? natsSide.nats.port : hub.grpcPort;
  const at = (port: number) =>
    natsSide
      ? { address: `nats://127.0.0.1:${port}`, registerCredsFile: natsSide.registerCreds }
      : { address: `127.0.0.1:${port}`, ...(hub.caFile ? { caFile: hub.caFile } : {}) };

  // Registration over the wire, once per cluster, ramped (each one triggers a full reconcile on the
  // hub); over gRPC, clusters beyond --register-agents get their credential from the hub's own
  // register() on its store (setup only: what is measured next is connecting, not registering).
  const viaWire = transport === 'nats' ? N : Math.min(N, Number(values['register-agents']));
  registerDirect(hub.dir, simStart.dir, new Map(names.slice(viaWire).map((c) => [c, tokens.get(c)!])));
  let cpu0 = hub.cpuMs();
  let fleet = await startSimulators(
    names.slice(0, viaWire).map((cluster) => ({ cluster, token: tokens.get(cluster)! })),
    Math.min(sims, Math.ceil(viaWire / 1000)),
    { ...simStart, ...at(agentPort), rampPerSecond: Number(values['register-ramp']) },
  );
  const reg = await settle(() => fleet.totals().registered, viaWire);
  const regTotals = fleet.totals();
  figures.push(
    {
      scenario: 'register',
      measure: `agents registered over the wire (of ${viaWire})`,
      value: regTotals.registered,
      target: viaWire,
      lower: false,
    },
    {
      scenario: 'register',
      measure: `registration time (ramp ${values['register-ramp']}/s)`,
      value: reg.ms,
      unit: 'ms',
    },
    {
      scenario: 'register',
      measure: 'registrations per second',
      value: (regTotals.registered * 1000) / reg.ms,
      unit: '/s',
    },
    { scenario: 'register', measure: 'hub CPU during registration', value: hub.cpuMs() - cpu0, unit: 'ms' },
    { scenario: 'register', measure: 'disconnects while registering', value: regTotals.disconnects },
  );
  printErrors('registration', regTotals.errors);
  await fleet.stop();
  const quiet = await quiesce();
  console.log(`hub quiet ${quiet} ms after the registrations (reconciles they triggered)`);

  // Connect: every registered agent at once (a hub restart, or a fleet-wide agent restart).
  cpu0 = hub.cpuMs();
  fleet = await startSimulators(
    names.map((cluster) => ({ cluster })),
    sims,
    { ...simStart, ...at(agentPort), rampPerSecond: Number(values.ramp) },
  );
  const conn = await settle(() => fleet.totals().connected, N);
  const heldMs = conn.ms + (await settle(() => fleet.totals().unchanged + fleet.totals().fetched, N)).ms;
  const connTotals = fleet.totals();
  const run: Run = { hub, fleet, n: N, bundles: BUNDLES, figures, git, manifests };
  figures.push(
    {
      scenario: 'connect',
      measure: `agents connected (of ${N})`,
      value: connTotals.connected,
      target: N,
      lower: false,
    },
    { scenario: 'connect', measure: `time until all connected (ramp ${values.ramp}/s)`, value: conn.ms, unit: 'ms' },
    { scenario: 'connect', measure: 'time until all told their desired state', value: heldMs, unit: 'ms' },
    { scenario: 'connect', measure: 'hub CPU during connect', value: hub.cpuMs() - cpu0, unit: 'ms' },
    { scenario: 'connect', measure: 'disconnects while connecting', value: connTotals.disconnects, target: 0 },
  );
  printErrors('connect', connTotals.errors);
  if (scenarios.has('connect')) await idle(run);
  if (scenarios.has('converge')) await converge(run, Number(values.rounds));
  if (scenarios.has('status')) await statusBurst(run, Number(values.messages));
  if (scenarios.has('unchanged')) {
    await fleet.stop();
    const proxy = await startByteProxy({ host: '127.0.0.1', port: agentPort }, transport === 'grpc' && !tls);
    fleet = await startSimulators(
      names.map((cluster) => ({ cluster })),
      sims,
      { ...simStart, ...at(proxy.port), rampPerSecond: 0 },
    );
    await unchanged({ ...run, fleet }, proxy, tls, transport === 'grpc' && !tls);
    proxy.close();
  }
  const last = fleet.totals();
  figures.push(
    { scenario: 'all', measure: 'hub RSS at the end', value: hub.rss() / MiB, unit: 'MiB', target: 3072 },
    { scenario: 'all', measure: 'simulators RSS, total', value: last.rssTotal / MiB, unit: 'MiB' },
    { scenario: 'all', measure: 'simulator RSS per agent', value: last.rssTotal / N / 1024, unit: 'KiB' },
  );
  await fleet.stop();
} finally {
  clearInterval(loadTimer);
  await hub.stop();
  await natsSide?.nats.stop();
  await git.stop();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}

/** Waits until `count()` reaches `n`, or made no progress for 60 s (then the shortfall is the failures). */
async function settle(count: () => number, n: number): Promise<{ ms: number; reached: boolean }> {
  const t0 = Date.now();
  let last = -1;
  let lastChange = t0;
  for (;;) {
    const c = count();
    if (c >= n) return { ms: Date.now() - t0, reached: true };
    if (c !== last) [last, lastChange] = [c, Date.now()];
    if (Date.now() - lastChange > 60_000) return { ms: Date.now() - t0, reached: false };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the hub uses under 5 % of a core over 3 s (at most 10 min). */
async function quiesce(): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const c = hub.cpuMs();
    await new Promise((r) => setTimeout(r, 3000));
    if (hub.cpuMs() - c < 150 || Date.now() - t0 > 600_000) return Date.now() - t0;
  }
}

function printErrors(phase: string, errors: Record<string, number>) {
  const rows = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return;
  console.log(`${phase}: why agents' connections ended (count, message):`);
  for (const [m, c] of rows.slice(0, 8)) console.log(`  ${String(c).padStart(6)}  ${m}`);
}

async function waitDeployments(n: number) {
  for (;;) {
    const have = withStore(hub.dir, (s) => s.deployments.list({ environment: 'prod' }).length);
    if (have >= n) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10);
const rows = figures.map((f) => ({
  scenario: f.scenario,
  measure: f.measure,
  value: `${round(f.value).toLocaleString('en')}${f.unit ? ` ${f.unit}` : ''}`,
  target: f.target === undefined ? '' : `${f.lower === false ? '≥' : '≤'} ${f.target.toLocaleString('en')}`,
  met: f.target === undefined ? '' : met(f) ? 'yes' : 'NO',
}));
function met(f: Figure): boolean {
  if (f.target === undefined) return true;
  if (f.measure.startsWith('agents connected')) return f.value >= f.target;
  return f.lower === false ? f.value >= f.target : f.value <= f.target;
}
console.log(
  `\nprotocol fleet: ${N} agents, ${transport}${tls ? ' + TLS' : ' (plaintext)'}, ${sims} simulator processes, ` +
    `Node ${process.version}, load average ${Math.min(...load).toFixed(2)}–${Math.max(...load).toFixed(2)}`,
);
console.table(rows);
process.exit(figures.every(met) ? 0 : 1);
