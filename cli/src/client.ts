import {
  API_PREFIX,
  type ApiError,
  type ApiTokenCreateRequest,
  type ApiTokenCreateResponse,
  type ApiTokenView,
  type BundleDetail,
  type BundleView,
  type ClusterDetail,
  type ClusterRegisterRequest,
  type ClusterRegisterResponse,
  type ClusterSummary,
  type DeploymentView,
  type DriftView,
  type Environment,
  type EnvironmentView,
  type FleetEvent,
  type GroupDetail,
  type HubInfo,
  type LabelsPatch,
  type List,
  type Page,
  type Promotion,
  type PromotionRequest,
  type RepoCreateRequest,
  type RepoView,
  type RetryRequest,
  type RetryRequested,
  type Rollback,
  type RollbackRequest,
  type StatusView,
  type Target,
  type TargetRemovalView,
  type TargetView,
  type WhoAmI,
} from '@flotilla/proto/api';
import { HubError, HubProtocolError, HubUnreachableError } from './errors.js';
import { readEventStream } from './sse.js';
import { checkTransport, trustProblem } from './transport.js';

export interface ClientOptions {
  hubUrl: string;
  token?: string | undefined;
  /** Injected for tests; Node's fetch by default. */
  fetch?: typeof fetch;
  userAgent?: string;
  /** How long one request may take, headers and body (default 30 s); the event stream has none. */
  timeoutMs?: number;
  /** The event stream is reopened when nothing, not even a heartbeat, arrived for this long (default 45 s). */
  streamStallMs?: number;
  /** Send the token over plain HTTP to a hub that is not on loopback (--insecure-http). */
  insecureHttp?: boolean;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface DeploymentFilter {
  cluster?: string;
  target?: string;
  environment?: string;
  state?: string;
}

export interface EventFilter {
  after?: number;
  /** Only events with a smaller id: the newest `limit` of them. */
  before?: number;
  limit?: number;
  /** The latest `limit` events rather than the first ones after `after`. */
  newest?: boolean;
  kind?: string;
  cluster?: string;
  environment?: string;
  target?: string;
  repo?: string;
}

interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
  signal?: AbortSignal;
}

const seg = encodeURIComponent;

/** The hub's HTTP JSON API, typed by `@flotilla/proto/api`. One method per endpoint; no formatting. */
export class FleetClient {
  readonly hubUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly streamStallMs: number;
  private readonly insecureHttp: boolean;

  constructor(opts: ClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.streamStallMs = opts.streamStallMs ?? 45_000;
    this.hubUrl = opts.hubUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchImpl = opts.fetch ?? fetch;
    this.userAgent = opts.userAgent ?? 'fleet';
    this.insecureHttp = opts.insecureHttp ?? false;
  }

  whoami = () => this.get<WhoAmI>('/whoami');
  hubInfo = () => this.get<HubInfo>('/hub');

  listClusters = () => this.items<ClusterSummary>('/clusters');
  getCluster = (name: string) => this.get<ClusterDetail>(`/clusters/${seg(name)}`);
  registerCluster = (req: ClusterRegisterRequest) => this.send<ClusterRegisterResponse>('POST', '/clusters', req);
  labelCluster = (name: string, patch: LabelsPatch) =>
    this.send<ClusterSummary>('PATCH', `/clusters/${seg(name)}/labels`, patch);
  revokeCluster = (name: string) => this.send<ClusterSummary>('POST', `/clusters/${seg(name)}/revoke`);
  removeCluster = (name: string) => this.send<void>('DELETE', `/clusters/${seg(name)}`);

  listGroups = () => this.items<GroupDetail>('/groups');
  getGroup = (name: string) => this.get<GroupDetail>(`/groups/${seg(name)}`);
  setGroup = (name: string, selector: string) => this.send<GroupDetail>('PUT', `/groups/${seg(name)}`, { selector });
  removeGroup = (name: string) => this.send<void>('DELETE', `/groups/${seg(name)}`);

  listRepos = () => this.items<RepoView>('/repos');
  getRepo = (name: string) => this.get<RepoView>(`/repos/${seg(name)}`);
  addRepo = (req: RepoCreateRequest) => this.send<RepoView>('POST', '/repos', req);
  removeRepo = (name: string) => this.send<void>('DELETE', `/repos/${seg(name)}`);
  syncRepo = (name: string) => this.send<unknown>('POST', `/repos/${seg(name)}/sync`);
  setRenderHosts = (name: string, renderHosts: string[]) =>
    this.send<RepoView>('PUT', `/repos/${seg(name)}/render-hosts`, { renderHosts });

