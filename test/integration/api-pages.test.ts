import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SecretBox, api, store as hubStore } from '@flotilla/hub';
import type { DriftView, FleetEvent, Page } from '@flotilla/proto/api';

/**
 * Paged history over HTTP (real SQLite store, the hub's own API server): GET /events and GET /drift
 * serve at most a page, say when there is more and how to get it; the event stream replays any
 * backlog a page at a time and resumes correctly after retention removed older events.
 */
describe('paged history in the HTTP API', () => {
  let dir: string;
  let store: hubStore.Store;
  let app: FastifyInstance;
  let base: string;
  let token: string;
  const slot = { cluster: 'edge-1', target: 'web', environment: 'prod' };

  const get = async <T>(path: string) => {
    const res = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    return { status: res.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as T };
  };
  const qs = (q: Record<string, unknown>) =>
    new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString();

  /** Follows `next` until the end, checking every page's size. */
  const all = async <T>(path: string, query: Record<string, unknown>, pageMax: number) => {
    const pages: Page<T>[] = [];
    let next: Page<T>['next'] = {};
    for (;;) {
      const { status, body }: { status: number; body: Page<T> } = await get<Page<T>>(
        `${path}?${qs({ ...query, ...next })}`,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(pageMax);
      pages.push(body);
      if (!body.more) break;
      expect(body.next).toBeDefined();
      next = body.next;
    }
    return pages;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-pages-'));
    store = hubStore.openStore(join(dir, 'hub.db'));
    const secrets = SecretBox.loadOrCreate(join(dir, 'hub.key'));
    app = await api.buildServer({ store, secrets, trigger: () => false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const file = api.bootstrapAdminToken(store, dir);
    if (!file) throw new Error('no bootstrap token written');
    token = readFileSync(file, 'utf8').trim();
    store.transaction(() => {
      for (let i = 1; i <= 2500; i++) store.events.append({ kind: 'Applied', ...slot, payload: { state: 'Ready', i } });
      // Drift of 300 objects: each detected, the even ones corrected after.
      for (let i = 0; i < 300; i++) {
        store.events.append({
          kind: 'DriftDetected',
          ...slot,
          payload: { object: `ConfigMap/shop/o${i}`, fields: [] },
        });
      }
      for (let i = 0; i < 300; i += 2) {
        store.events.append({
          kind: 'DriftCorrected',
          ...slot,
          payload: { object: `ConfigMap/shop/o${i}`, fields: [] },
        });
      }
    });
  });

  afterAll(async () => {
    await app?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GET /events: 100 by default, oldest first, with `more` and the `after` of the next page', async () => {
    const first = await get<Page<FleetEvent>>('/events');
    expect(first.body.items.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(first.body).toMatchObject({ more: true, next: { after: 100 } });
    const pages = await all<FleetEvent>('/events', { kind: 'Applied', limit: 1000 }, 1000);
    const ids = pages.flatMap((p) => p.items.map((e) => e.id));
    expect(pages).toHaveLength(3);
    expect(ids).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  });

  it('GET /events?newest: the latest page, then back with `before`; a limit over the maximum is served a page at a time', async () => {
    const latest = await get<Page<FleetEvent>>('/events?newest=true&limit=50');
    expect(latest.body.items.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => 2901 + i));
    expect(latest.body).toMatchObject({ more: true, next: { before: 2901 } });
    const back = await all<FleetEvent>('/events', { newest: true, limit: 700 }, 700);
    expect(back.flatMap((p) => p.items.map((e) => e.id)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 2950 }, (_, i) => i + 1),
    );
    const huge = await get<Page<FleetEvent>>('/events?limit=100000');
    expect(huge.body.items).toHaveLength(1000);
    expect(huge.body).toMatchObject({ more: true, next: { after: 1000 } });
    const end = await get<Page<FleetEvent>>('/events?after=2900');
    expect(end.body).toEqual({ items: expect.any(Array), more: false });
    expect(end.body.items).toHaveLength(50);
  });

  it('GET /drift?history: newest page first, `before` to page back, each drift once, corrections paired', async () => {
    const first = await get<Page<DriftView>>('/drift?history=true');
    expect(first.body.items).toHaveLength(100);
    expect(first.body.more).toBe(true);
    const pages = await all<DriftView>('/drift', { history: true, limit: 70 }, 70);
    const items = pages.reverse().flatMap((p) => p.items);
    expect(items.map((d) => d.object)).toEqual(Array.from({ length: 300 }, (_, i) => `ConfigMap/shop/o${i}`));
    expect(items.every((d, i) => d.corrected === (i % 2 === 0))).toBe(true);
    const current = await all<DriftView>('/drift', { cluster: 'edge-1', limit: 1000 }, 1000);
    expect(current.flatMap((p) => p.items).map((d) => d.object)).toEqual(
      Array.from({ length: 150 }, (_, i) => `ConfigMap/shop/o${2 * i + 1}`),
    );
  });

  it('describes the pages in /openapi.json', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, { get: Record<string, unknown> }>;
    };
    for (const path of ['/api/v1/events', '/api/v1/drift']) {
      const op = doc.paths[path]!.get as {
        parameters: { name: string }[];
        responses: { 200: { content: { 'application/json': { schema: { required: string[] } } } } };
      };
      expect(op.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'before']));
      expect(op.responses[200].content['application/json'].schema.required).toEqual(['items', 'more']);
    }
  });

  it('the event stream replays a backlog over a page a time, and resumes by Last-Event-ID after a sweep', async () => {
    // Retention removed events 1-1450 (keep the newest 1,500 of the 2,950: more than a page to replay).
    for (;;) if (!store.events.sweepStep({ keepNewest: 1500, batch: 500 }).more) break;
    expect(store.events.sweptThrough()).toBe(1450);
    const ctl = new AbortController();
    const res = await fetch(`${base}/api/v1/events/stream`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': '10' },
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('id: 2950\n')) text += new TextDecoder().decode((await reader.read()).value);
    store.events.append({ kind: 'Rollback', environment: 'prod' });
    while (!text.includes('id: 2951\n')) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(text).toMatch(/^: events up to id 1450 were removed by retention$/m);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 1501 }, (_, i) => 1451 + i));
  });
});
