import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';

export interface HttpResult {
  status: number;
  body: string;
}

export interface HttpsOptions {
  caFile?: string;
  token?: string;
  method?: string;
  body?: unknown;
  /** Of the body (default application/json): a merge patch says application/merge-patch+json. */
  contentType?: string;
  timeoutMs?: number;
}

/** A small HTTPS/HTTP client that trusts a given CA, for readiness probes and bootstrap objects. */
export function httpCall(url: string, opts: HttpsOptions = {}): Promise<HttpResult> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const options = {
    method: opts.method ?? 'GET',
    headers,
    timeout: opts.timeoutMs ?? 5000,
    ...(u.protocol === 'https:' && opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
  };
  const make = u.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${options.method} ${url} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
