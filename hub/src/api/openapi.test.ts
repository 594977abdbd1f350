import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { API_ROLES } from '@flotilla/proto/api';
import { SecretBox } from '../secrets.js';
import { useTempStore } from '../store/testing.js';
import { HubMetrics } from './metrics.js';
import { buildServer } from './server.js';

interface Operation {
  security?: unknown[];
  'x-flotilla-role'?: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { description: string }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/**
 * The routes fastify serves, from its own tree (`printRoutes`), as "METHOD /path/{param}": a
 * source apart from the OpenAPI generator's, so a route it skipped would show.
 */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (m[3] ?? '').split(', ')) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.sort();
}

describe('the OpenAPI document (/openapi.json)', () => {
  const t = useTempStore();
  let app: FastifyInstance;
  let doc: Document;

  beforeEach(async () => {
    const metrics = new HubMetrics({ store: t.store, staleAfterMs: 45_000, processMetrics: false });
    app = await buildServer({
      store: t.store,
      secrets: SecretBox.loadOrCreate(join(t.dir, 'hub.key')),
      trigger: () => false,
      metrics,
      version: '9.9.9',
    });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<Document>();
  });
  afterEach(async () => app.close());

  it('describes every route the hub serves, with its method, and no route it does not serve', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = registeredRoutes(app);
    expect(served.length).toBeGreaterThan(45);
    expect(documented).toEqual(served);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('says who may call each route: the role, a bearer token, and 401/403; public routes need nothing', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, o]) => Object.entries(o).map(([m, op]) => ({ path, m, op })));
    const guarded = ops.filter((o) => o.path.startsWith('/api/v1/') && !o.path.startsWith('/api/v1/webhooks/'));
    expect(guarded.length).toBeGreaterThan(40);
    for (const { path, m, op } of guarded) {
      expect(API_ROLES, `${m} ${path}`).toContain(op['x-flotilla-role']);
      expect(op.security, `${m} ${path}`).toEqual([{ bearer: [] }]);
      expect(Object.keys(op.responses), `${m} ${path}`).toEqual(expect.arrayContaining(['400', '401', '403']));
      for (const p of path.matchAll(/\{(\w+)\}/g)) {
        expect(
          op.parameters?.map((x) => `${x.in}:${x.name}`),
          `${m} ${path}`,
        ).toContain(`path:${p[1]}`);
        expect(Object.keys(op.responses), `${m} ${path}`).toContain('404');
      }
    }
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/metrics']) {
      expect(doc.paths[path]?.get?.security, path).toEqual([]);
    }
    expect(doc.paths['/api/v1/webhooks/{repo}']?.post?.security).toEqual([]);
  });

  it('names its components and refers to them, with the error shape every failure answers with', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'ClusterSummary', 'Deployment', 'Status', 'Event', 'Drift', 'Promotion']),
    );
    expect(doc.paths['/api/v1/clusters/{name}']?.get?.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ClusterDetail' } } },
    });
    expect(doc.paths['/api/v1/promotions']?.post?.responses['412']).toMatchObject({
      description: expect.stringMatching(/NOT_HEALTHY/),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    expect(JSON.stringify(doc)).not.toMatch(/Default Response|def-\d/);
  });
});
