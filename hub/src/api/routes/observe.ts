import type { FastifyInstance } from 'fastify';
import { BUNDLE_STATES, type BundleStateName } from '@flotilla/proto';
import {
  PAGE_LIMITS,
  type BundleDetail,
  type BundleView,
  type DeploymentView,
  type DriftView,
  type FleetEvent,
  type List,
  type Page,
  type StatusView,
} from '@flotilla/proto/api';
import { EVENT_KINDS, type EventFilter, type EventKind, type Store } from '../../store/index.js';
import { ApiError } from '../errors.js';
import { bundleObjects, deploymentView, driftPage, eventView, statusView, type DriftSource } from '../views.js';
import { found, livenessOf, type ApiDeps } from './shared.js';

/** A page size: larger asks are served PAGE_LIMITS.max at a time (the reply says there is more). */
const limitParam = {
  type: 'integer',
  minimum: 1,
  description: `Items per page (default ${PAGE_LIMITS.default}, at most ${PAGE_LIMITS.max}: more is served a page at a time)`,
} as const;
const pageSize = (limit: number | undefined) => Math.min(limit ?? PAGE_LIMITS.default, PAGE_LIMITS.max);

const eventQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { type: 'integer', minimum: 0, description: 'Only events with a greater id (oldest first)' },
    before: { type: 'integer', minimum: 1, description: 'Only events with a smaller id (the newest of them)' },
    limit: limitParam,
    newest: { type: 'boolean' },
    kind: { type: 'string', enum: [...EVENT_KINDS] },
    cluster: { type: 'string' },
    repo: { type: 'string' },
    environment: { type: 'string' },
    target: { type: 'string' },
  },
} as const;

interface EventQuery {
  after?: number;
  before?: number;
  limit?: number;
  newest?: boolean;
  kind?: EventKind;
  cluster?: string;
  repo?: string;
  environment?: string;
  target?: string;
}

const filterOf = (q: EventQuery): EventFilter => ({
  ...(q.after !== undefined ? { afterId: q.after } : {}),
  ...(q.before !== undefined ? { beforeId: q.before } : {}),
  ...(q.limit !== undefined ? { limit: q.limit } : {}),
  ...(q.newest ? { newest: true } : {}),
  ...(q.kind ? { kind: q.kind } : {}),
  ...(q.cluster ? { cluster: q.cluster } : {}),
  ...(q.repo ? { repo: q.repo } : {}),
  ...(q.environment ? { environment: q.environment } : {}),
  ...(q.target ? { target: q.target } : {}),
});

const HEARTBEAT_MS = 15_000;
const TAIL_MS = 250;
const REPLAY_PAGE = 1000;

/**
 * One page of the event log: oldest first after `after`, or the newest before `before` (or of all,
 * with `newest`); one more than the page is read to know whether there is more.
 */
export function eventPage(store: Store, q: EventQuery): Page<FleetEvent> {
  const limit = pageSize(q.limit);
  const backwards = q.newest === true || (q.before !== undefined && q.after === undefined);
  const read = store.events.list({ ...filterOf(q), limit: limit + 1, ...(backwards ? { newest: true } : {}) });
  const more = read.length > limit;
  const items = (more ? (backwards ? read.slice(1) : read.slice(0, limit)) : read).map(eventView);
  if (!more || items.length === 0) return { items, more: false };
  return { items, more, next: backwards ? { before: items[0]!.id } : { after: items.at(-1)!.id } };
}

/** Drift events of a scope, newest first: both kinds, each read through its (kind, id) index. */
function driftSource(store: Store, scope: { cluster?: string; environment?: string }): DriftSource {
  return {
    older(before, n) {
      const read = (kind: EventKind) => store.events.list({ ...scope, kind, newest: true, beforeId: before, limit: n });
      return [...read('DriftDetected'), ...read('DriftCorrected')].sort((a, b) => b.id - a.id).slice(0, n);
    },
    neighbor: (e, side) => store.events.driftNeighbor(e, side),
  };
}

