import { createServer, type Server } from 'node:http';
import { parseHostPort } from '@flotilla/common';

export interface HealthState {
  /** Ready once the enforcer runs from its cache (the hub may still be away: the agent works alone). */
  ready(): boolean;
  /** Detail for humans: connected to the hub, last error. */
  detail(): Record<string, unknown>;
}

/** /healthz (the process answers) and /readyz for the kubelet's probes. */
export async function startHealthServer(address: string, state: HealthState): Promise<Server> {
  const listen = parseHostPort(address);
  if (!listen) throw new Error(`--health-addr "${address}" is not host:port (e.g. 0.0.0.0:8081)`);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const ok = path === '/healthz' || (path === '/readyz' && state.ready());
    const known = path === '/healthz' || path === '/readyz';
    res.writeHead(known ? (ok ? 200 : 503) : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(known ? { ok, ...state.detail() } : { error: `no such path ${path}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host || '0.0.0.0', resolve);
  });
  server.unref();
  return server;
}
