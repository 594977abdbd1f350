import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBinaries } from '../../harness/kube/binaries.js';
import { renderWorld, type RenderWorld } from './render-support.js';

/** A Helm chart repository on loopback: index.yaml and one archive made by `helm package`. */
async function chartRepository(dir: string): Promise<{ server: HttpServer; port: number; requests: string[] }> {
  const src = join(dir, 'web');
  mkdirSync(join(src, 'templates'), { recursive: true });
  writeFileSync(join(src, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 1.2.0\n');
  writeFileSync(
    join(src, 'templates', 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-chart-repo\n',
  );
  execFileSync(locateBinaries().helm, ['package', src, '--destination', dir], {
    env: { PATH: process.env.PATH, HOME: dir },
  });
  const archive = readFileSync(join(dir, 'web-1.2.0.tgz'));
  const digest = createHash('sha256').update(archive).digest('hex');
  const index = `apiVersion: v1\nentries:\n  web:\n  - {name: web, version: 1.2.0, digest: "${digest}", urls: [web-1.2.0.tgz]}\n`;
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/charts/index.yaml') res.end(index);
    else if (req.url === '/charts/web-1.2.0.tgz') res.end(archive);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

/**
 * Finding 11: renders reached any address. A fleet.yaml `helm.repo` on 127.0.0.1 and a kustomize
 * `resources:` entry with an HTTP or git URL made the hub fetch from a loopback listener.
 */
describe('finding 11: a render cannot make the hub dial an address the repository was not allowed', () => {
  let w: RenderWorld;
  let listener: Server;
  let connections = 0;
  let charts: Awaited<ReturnType<typeof chartRepository>>;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-chart-repo-'));

  beforeAll(async () => {
    listener = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as AddressInfo).port;
    charts = await chartRepository(dir);
    w = await renderWorld({
      chart: 'apps/chart',
      kust: 'apps/kust',
      git: 'apps/git',
      allowed: 'apps/allowed',
      good: 'apps/good',
    });
    await w.commitAndRender({
      'apps/good/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n',
      'apps/chart/fleet.yaml': `helm:\n  repo: http://127.0.0.1:${port}/charts\n  chart: internal\n  version: 1.0.0\n`,
      'apps/kust/kustomization.yaml': `resources:\n  - cm.yaml\n  - http://127.0.0.1:${port}/cm.yaml\n`,
      'apps/kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n',
      'apps/git/kustomization.yaml': `resources:\n  - git::http://127.0.0.1:${port}/base.git//apps?ref=main\n`,
      'apps/allowed/fleet.yaml': `helm:\n  repo: http://localhost:${charts.port}/charts\n  chart: web\n  version: 1.2.0\n`,
    });
  }, 120_000);

  afterAll(async () => {
    await w?.stop();
    listener?.close();
    charts?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a chart repository on a host the repository may not reach, before any connection', () => {
    expect(w.failure('chart')).toMatch(
      /helm chart http:\/\/127\.0\.0\.1:\d+\/charts internal: host 127\.0\.0\.1 is not in this repository's allowed render hosts \(none\)/,
    );
    expect(w.failure('allowed')).toMatch(/host localhost is not in this repository's allowed render hosts/);
  });

  it('refuses remote kustomize bases (HTTP and git), naming file and line', () => {
    expect(w.failure('kust')).toMatch(
      /apps\/kust\/kustomization\.yaml:3: remote kustomize base "http:\/\/127\.0\.0\.1:\d+\/cm\.yaml"/,
    );
    expect(w.failure('git')).toMatch(/apps\/git\/kustomization\.yaml:2: remote kustomize base "git::http/);
  });

  it('nothing dialled either listener; the good target renders', () => {
    expect(connections).toBe(0);
    expect(charts.requests).toEqual([]);
    expect(w.failure('good')).toBeUndefined();
  });

  it('a listed name that resolves to loopback is still refused: the address must be listed itself', async () => {
    const repo = w.store.repos.get('config')!;
    w.store.repos.put({ ...repo, renderHosts: ['localhost'] });
    await w.engine.reconcileNow();
    expect(w.failure('allowed')).toMatch(/localhost resolves to 127\.0\.0\.1.*loopback, link-local or private address/);
    expect(charts.requests).toEqual([]);
  });

  it('with the address allowed too, the hub fetches the chart itself and renders it', async () => {
    const repo = w.store.repos.get('config')!;
    w.store.repos.put({ ...repo, renderHosts: ['localhost', '127.0.0.1'] });
    await w.engine.reconcileNow();
    expect(w.failure('allowed')).toBeUndefined();
    expect(charts.requests).toEqual(['/charts/index.yaml', '/charts/web-1.2.0.tgz']);
    expect(w.bundles('allowed').join('\n')).toContain('from-chart-repo');
  });
});
