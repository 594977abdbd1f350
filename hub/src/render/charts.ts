import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ARG_RULES, argProblem } from '../tools/args.js';
import { RemoteRefusedError } from './errors.js';
import { vetUrl, type HostPolicy } from './net-policy.js';

export class ChartFetchError extends RemoteRefusedError {}

export interface RemoteChart {
  /** The chart repository's URL (its index.yaml is under it). */
  repo: string;
  chart: string;
  /** An exact version; absent: the newest release (no pre-release). */
  version?: string;
}

export interface FetchLimits {
  indexBytes: number;
  chartBytes: number;
  timeoutMs: number;
  redirects: number;
}

const LIMITS: FetchLimits = { indexBytes: 32 * 2 ** 20, chartBytes: 20 * 2 ** 20, timeoutMs: 30_000, redirects: 3 };

interface IndexEntry {
  version?: unknown;
  urls?: unknown;
  digest?: unknown;
}

/** GET with the address vetted at every hop (redirects included); the body capped at `max` bytes. */
async function get(url: URL, policy: HostPolicy, what: string, max: number, limits: FetchLimits): Promise<Buffer> {
  for (let hop = 0; hop <= limits.redirects; hop++) {
    const vetted = await vetUrl(url, policy, what);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = make({
        host: vetted.address,
        family: vetted.family,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'user-agent': 'flotilla-hub' },
        servername: url.hostname,
        timeout: limits.timeoutMs,
      });
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer in ${limits.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    }).catch((err: unknown) => {
      throw new ChartFetchError(`${what}: GET ${url.href} failed: ${(err as Error).message}`, { cause: err });
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new ChartFetchError(`${what}: GET ${url.href} answered HTTP ${status}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        res.destroy();
        throw new ChartFetchError(`${what}: ${url.href} is larger than ${max} bytes; refusing it`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
  throw new ChartFetchError(`${what}: more than ${limits.redirects} redirects from ${url.href}`);
}

/** Version parts for ordering: 1.10.0 after 1.9.3; pre-releases (1.0.0-rc1) are never "newest". */
function versionKey(v: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

function pickEntry(entries: IndexEntry[], c: RemoteChart, what: string): IndexEntry {
  if (c.version !== undefined) {
    const exact = entries.find((e) => e.version === c.version || e.version === `v${c.version}`);
    if (!exact) throw new ChartFetchError(`${what}: version ${c.version} of chart ${c.chart} is not in ${c.repo}`);
    return exact;
  }
  let best: { entry: IndexEntry; key: number[] } | undefined;
  for (const entry of entries) {
    const k = typeof entry.version === 'string' ? versionKey(entry.version) : undefined;
    if (!k) continue;
    if (!best || compareVersions(k, best.key) > 0) best = { entry, key: k };
  }
  if (!best) throw new ChartFetchError(`${what}: chart ${c.chart} in ${c.repo} has no released version`);
  return best.entry;
}

/**
 * Fetches a chart archive from a Helm chart repository the way `helm pull` would, but from the hub,
 * under the repository's host policy, so that helm itself never needs the network. Archives are kept
 * by digest under `cacheDir`; the index's sha256 digest is checked when it gives one.
 */
export async function fetchChart(
  c: RemoteChart,
  policy: HostPolicy,
  cacheDir: string,
  what: string,
  limits: FetchLimits = LIMITS,
): Promise<string> {
  const bad = argProblem(c.chart, ARG_RULES.chartName);
  if (bad) throw new ChartFetchError(`${what}: helm.chart ${JSON.stringify(c.chart)} ${bad}`);
  if (c.version !== undefined && !versionKey(c.version) && !/^v?\d+\.\d+\.\d+-[0-9A-Za-z.-]+$/.test(c.version)) {
    throw new ChartFetchError(
      `${what}: helm.version ${JSON.stringify(c.version)}: version ranges are not resolved for remote charts; pin an exact version`,
    );
  }
  const base = new URL(c.repo.endsWith('/') ? c.repo : `${c.repo}/`);
  const index = parse(
    (await get(new URL('index.yaml', base), policy, what, limits.indexBytes, limits)).toString('utf8'),
    {
      maxAliasCount: 100,
    },
  ) as { entries?: Record<string, IndexEntry[]> } | null;
  const entries = index?.entries?.[c.chart];
  if (!Array.isArray(entries)) throw new ChartFetchError(`${what}: chart ${c.chart} is not in ${base.href}index.yaml`);
  const entry = pickEntry(entries, c, what);
  const first = Array.isArray(entry.urls) ? entry.urls[0] : undefined;
  if (typeof first !== 'string') throw new ChartFetchError(`${what}: the index names no URL for ${c.chart}`);
  const digest = entry.digest === undefined ? undefined : String(entry.digest).toLowerCase();
  if (digest !== undefined && (typeof entry.digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest))) {
    throw new ChartFetchError(`${what}: the index gives an invalid digest for ${c.chart}`);
  }
  const cached = digest ? join(cacheDir, `${digest}.tgz`) : undefined;
  if (cached && existsSync(cached)) return cached;
  const bytes = await get(new URL(first, base), policy, what, limits.chartBytes, limits);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (digest !== undefined && actual !== digest) {
    throw new ChartFetchError(
      `${what}: ${c.chart} ${String(entry.version)} has sha256 ${actual}, the index says ${digest}`,
    );
  }
  await mkdir(cacheDir, { recursive: true });
  const file = join(cacheDir, `${actual}.tgz`);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  return file;
}
