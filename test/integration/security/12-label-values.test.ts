import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { api, SecretBox, store as hubStore } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Finding 12 (its label part): label values took ANSI escapes and NUL characters, which then reached
 * terminals (`fleet clusters list`) and logs. Through the hub's HTTP API on a real store: every label
 * written is held to Kubernetes' syntax and lengths, refused with the field, the value escaped and the
 * rule; labels stored before the rule still load, list and can be removed.
 */
interface ErrorBody {
  code: string;
  message: string;
  details?: { field?: string };
}

describe('finding 12: label values with control characters are refused at every write', () => {
  let dir: string;
  let store: hubStore.Store;
  let app: FastifyInstance;
  let base: string;
  let admin: string;

  const call = async <T = ErrorBody>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sec12-labels-'));
    store = hubStore.openStore(join(dir, 'hub.db'));
    // A cluster written before the rule, straight into the store: it must not break anything.
    store.clusters.create({ name: 'legacy_1', labels: { 'tier\u001b[31m': 'gold\u0000', env: 'dev' } });
    app = await api.buildServer({
      store,
      secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
      trigger: () => false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    admin = readFileSync(api.bootstrapAdminToken(store, dir)!, 'utf8').trim();
  });

  afterAll(async () => {
    await app?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an ANSI escape', '\u001b[31mgold', '"\\u001b[31mgold"'],
    ['a NUL', 'gold\u0000', '"gold\\u0000"'],
    ['a bell and a carriage return', 'gold\u0007\r', '"gold\\u0007\\u000d"'],
    ['a 64-character value', 'g'.repeat(64), `"${'g'.repeat(64)}"`],
  ])(
    'POST /clusters refuses a label value with %s, naming the field and showing it escaped',
    async (_what, value, escaped) => {
      const r = await call('POST', '/api/v1/clusters', { name: 'c1', labels: { tier: value } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('INVALID');
      expect(r.body.details?.field).toBe('labels');
      expect(r.body.message).toContain(`labels: the value ${escaped} of "tier" is not a valid label value`);
      expect(r.body.message).toMatch(/a label value is empty or 1 to 63 letters, digits/);
      // Neither raw in the body nor written anywhere.
      // eslint-disable-next-line no-control-regex
      expect(r.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
      expect(store.clusters.get('c1')).toBeUndefined();
      expect(store.registrationTokens.list('c1')).toEqual([]);
    },
  );

  it('POST /clusters refuses a key with control characters, and a name outside DNS-1123', async () => {
    const key = await call('POST', '/api/v1/clusters', { name: 'c1', labels: { 'ti\u0000er': 'gold' } });
    expect(key.status).toBe(400);
    expect(key.body.message).toMatch(/^labels: key "ti\\u0000er" is not a valid label key/);
    const name = await call('POST', '/api/v1/clusters', { name: 'Bad Name/../../x' });
    expect(name.status).toBe(400);
    expect(name.body).toMatchObject({ code: 'INVALID', details: { field: 'name' } });
    expect(name.body.message).toMatch(/^name: "Bad Name\/\.\.\/\.\.\/x" is not a valid cluster name .*DNS-1123 label/);
  });

  it('PATCH /clusters/:name/labels refuses ANSI and NUL values in `set`', async () => {
    expect((await call('POST', '/api/v1/clusters', { name: 'c2', labels: { env: 'dev' } })).status).toBe(201);
    const r = await call('PATCH', '/api/v1/clusters/c2/labels', { set: { tier: 'gold\u0000\u001b[2J' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID', details: { field: 'set' } });
    expect(r.body.message).toMatch(/^set: the value "gold\\u0000\\u001b\[2J" of "tier" is not a valid label value/);
    expect(store.clusters.get('c2')?.labels).toEqual({ env: 'dev' });
  });

  it('labels stored before the rule still list, and can be removed', async () => {
    const list = await call<{ items: { name: string }[] }>('GET', '/api/v1/clusters');
    expect(list.status).toBe(200);
    expect(list.body.items.map((c) => c.name)).toContain('legacy_1');
    const r = await call<{ labels: Record<string, string> }>('PATCH', '/api/v1/clusters/legacy_1/labels', {
      remove: ['tier\u001b[31m'],
    });
    expect(r.status).toBe(200);
    expect(r.body.labels).toEqual({ env: 'dev' });
  });
});