  listEnvironments = () => this.items<EnvironmentView>('/environments');
  getEnvironment = (name: string) => this.get<EnvironmentView>(`/environments/${seg(name)}`);
  createEnvironment = (env: Environment) => this.send<EnvironmentView>('POST', '/environments', env);
  removeEnvironment = (name: string) => this.send<void>('DELETE', `/environments/${seg(name)}`);

  listTargets = () => this.items<TargetView>('/targets');
  getTarget = (name: string) => this.get<TargetView>(`/targets/${seg(name)}`);
  addTarget = (target: Target) => this.send<TargetView>('POST', '/targets', target);
  /** The target's custom health rules (CEL), the whole list; the hub checks them. */
  setHealthChecks = (name: string, healthChecks: unknown[]) =>
    this.send<TargetView>('PUT', `/targets/${seg(name)}/health-checks`, { healthChecks });
  /** What the removal takes from which cluster; with dryRun nothing is removed. */
  removeTarget = (name: string, opts: { orphan?: boolean; dryRun?: boolean } = {}) =>
    this.call<TargetRemovalView>('DELETE', `/targets/${seg(name)}`, {
      query: { orphan: opts.orphan ? 'true' : undefined, dryRun: opts.dryRun ? 'true' : undefined },
    });

  listBundles = () => this.items<BundleView>('/bundles');
  getBundle = (digest: string) => this.get<BundleDetail>(`/bundles/${seg(digest)}`);

  listDeployments = (f: DeploymentFilter = {}) => this.items<DeploymentView>('/deployments', { ...f });
  /** Asks the agents to apply the matching deployments again now; the ones asked for. */
  retryDeployments = async (req: RetryRequest) =>
    (await this.send<List<RetryRequested>>('POST', '/deployments/retry', req)).items;
  status = (environment?: string) => this.get<StatusView>('/status', { environment });
  /** One page of drift, newest page first: the next is `{ ...f, ...page.next }`. */
  drift = (f: { cluster?: string; history?: boolean; limit?: number; before?: number } = {}) =>
    this.get<Page<DriftView>>('/drift', { ...f, history: f.history || undefined });
  /** One page of the event log (see EventFilter); `events` is its items. */
  eventPage = (f: EventFilter = {}) => this.get<Page<FleetEvent>>('/events', { ...f });
  events = async (f: EventFilter = {}) => (await this.eventPage(f)).items;

  promote = (req: PromotionRequest) => this.send<Promotion>('POST', '/promotions', req);
  listPromotions = () => this.items<Promotion>('/promotions');
  rollback = (req: RollbackRequest) => this.send<Rollback>('POST', '/rollbacks', req);
  listRollbacks = () => this.items<Rollback>('/rollbacks');

  listTokens = () => this.items<ApiTokenView>('/tokens');
  createToken = (req: ApiTokenCreateRequest) => this.send<ApiTokenCreateResponse>('POST', '/tokens', req);
  revokeToken = (name: string) => this.send<void>('DELETE', `/tokens/${seg(name)}`);

