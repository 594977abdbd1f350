import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries } from '@flotilla/test';
import { fetchChart } from './charts.js';

/** A Helm chart repository over real HTTP: index.yaml and archives made by `helm package`. */
describe('fetchChart (a real chart repository on loopback)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let requests: string[] = [];
  let index = '';
  let archive: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-charts-'));
    const src = join(dir, 'src', 'web');
    mkdirSync(join(src, 'templates'), { recursive: true });
    writeFileSync(join(src, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 1.2.0\n');
    writeFileSync(join(src, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n');
    execFileSync(locateBinaries().helm, ['package', src, '--destination', join(dir, 'pkg')], {
      env: { PATH: process.env.PATH, HOME: dir },
    });
    archive = readFileSync(join(dir, 'pkg', 'web-1.2.0.tgz'));
    const digest = createHash('sha256').update(archive).digest('hex');
    index = [
      'apiVersion: v1',
      'entries:',
      '  web:',
      '  - {name: web, version: 1.2.0, digest: ' + digest + ', urls: [web-1.2.0.tgz]}',
      '  - {name: web, version: 1.10.0-rc.1, urls: [web-1.10.0-rc.1.tgz]}',
      `  - {name: web, version: 1.1.9, digest: "${'0'.repeat(64)}", urls: [web-1.1.9.tgz]}`,
      '  - {name: web, version: 1.1.8, digest: 12, urls: [web-1.1.9.tgz]}',
      '  - {name: web, version: 0.9.0, urls: ["http://elsewhere.invalid/web-0.9.0.tgz"]}',
      '  redirected:',
      '  - {name: redirected, version: 1.0.0, urls: [go-away]}',
      '',
    ].join('\n');
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/charts/index.yaml') res.end(index);
      else if (req.url === '/charts/web-1.2.0.tgz' || req.url === '/charts/web-1.1.9.tgz') res.end(archive);
      else if (req.url === '/charts/go-away') res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
  });

  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fetchIt = (chart: string, version: string | undefined, allowed: string[]) =>
    fetchChart({ repo: base, chart, ...(version ? { version } : {}) }, { allowed }, join(dir, 'cache'), 'helm chart x');

  it('fetches the newest release by default, checks its digest, and keeps it by digest', async () => {
    requests = [];
    const file = await fetchIt('web', undefined, ['127.0.0.1']);
    expect(readFileSync(file)).toEqual(archive);
    expect(file).toBe(join(dir, 'cache', `${createHash('sha256').update(archive).digest('hex')}.tgz`));
    expect(requests).toEqual(['/charts/index.yaml', '/charts/web-1.2.0.tgz']);
    requests = [];
    expect(await fetchIt('web', '1.2.0', ['127.0.0.1'])).toBe(file);
    expect(requests).toEqual(['/charts/index.yaml']);
  });

  it('refuses an archive whose digest differs from the index', async () => {
    await expect(fetchIt('web', '1.1.9', ['127.0.0.1'])).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, the index says 0{64}/,
    );
  });

  it('refuses, before any request, a repository whose host is not allowed', async () => {
    requests = [];
    await expect(fetchIt('web', '1.2.0', [])).rejects.toThrow(
      /host 127\.0\.0\.1 is not in this repository's allowed render hosts/,
    );
    expect(requests).toEqual([]);
  });

  it('checks every redirect and every archive URL against the policy', async () => {
    await expect(fetchIt('redirected', '1.0.0', ['127.0.0.1'])).rejects.toThrow(/host 169\.254\.169\.254 is not in/);
    await expect(fetchIt('web', '0.9.0', ['127.0.0.1'])).rejects.toThrow(/host elsewhere\.invalid is not in/);
  });

  it('refuses version ranges, unknown versions and charts, and bad chart names', async () => {
    await expect(fetchIt('web', '^1.0.0', ['127.0.0.1'])).rejects.toThrow(
      /version ranges are not resolved.*pin an exact version/,
    );
    await expect(fetchIt('web', '3.0.0', ['127.0.0.1'])).rejects.toThrow(/version 3\.0\.0 of chart web is not in/);
    await expect(fetchIt('nope', undefined, ['127.0.0.1'])).rejects.toThrow(/chart nope is not in .*index\.yaml/);
    await expect(fetchIt('--devel', undefined, ['127.0.0.1'])).rejects.toThrow(
      /helm\.chart "--devel" must be a chart name/,
    );
  });

  it('caps what it reads', async () => {
    const big = index;
    index = `${index}#${'x'.repeat(2048)}\n`;
    try {
      await expect(
        fetchChart({ repo: base, chart: 'web' }, { allowed: ['127.0.0.1'] }, join(dir, 'cache'), 'helm chart x', {
          indexBytes: 1024,
          chartBytes: 1024,
          timeoutMs: 5000,
          redirects: 1,
        }),
      ).rejects.toThrow(/index\.yaml is larger than 1024 bytes/);
    } finally {
      index = big;
    }
  });
});
