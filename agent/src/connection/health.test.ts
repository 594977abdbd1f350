import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHealthServer } from './health.js';

describe('agent health endpoints', () => {
  it('answers /healthz at once and /readyz once the agent is ready', async () => {
    let ready = false;
    const server = await startHealthServer('127.0.0.1:0', { ready: () => ready, detail: () => ({ connected: false }) });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (path: string) => {
      const r = await fetch(base + path);
      return [r.status, await r.json()];
    };
    try {
      expect(await get('/healthz')).toEqual([200, { ok: true, connected: false }]);
      expect(await get('/readyz')).toEqual([503, { ok: false, connected: false }]);
      ready = true;
      expect(await get('/readyz')).toEqual([200, { ok: true, connected: false }]);
      expect(await get('/nope')).toEqual([404, { error: 'no such path /nope' }]);
    } finally {
      server.close();
    }
  });

  it('refuses an address that is not host:port', async () => {
    await expect(startHealthServer('8081', { ready: () => true, detail: () => ({}) })).rejects.toThrow(
      '--health-addr "8081" is not host:port',
    );
  });
});