  /**
   * Follows the live event stream until `signal` aborts, calling `onEvent` for each event in order.
   * Reconnects after a dropped connection with `Last-Event-ID`, so no event is lost or repeated.
   */
  async followEvents(
    opts: {
      filter?: Omit<EventFilter, 'after' | 'limit'>;
      after?: number;
      signal: AbortSignal;
      onEvent: (e: FleetEvent) => void;
      onReconnect?: (err: Error) => void;
    },
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ): Promise<void> {
    let lastId = opts.after;
    let backoff = 500;
    while (!opts.signal.aborted) {
      // One connection: ended by the caller, or by silence longer than the hub's heartbeats.
      const conn = new AbortController();
      const stop = () => conn.abort();
      opts.signal.addEventListener('abort', stop);
      let stall: NodeJS.Timeout | undefined;
      const alive = () => {
        clearTimeout(stall);
        stall = setTimeout(
          () => conn.abort(new Error(`no data from the hub for ${this.streamStallMs / 1000}s`)),
          this.streamStallMs,
        );
      };
      try {
        alive();
        const res = await this.raw('GET', '/events/stream', {
          query: { ...opts.filter, after: lastId },
          signal: conn.signal,
          headers: {
            accept: 'text/event-stream',
            ...(lastId !== undefined ? { 'last-event-id': String(lastId) } : {}),
          },
        });
        if (!res.ok) throw await this.errorOf(res);
        if (!res.body) throw new HubProtocolError('the hub answered the event stream without a body');
        backoff = 500;
        await readEventStream(
          res.body,
          (msg) => {
            if (!msg.data) return;
            const event = JSON.parse(msg.data) as FleetEvent;
            lastId = msg.id !== undefined ? Number(msg.id) : event.id;
            opts.onEvent(event);
          },
          alive,
        );
        if (opts.signal.aborted) return;
        opts.onReconnect?.(new Error('the hub closed the event stream'));
      } catch (err) {
        if (opts.signal.aborted) return;
        // Auth and not-found do not heal by retrying: report them.
        if (err instanceof HubError && err.exit !== 'error') throw err;
        const reason = conn.signal.aborted && conn.signal.reason instanceof Error ? conn.signal.reason : err;
        opts.onReconnect?.(reason as Error);
      } finally {
        clearTimeout(stall);
        opts.signal.removeEventListener('abort', stop);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  private get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path, { query });
  }

  private async items<T>(path: string, query?: Query): Promise<T[]> {
    return (await this.call<List<T>>('GET', path, { query })).items;
  }

  private send<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, { body });
  }

  private async call<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const res = await this.raw(method, path, { ...opts, signal });
    if (!res.ok) throw await this.errorOf(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text().catch((err: unknown) => {
      throw signal.aborted ? this.timedOut(method, path, err) : err;
    });
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HubProtocolError(`${method} ${path}: the hub answered ${res.status} with something that is not JSON`, {
        hint: `check that ${this.hubUrl} is a Flotilla hub (and not a proxy or login page)`,
      });
    }
  }

  private async raw(
    method: string,
    path: string,
    opts: RequestOptions & { headers?: Record<string, string> },
  ): Promise<Response> {
    const url = new URL(`${this.hubUrl}${API_PREFIX}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...opts.headers,
    };
    if (this.token) {
      checkTransport({ hubUrl: this.hubUrl, insecureHttp: this.insecureHttp });
      headers.authorization = `Bearer ${this.token}`;
    }
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) {
        if ((opts.signal.reason as Error | undefined)?.name === 'TimeoutError') throw this.timedOut(method, path, err);
        throw err;
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      const untrusted = trustProblem(this.hubUrl, `${why} ${cause?.message ?? ''}`);
      if (untrusted) throw untrusted;
      throw new HubUnreachableError(`cannot reach the hub at ${this.hubUrl}: ${why}`, {
        hint: 'check the URL (`fleet login --hub`, FLOTILLA_HUB_URL) and that the hub is running',
        cause: err,
      });
    }
  }

  private timedOut(method: string, path: string, cause: unknown): HubUnreachableError {
    return new HubUnreachableError(
      `${method} ${this.hubUrl}${API_PREFIX}${path}: the hub did not answer within ${this.timeoutMs / 1000}s`,
      { hint: 'check that the hub is healthy (GET /readyz) and not overloaded', cause },
    );
  }

  private async errorOf(res: Response): Promise<HubError> {
    const text = await res.text().catch(() => '');
    let body: Partial<ApiError> = {};
    try {
      body = JSON.parse(text) as Partial<ApiError>;
    } catch {
      // Not an ApiError (a proxy, or a crash page): keep the status and the start of the text.
    }
    const message =
      typeof body.message === 'string' ? body.message : `the hub answered ${res.status} ${res.statusText}`.trim();
    return new HubError(res.status, {
      code: typeof body.code === 'string' ? body.code : `HTTP_${res.status}`,
      message,
      ...(typeof body.hint === 'string' ? { hint: body.hint } : defaultHint(res.status)),
      ...(body.details && typeof body.details === 'object' ? { details: body.details } : {}),
    });
  }
}

function defaultHint(status: number): { hint?: string } {
  if (status === 401) return { hint: 'log in with `fleet login --token TOKEN` (or set FLOTILLA_TOKEN)' };
  if (status === 403) return { hint: 'ask an admin for a token with a higher role (`fleet tokens create`)' };
  return {};
}
