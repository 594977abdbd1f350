import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';
import { httpCall, type HttpResult, type HttpsOptions } from './http.js';

/** A simulated cluster's API as its kubeconfig (writeKubeconfig) gives it: server, CA file, token. */
export interface ApiAccess {
  name: string;
  server: string;
  caFile: string;
  token: string;
}

export function accessOf(kubeconfig: string): ApiAccess {
  interface Named<T> {
    name: string;
    [k: string]: T | string;
  }
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as {
    'current-context': string;
    contexts: Named<{ cluster: string; user: string }>[];
    clusters: Named<{ server: string; 'certificate-authority': string }>[];
    users: Named<{ token: string }>[];
  };
  const name = kc['current-context'];
  const ctx = kc.contexts.find((c) => c.name === name)?.context as { cluster: string; user: string } | undefined;
  const cluster = kc.clusters.find((c) => c.name === ctx?.cluster)?.cluster as
    { server: string; 'certificate-authority': string } | undefined;
  const user = kc.users.find((u) => u.name === ctx?.user)?.user as { token: string } | undefined;
  if (!cluster || !user) throw new Error(`${kubeconfig}: no cluster or user for context "${name}"`);
  return { name, server: cluster.server, caFile: cluster['certificate-authority'], token: user.token };
}

export function apiCall(api: ApiAccess, path: string, o: HttpsOptions = {}): Promise<HttpResult> {
  return httpCall(`${api.server}${path}`, { caFile: api.caFile, token: api.token, ...o });
}

interface Item {
  metadata?: { uid?: string; resourceVersion?: string };
}

/**
 * List, then watch from the list's resourceVersion; any end or error lists again a second later. Calls
 * `changed` with every object after each change (a small cache: a test cluster's Services).
 */
export function listWatch<T extends Item>(
  api: ApiAccess,
  path: string,
  changed: (items: T[]) => void,
  failed: (why: string) => void,
): { ready: Promise<void>; stop(): void } {
  const items = new Map<string, T>();
  let stopped = false;
  let abort: (() => void) | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let cycles = 0;
  const cycle = async () => {
    const mine = ++cycles;
    // Once per cycle, however many ways it ends (an error, then the end of the response).
    const again = (why: string) => {
      if (stopped || mine !== cycles) return;
      cycles++;
      failed(why);
      setTimeout(() => void cycle(), 1000);
    };
    const listed = await apiCall(api, path).catch((err: unknown) => ({ status: 0, body: String(err) }));
    if (listed.status !== 200) return again(`list ${path}: HTTP ${listed.status} ${listed.body.slice(0, 200)}`);
    const list = JSON.parse(listed.body) as { metadata: { resourceVersion: string }; items: T[] };
    items.clear();
    for (const it of list.items) items.set(it.metadata?.uid ?? '', it);
    changed([...items.values()]);
    markReady();
    const url = new URL(`${api.server}${path}`);
    url.searchParams.set('watch', '1');
    url.searchParams.set('resourceVersion', list.metadata.resourceVersion);
    url.searchParams.set('allowWatchBookmarks', 'true');
    const req = request(url, { ca: readFileSync(api.caFile), headers: { authorization: `Bearer ${api.token}` } });
    abort = () => req.destroy();
    req.on('error', (err) => again(`watch ${path}: ${err.message}`));
    req.on('response', (res) => {
      if (res.statusCode !== 200) return again(`watch ${path}: HTTP ${res.statusCode}`);
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const event = JSON.parse(line) as { type: string; object: T & { code?: number } };
          if (event.type === 'ERROR') return req.destroy(new Error(`watch expired (${event.object.code})`));
          if (event.type === 'BOOKMARK') continue;
          const uid = event.object.metadata?.uid ?? '';
          if (event.type === 'DELETED') items.delete(uid);
          else items.set(uid, event.object);
          changed([...items.values()]);
        }
      });
      res.on('end', () => again(`watch ${path} ended`));
    });
    req.end();
  };
  void cycle();
  return {
    ready,
    stop: () => {
      stopped = true;
      abort?.();
    },
  };
}
