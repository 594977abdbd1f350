import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import * as S from '@flotilla/proto/api-schema';
import { PAGE_LIMITS, type BundleView, type FleetEvent, type Page } from '@flotilla/proto/api';
import type { EventFilter, EventKind, Store } from '../../store/index.js';
import { ApiError } from '../errors.js';
import { errorReply } from '../openapi.js';
import { bundleObjects, deploymentView, driftPage, eventView, statusView, type DriftSource } from '../views.js';
import { found, livenessOf, type ApiDeps } from './shared.js';

const pageSize = (limit: number | undefined) => Math.min(limit ?? PAGE_LIMITS.default, PAGE_LIMITS.max);

type EventQuery = Static<typeof S.EventQuery>;

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
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
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
  api.get(
    '/bundles',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List stored bundles (content-addressed by sha256)',
        tags: ['bundles'],
        response: { 200: S.List(S.ref(S.BundleView)) },
      },
    },
    async () => {
      const used = usedBy();
      return { items: store.bundles.list().map((b) => ({ ...b, usedBy: used.get(b.digest) ?? [] })) };
    },
  );
  api.get(
    '/bundles/:digest',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Get a bundle with its objects (a unique digest prefix of 8+ characters is enough)',
        tags: ['bundles'],
        params: S.DigestParams,
        response: { 200: S.ref(S.BundleDetail) },
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

  api.get(
    '/deployments',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List deployments (cluster x target x environment) with their state',
        tags: ['status'],
        querystring: S.DeploymentsQuery,
        response: { 200: S.List(S.ref(S.DeploymentView)) },
      },
    },
    async (req) => ({ items: store.deployments.list({ ...req.query }).map(deploymentView) }),
  );

  api.get(
    '/status',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Environments x clusters, the worst state first',
        tags: ['status'],
        querystring: S.StatusQuery,
        response: { 200: S.ref(S.StatusView), 404: errorReply('The environment named does not exist') },
      },
    },
    async (req) => {
      const env = req.query.environment;
      if (env) found(store.environments.get(env), `environment "${env}"`, 'see `fleet environments list`');
      return statusView(store, liveness(), env);
    },
  );

  api.get(
    '/drift',
    {
      config: { role: 'viewer' },
      schema: {
        summary:
          'Objects changed outside Git: current drift, or its history, newest page first (before=<id> to page back)',
        tags: ['status'],
        querystring: S.DriftQuery,
        response: { 200: S.Page(S.ref(S.DriftView)) },
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

  api.get(
    '/events',
    {
      config: { role: 'viewer' },
      schema: {
        summary:
          'The audit and activity log, oldest first (after=<id> to page on; newest=true or before=<id> for the latest)',
        tags: ['events'],
        querystring: S.EventQuery,
        response: { 200: S.Page(S.ref(S.FleetEvent)) },
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

  api.get(
    '/events/stream',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The event log as a live stream (Server-Sent Events); resumes after Last-Event-ID or ?after',
        tags: ['events'],
        querystring: S.EventQuery,
        response: {
          200: {
            description: 'Server-Sent Events: one `Event` per message (id, event kind, data)',
            content: { 'text/event-stream': { schema: S.str() } },
          },
        },
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
