import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentMessage, DeploymentRef__Output, Hello, HubMessage__Output } from '@flotilla/proto';
import { optionsFromWire, type Bundle } from '../deployer/bundle.js';
import { toWireDrift, type DriftRecord } from '../deployer/drift.js';
import { toWireStatus, type DeploymentReport } from '../deployer/report.js';
import type { Enforcer } from '../enforcer/enforcer.js';
import { backoffDelay, type RetryPolicy } from '../kube/retry.js';
import { AppliedStateFile } from './applied-state.js';
import { decodeBundle } from './bundle-bytes.js';
import { StatusBatcher } from './status-batcher.js';

/** What the session hands bundles to: the enforcer, or an in-memory cluster in benchmarks and transport tests. */
export type BundleSink = Pick<Enforcer, 'set' | 'remove' | 'report' | 'deployments' | 'retry'> &
  Partial<Pick<Enforcer, 'expect' | 'forget'>>;

export interface AgentSessionOptions {
  clusterName: string;
  /** Where the per-cluster credential is kept (mode 0600). */
  credentialFile: string;
  /**
   * Where the last fully applied desired state (generation and refs) is kept, so that a restarted
   * agent says what it holds and an unchanged hub answers in a few bytes, with no refetch.
   */
  stateFile?: string;
  /** One-time registration token, used when there is no credential yet. */
  token?: string;
  agentVersion?: string;
  kubernetesVersion?: string;
  random?: () => number;
  onEvent?: (event: string, detail?: Record<string, unknown>) => void;
}

/** One live connection to the hub, as a transport provides it. */
export interface HubLink {
  /** Status, drift and heartbeats; a transport may drop them while disconnected (status is resent on each reconcile). */
  send(m: AgentMessage): void;
  /** The bytes of a bundle by digest; the caller checks them against the digest. */
  fetch(digest: string): Promise<Buffer>;
}

/** Reconnecting to the hub: the same jittered backoff as Kubernetes calls, slower and capped at 30 s. */
const RECONNECT: RetryPolicy = { retryForMs: Infinity, baseDelayMs: 500, maxDelayMs: 30_000 };
/**
 * ... capped at 4 s while the hub answered within RECENTLY_MS: a hub restart (seconds) is met within a
 * few seconds of the hub being back, not after a backoff grown to 16-30 s meanwhile. A hub away longer
 * gets the slow backoff, so a fleet does not keep dialing a hub that is down for good.
 */
const RECONNECT_RECENT: RetryPolicy = { retryForMs: Infinity, baseDelayMs: 500, maxDelayMs: 4_000 };
export const RECENTLY_MS = 120_000;

/** The wait before reconnect attempt `attempt` (1, 2, ...), the hub last heard `sinceHeardMs` ago. */
export function reconnectDelay(attempt: number, sinceHeardMs: number, random: () => number): number {
  return backoffDelay(attempt, sinceHeardMs < RECENTLY_MS ? RECONNECT_RECENT : RECONNECT, random);
}

const NO_OPTIONS = {
  defaultNamespace: '',
  selfHeal: true,
  prune: true,
  forceConflicts: false,
  ignore: [],
  dependsOn: [],
  healthChecks: [],
  namespace: null,
};

/**
 * The same bundle with the same options: nothing to apply. Options are compared too, not only the
 * generation: a hub that starts sending an option it knew but did not send (after an upgrade) keeps
 * the deployment's generation, and the agent must still apply it.
 */
function sameBundle(have: DeploymentRef__Output, ref: DeploymentRef__Output): boolean {
  return (
    have.digest === ref.digest &&
    have.generation === ref.generation &&
    JSON.stringify(have.options ?? null) === JSON.stringify(ref.options ?? null)
  );
}

/**
 * The agent's side of the protocol, whatever the transport: registers once, then keeps one session
 * with the hub, reconnecting with jittered backoff. Desired state arrives as (deployment, digest,
 * generation); bytes are fetched only for digests the agent does not hold. While the hub is away the
 * enforcer goes on alone. A transport subclass implements `register` and `serve`.
 */
