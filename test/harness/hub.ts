import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateBinaries, REPO_ROOT } from './kube/binaries.js';
import { httpCall } from './kube/http.js';
import { launch, restart, type LaunchSpec, type RestartOptions } from './launch.js';
import { freePort } from './ports.js';
import { spawnServer, type Spawned } from './process.js';

/** Node flags that run a workspace package's TypeScript sources directly. */
export const NODE_TS = ['--conditions=@flotilla/source', '--import', 'tsx'];
export const HUB_MAIN = join(REPO_ROOT, 'hub/src/main.ts');
export const AGENT_MAIN = join(REPO_ROOT, 'agent/src/cli/main.ts');

export interface HubProcessOptions {
  dataDir: string;
  /** Default: <dataDir>/hub.log. */
  logFile?: string;
  /** Node flags and the entry script; default: the sources through tsx. */
  entry?: string[];
  /** `serve` flags (the addresses and the data directory are set here). */
  args?: string[];
  /** Added to the environment (FLOTILLA_HELM and FLOTILLA_KUSTOMIZE point at the built tools). */
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** The hub serves its API over HTTPS (--http-tls, or bound off loopback): trust its CA in the data dir. */
  https?: boolean;
}

/**
 * A call to a hub's HTTP API as its first admin (`path` from /api/v1, `method` GET by default): the
 * parsed answer, or an error with the hub's own message on a status other than 2xx.
 */
export type HubApi = <T = unknown>(path: string, method?: string, body?: unknown) => Promise<T>;

/** One hub process on fixed loopback ports: started, crashed, restarted, stopped. */
export interface HubProcess {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** http(s)://127.0.0.1:<httpPort> */
  readonly url: string;
  /** The hub's CA (PEM file), which its API and gRPC certificates chain to. */
  readonly caFile: string;
  /** The running process (the latest one after a restart); throws before the first start. */
  readonly proc: Spawned;
  /** Starts the hub and waits for /readyz; a running hub is stopped first. `args` replace the options' args. */
  start(args?: string[]): Promise<Spawned>;
  /** Sends a signal (SIGKILL by default: a crash) and waits until the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it, waits until it has exited and its ports are free, and starts it again with the same flags. */
  restart(o?: RestartOptions): Promise<Spawned>;
  stop(): Promise<void>;
  /**
   * The HTTP API as a user reaches it, with the admin token the hub writes to `<dataDir>/admin.token`
   * on its first start (call once it runs): how tests configure repos, environments and targets.
   */
  api: HubApi;
}

export async function hubProcess(o: HubProcessOptions): Promise<HubProcess> {
  mkdirSync(o.dataDir, { recursive: true });
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const url = `${o.https ? 'https' : 'http'}://127.0.0.1:${httpPort}`;
  const caFile = join(o.dataDir, 'tls', 'ca.crt');
  const bins = locateBinaries();
  const env = {
    ...process.env,
    FLOTILLA_DATA_DIR: o.dataDir,
    FLOTILLA_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    FLOTILLA_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    FLOTILLA_HELM: bins.helm,
    FLOTILLA_KUSTOMIZE: bins.kustomize,
    ...o.env,
  };
  const spec: LaunchSpec = {
    what: `flotilla-hub on port ${httpPort} (gRPC ${grpcPort})`,
    ports: [httpPort, grpcPort],
    readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
    ready: async () =>
      (await httpCall(`${url}/readyz`, { caFile, timeoutMs: 2000 }).catch(() => undefined))?.status === 200,
  };
  let current: Spawned | undefined;
  const spawnHub = (args: string[]) =>
    spawnServer(process.execPath, [...(o.entry ?? [...NODE_TS, HUB_MAIN]), 'serve', ...args], {
      name: 'flotilla-hub',
      logFile: o.logFile ?? join(o.dataDir, 'hub.log'),
      cwd: REPO_ROOT,
      env,
    });
  const hub: HubProcess = {
    httpPort,
    grpcPort,
    url,
    caFile,
    get proc() {
      if (!current) throw new Error('the hub was never started');
      return current;
    },
    async start(args = o.args ?? []) {
      await current?.stop();
      current = await launch(spec, () => spawnHub(args));
      return current;
    },
    async kill(signal = 'SIGKILL') {
      const p = hub.proc;
      p.kill(signal);
      await p.ended();
    },
    async restart(ro) {
      current = await restart(hub.proc, spec, ro);
      return current;
    },
    async stop() {
      await current?.stop();
    },
    async api<T>(path: string, method = 'GET', body?: unknown) {
      const token = readFileSync(join(o.dataDir, 'admin.token'), 'utf8').trim();
      const res = await httpCall(`${url}${path}`, { method, body, token, caFile, timeoutMs: 30_000 });
      if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body}`);
      return (res.body ? JSON.parse(res.body) : undefined) as T;
    },
  };
  return hub;
}