/** Bundles, deployments, status, drift and the event log (a list and a live stream). */
export async function observeRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const liveness = livenessOf(deps);

  const usedBy = () => {
    const m = new Map<string, BundleView['usedBy']>();
    for (const d of store.deployments.list()) {
      m.set(d.bundle, [
        ...(m.get(d.bundle) ?? []),
        { cluster: d.cluster, target: d.target, environment: d.environment },
      ]);
    }
    return m;
  };
  app.get<{ Reply: List<BundleView> }>(
    '/bundles',
    {
      config: { role: 'viewer' },
      schema: { summary: 'List stored bundles (content-addressed by sha256)', tags: ['bundles'] },
    },
    async () => {
      const used = usedBy();
      return { items: store.bundles.list().map((b) => ({ ...b, usedBy: used.get(b.digest) ?? [] })) };
    },
  );
  app.get<{ Params: { digest: string }; Reply: BundleDetail }>(
    '/bundles/:digest',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Get a bundle with its objects (a unique digest prefix of 8+ characters is enough)',
        tags: ['bundles'],
        params: {
          type: 'object',
          required: ['digest'],
          properties: { digest: { type: 'string', pattern: '^[0-9a-f]{8,64}$' } },
        },
      },
    },
    async (req) => {
      const p = req.params.digest;
      const hits = store.bundles.list().filter((b) => b.digest.startsWith(p));
      if (hits.length > 1)
        throw ApiError.invalid(
          `bundle digest prefix ${p} matches ${hits.length} bundles; give more characters`,
          'digest',
        );
      const info = found(hits[0], `bundle ${p}`, 'see `fleet bundles list`');
      const content = store.bundles.content(info.digest) ?? Buffer.alloc(0);
      return { ...info, usedBy: usedBy().get(info.digest) ?? [], objects: bundleObjects(content) };
    },
  );

  app.get<{
    Querystring: { cluster?: string; target?: string; environment?: string; state?: BundleStateName };
    Reply: List<DeploymentView>;
  }>(
    '/deployments',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List deployments (cluster x target x environment) with their state',
        tags: ['status'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cluster: { type: 'string' },
            target: { type: 'string' },
            environment: { type: 'string' },
            state: { type: 'string', enum: [...BUNDLE_STATES] },
          },
        },
      },
    },
    async (req) => ({ items: store.deployments.list({ ...req.query }).map(deploymentView) }),
  );

  app.get<{ Querystring: { environment?: string }; Reply: StatusView }>(
    '/status',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Environments x clusters, the worst state first',
        tags: ['status'],
        querystring: { type: 'object', additionalProperties: false, properties: { environment: { type: 'string' } } },
      },
    },
    async (req) => {
      const env = req.query.environment;
      if (env) found(store.environments.get(env), `environment "${env}"`, 'see `fleet environments list`');
      return statusView(store, liveness(), env);
    },
  );

  app.get<{
    Querystring: { cluster?: string; environment?: string; history?: boolean; limit?: number; before?: number };
    Reply: Page<DriftView>;
  }>(
    '/drift',
    {
      config: { role: 'viewer' },
      schema: {
        summary:
          'Objects changed outside Git: current drift, or its history, newest page first (before=<id> to page back)',
        tags: ['status'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cluster: { type: 'string' },
            environment: { type: 'string' },
            history: { type: 'boolean' },
            limit: limitParam,
            before: { type: 'integer', minimum: 1, description: 'Only drift with a smaller eventId (from `next`)' },
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      const scope = {
        ...(q.cluster ? { cluster: q.cluster } : {}),
        ...(q.environment ? { environment: q.environment } : {}),
      };
      return driftPage(driftSource(store, scope), {
        history: q.history === true,
        limit: pageSize(q.limit),
        ...(q.before !== undefined ? { before: q.before } : {}),
      });
    },
  );

  app.get<{ Querystring: EventQuery; Reply: Page<FleetEvent> }>(
    '/events',
    {
      config: { role: 'viewer' },
      schema: {
        summary:
          'The audit and activity log, oldest first (after=<id> to page on; newest=true or before=<id> for the latest)',
        tags: ['events'],
        querystring: eventQuery,
      },
    },
    async (req) => eventPage(store, req.query),
  );

  // The live stream: one tail of the log for every subscriber, as Server-Sent Events.
  const subscribers = new Set<(e: FleetEvent) => void>();
  let tailId = store.events.lastId();
  const tail = setInterval(() => {
    if (subscribers.size === 0) {
      tailId = store.events.lastId();
      return;
    }
    for (const e of store.events.list({ afterId: tailId, limit: 1000 })) {
      tailId = e.id;
      const v = eventView(e);
      for (const s of subscribers) s(v);
    }
  }, TAIL_MS);
  tail.unref();
  const streams = new Set<() => void>();
  // Before the server closes: open streams would otherwise hold it open.
  app.addHook('preClose', async () => {
    clearInterval(tail);
    for (const end of streams) end();
  });

  app.get<{ Querystring: EventQuery }>(
    '/events/stream',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The event log as a live stream (Server-Sent Events); resumes after Last-Event-ID or ?after',
        tags: ['events'],
        querystring: eventQuery,
      },
    },
    async (req, reply) => {
      const q = req.query;
      const lastHeader = Number(req.headers['last-event-id']);
      let last = Number.isInteger(lastHeader) && lastHeader >= 0 ? lastHeader : (q.after ?? store.events.lastId());
      const { kind, cluster, repo, environment, target } = q;
      const subject = filterOf({ kind, cluster, repo, environment, target });
      const wanted = (e: FleetEvent) =>
        (!q.kind || e.kind === q.kind) &&
        (!q.cluster || e.cluster === q.cluster) &&
        (!q.repo || e.repo === q.repo) &&
        (!q.environment || e.environment === q.environment) &&
        (!q.target || e.target === q.target);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      const send = (e: FleetEvent) => {
        if (e.id <= last || !wanted(e)) return true;
        last = e.id;
        return res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`);
      };
      res.write(`: flotilla event stream\nretry: 2000\n\n`);
      const swept = store.events.sweptThrough();
      if (last < swept) res.write(`: events up to id ${swept} were removed by retention\n\n`);
      const beat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      const close = () => {
        closed = true;
        clearInterval(beat);
        subscribers.delete(send);
        streams.delete(end);
      };
      const end = () => {
        close();
        res.end();
      };
      streams.add(end);
      req.raw.on('close', close);
      // What happened since the client's last id first, a page at a time and at the client's pace;
      // then live, from the same synchronous read of the last page (so nothing falls between).
      for (;;) {
        const page = store.events.list({ ...subject, afterId: last, limit: REPLAY_PAGE });
        let flushed = true;
        for (const e of page) flushed = send(eventView(e)) && flushed;
        if (closed) return;
        if (page.length < REPLAY_PAGE) break;
        if (!flushed) await new Promise((r) => res.once('drain', r).once('close', r));
        if (closed) return;
      }
      subscribers.add(send);
    },
  );
}