export abstract class AgentSession {
  private stopped = false;
  private attempt = 0;
  /** When the hub was last known reachable (a message from it, or a live link dropping); -Infinity: never. */
  private heardAt = -Infinity;
  private appliedGeneration = '0';
  private readonly refs = new Map<string, DeploymentRef__Output>();
  private heartbeat: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private link: HubLink | undefined;
  /** The hub folds batches of statuses (its welcome said so); otherwise each status goes alone. */
  private hubTakesBatches = false;
  private readonly statuses = new StatusBatcher();

  constructor(
    protected readonly session: AgentSessionOptions,
    private readonly sink: BundleSink,
  ) {
    this.stateFile =
      session.stateFile === undefined
        ? undefined
        : new AppliedStateFile(session.stateFile, (err: unknown) =>
            this.event('stateSaveFailed', {
              file: session.stateFile,
              error: err instanceof Error ? err.message : String(err),
            }),
          );
    this.loadState();
  }

  /**
   * Trades the one-time token for a credential (kept by the caller in the credential file).
   * `retryKey` is the same on every attempt of this agent process: when an answer is lost the hub
   * answers the retry instead of refusing the spent token.
   */
  protected abstract register(token: string, retryKey: string): Promise<string>;

  private readonly retryKey = randomBytes(32).toString('base64url');

  /**
   * Opens one connection, sends `hello`, feeds every hub message to `onHubMessage` and resolves (or
   * rejects) when the connection ends. `stop()` ends it through `close()`.
   */
  protected abstract serve(credential: string, hello: Hello): Promise<void>;

  /** Ends the connection `serve` holds, so that it resolves. */
  protected abstract close(): void;

  private readonly stateFile: AppliedStateFile | undefined;

  private loadState(): void {
    const st = this.stateFile?.load();
    if (!st) return;
    this.appliedGeneration = st.generation;
    for (const r of st.refs) this.refs.set(r.deployment, r);
  }

  /**
   * Writes the applied state in the background, the newest winning: a synchronous write per applied
   * desired state held up the event loop (hub messages, reports) for a millisecond or more on slow
   * disks. Losing the file costs only a full desired state on the next start.
   */
  private saveState(): void {
    this.stateFile?.save({ generation: this.appliedGeneration, refs: [...this.refs.values()] });
  }

  protected event(name: string, detail?: Record<string, unknown>) {
    this.session.onEvent?.(name, detail);
  }

  /** True once stop() was called: a transport that was still connecting closes what it opened. */
  protected get stopping(): boolean {
    return this.stopped;
  }

  /** The generation of the last desired state applied in full ('0' when none). */
  get generation(): string {
    return this.appliedGeneration;
  }

  /** The stored credential, registering with the token first when there is none. */
  async credential(): Promise<string> {
    const file = this.session.credentialFile;
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    if (!this.session.token) {
      throw new Error(`no credential in ${file} and no registration token; mint one on the hub (tokens create)`);
    }
    const credential = await this.register(this.session.token, this.retryKey);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${credential}\n`, { mode: 0o600 });
    this.event('registered', { cluster: this.session.clusterName });
    return credential;
  }

  /** Runs until stop(): connect, serve, and on any failure wait and reconnect. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.serve(await this.credential(), this.hello());
        this.attempt = 0;
      } catch (err) {
        this.event('disconnected', { error: err instanceof Error ? err.message : String(err) });
      } finally {
        clearInterval(this.heartbeat);
        if (this.link) this.linkLost();
        this.link = undefined;
      }
      if (this.stopped) break;
      const delay = this.reconnectDelay(++this.attempt);
      this.event('reconnecting', { attempt: this.attempt, inMs: delay });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** A live link to the hub just dropped: the hub was reachable until now. */
  protected linkLost(): void {
    this.heardAt = Date.now();
  }

  /** The wait before the next attempt to reach the hub: short while it was reachable recently. */
  protected reconnectDelay(attempt: number): number {
    return reconnectDelay(attempt, Date.now() - this.heardAt, this.session.random ?? Math.random);
  }

  /**
   * What the agent says first on every connection: who it is and what it already holds. The applied
   * generation names the whole set it holds (it is a hash of that set), so the refs themselves are
   * listed only when there is no generation to name them by: a reconnect with nothing new costs a
   * few bytes, not a line per bundle.
   */
  hello(): Hello {
    const named = this.appliedGeneration !== '0';
    return {
      clusterId: this.session.clusterName,
      agentVersion: this.session.agentVersion ?? '',
      kubernetesVersion: this.session.kubernetesVersion ?? '',
      held: named
        ? []
        : [...this.refs.values()].map((r) => ({
            deployment: r.deployment,
            digest: r.digest,
            generation: r.generation,
          })),
      appliedGeneration: this.appliedGeneration,
    };
  }

  /** Called by the transport for every message from the hub on the live link. */
  protected onHubMessage(m: HubMessage__Output, link: HubLink): void {
    this.link = link;
    this.heardAt = Date.now();
    if (m.welcome) {
      this.attempt = 0;
      this.hubTakesBatches = m.welcome.statusBatches === true;
      this.event('connected', { heartbeatSeconds: m.welcome.heartbeatSeconds });
      this.startHeartbeat(m.welcome.heartbeatSeconds || 15);
      for (const d of this.unsentDrift.splice(0)) this.send({ drift: toWireDrift(d) });
    } else if (m.desired) {
      const d = m.desired;
      this.work = this.work
        .then(() => this.onDesired(d, link))
        .catch((err: unknown) => {
          this.event('desiredFailed', { error: err instanceof Error ? err.message : String(err) });
        });
    }
  }

  /**
   * A heartbeat every `seconds`, at a random phase. Agents that connect together (after a hub
   * restart, or when many clusters are installed at once) would otherwise beat in step: the hub took
   * each period's thousand heartbeats as one burst. The first beat comes within one period of the
   * welcome, so the hub's Stale window (three periods) is unaffected.
   */
  private startHeartbeat(seconds: number) {
    clearTimeout(this.heartbeat);
    const period = seconds * 1000;
    const beat = () =>
      this.send({ heartbeat: { sentAtUnixMs: Date.now(), appliedGeneration: this.appliedGeneration } });
    this.heartbeat = setTimeout(
      () => {
        beat();
        this.heartbeat = setInterval(beat, period);
        this.heartbeat.unref();
      },
      Math.round(period * (this.session.random ?? Math.random)()),
    );
    this.heartbeat.unref();
  }

  private send(m: AgentMessage): void {
    this.link?.send(m);
  }

  /** Drift found while no hub was there to hear it: sent after the next welcome (the newest 1,000). */
  private readonly unsentDrift: DriftRecord[] = [];

  /**
   * After (re)connecting: the current report of every bundle held that this desired state did not
   * just apply. Statuses sent while the hub was away were lost, and an unchanged hub sends nothing to
   * report on; a status is idempotent (the hub folds the latest), so resending is always safe.
   */
  private resendReports(except: ReadonlySet<string>): void {
    for (const id of this.refs.keys()) {
      if (except.has(id)) continue;
      const r = this.sink.report(id);
      if (r) this.report(r);
    }
  }

  /**
   * Applies a desired state: forgets what was orphaned, fetches what it does not hold (idempotent by
   * digest), applies it, removes (prunes) what left.
   */
  private async onDesired(d: NonNullable<HubMessage__Output['desired']>, link: HubLink): Promise<void> {
    if (d.unchanged || (d.generation === this.appliedGeneration && this.holdsAll(d.deployments))) {
      this.event('unchanged', { generation: d.generation });
      this.resendReports(new Set());
      return;
    }
    const applied = new Set<string>();
    const wanted = new Map(d.deployments.map((r) => [r.deployment, r]));
    const orphaned = await this.forgetOrphaned(d.orphaned ?? [], wanted);
    const fetched: Bundle[] = [];
    for (const ref of d.deployments) {
      const have = this.refs.get(ref.deployment);
      if (have && sameBundle(have, ref) && this.sink.report(ref.deployment)) {
        if (String(have.retryRequests ?? '0') !== String(ref.retryRequests ?? '0')) await this.retry(ref, applied);
        continue;
      }
      const bytes = await link.fetch(ref.digest);
      const bundle: Bundle = {
        deployment: ref.deployment,
        digest: ref.digest,
        revision: ref.revision,
        objects: decodeBundle(bytes, ref.digest, ref.deployment),
        options: optionsFromWire(ref.options ?? NO_OPTIONS),
      };
      this.refs.set(ref.deployment, ref);
      this.event('bundleFetched', { deployment: ref.deployment, digest: ref.digest, bytes: bytes.length });
      fetched.push(bundle);
    }
    // Every new bundle and every removal known before anything is applied: objects moving between
    // bundles are handed over, not deleted and created again.
    await this.sink.expect?.(
      fetched,
      this.sink.deployments().filter((id) => !wanted.has(id) && !orphaned.has(id)),
    );
    for (const bundle of fetched) {
      const report = await this.sink.set(bundle);
      applied.add(bundle.deployment);
      if (report) this.report(report);
    }
    for (const id of this.sink.deployments()) {
      if (wanted.has(id) || orphaned.has(id)) continue;
      await this.sink.remove(id);
      this.refs.delete(id);
      this.event('deploymentRemoved', { deployment: id });
    }
    this.appliedGeneration = d.generation;
    this.saveState();
    this.resendReports(applied);
  }

  /** Bundles removed with --orphan: forgotten, their objects left in the cluster. */
  private async forgetOrphaned(ids: readonly string[], wanted: ReadonlyMap<string, unknown>): Promise<Set<string>> {
    const orphaned = new Set(ids.filter((id) => !wanted.has(id)));
    for (const id of this.sink.deployments()) {
      if (!orphaned.has(id) || !this.sink.forget) continue;
      await this.sink.forget(id);
      this.refs.delete(id);
      this.event('deploymentOrphaned', { deployment: id });
    }
    return orphaned;
  }

  /** Someone asked on the hub for this bundle to be applied again now: it is, whatever its backoff. */
  private async retry(ref: DeploymentRef__Output, applied: Set<string>): Promise<void> {
    this.refs.set(ref.deployment, ref);
    this.event('retryRequested', { deployment: ref.deployment, requests: ref.retryRequests });
    const report = await this.sink.retry(ref.deployment);
    applied.add(ref.deployment);
    if (report) this.report(report);
  }

  /** A redelivered desired state (at-least-once transports) that is already applied in full. */
  private holdsAll(refs: readonly DeploymentRef__Output[]): boolean {
    return (
      refs.length === this.refs.size &&
      refs.every((r) => this.refs.get(r.deployment)?.digest === r.digest && this.sink.report(r.deployment))
    );
  }

  /** A bundle's bytes by digest over the live connection, checked against the digest. */
  async fetchBundle(digest: string): Promise<Buffer> {
    if (!this.link) throw new Error(`cluster ${this.session.clusterName} is not connected to the hub; wait for it`);
    const bytes = await this.link.fetch(digest);
    decodeBundle(bytes, digest);
    return bytes;
  }

  /**
   * Sends a bundle's status (the enforcer calls this after every reconcile of it). To a hub that takes
   * batches, the statuses reported by one run of code (every bundle after a reconnect, in one loop)
   * go in one message, sent before the event loop turns: a write issued later in the turn (a timer,
   * setImmediate) reaches the socket only on the next turn, since HTTP/2 flushes once a turn. Measured
   * on 1,000 simulated agents sharing one busy event loop, a 10 ms timer or setImmediate held every
   * rollout's Ready back by ≈ 500 ms.
   */
  report(r: DeploymentReport): void {
    const ref = this.refs.get(r.deployment);
    const status = toWireStatus(r, Number(ref?.generation ?? 0));
    if (!this.hubTakesBatches) {
      this.send({ status });
      return;
    }
    if (this.statuses.push(status)) queueMicrotask(() => this.sendStatuses());
  }

  private sendStatuses(): void {
    const messages = this.statuses.drain();
    for (const m of messages) this.send(m);
    const statuses = messages.reduce((n, m) => n + (m.statuses?.statuses?.length ?? 1), 0);
    if (statuses > messages.length) this.event('statusesBatched', { statuses, messages: messages.length });
  }

  drift(d: DriftRecord): void {
    if (this.link) {
      this.send({ drift: toWireDrift(d) });
      return;
    }
    this.unsentDrift.push(d);
    if (this.unsentDrift.length > 1000) this.unsentDrift.shift();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    // Statuses still gathering go out before the connection closes.
    if (this.statuses.size > 0) this.sendStatuses();
    this.close();
    this.wake?.();
    await this.work;
    await this.stateFile?.close();
  }
}
