import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderWorld, type RenderWorld } from './render-support.js';

/**
 * Finding 11: renders reached any address. A fleet.yaml `helm.repo` on 127.0.0.1 and a kustomize
 * `resources:` entry with an HTTP or git URL made the hub fetch from a loopback listener.
 */
describe('finding 11: a render cannot make the hub dial an address the repository was not allowed', () => {
  let w: RenderWorld;
  let listener: Server;
  let connections = 0;

  beforeAll(async () => {
    listener = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as AddressInfo).port;
    w = await renderWorld({ chart: 'apps/chart', kust: 'apps/kust', git: 'apps/git', good: 'apps/good' });
    await w.commitAndRender({
      'apps/good/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n',
      'apps/chart/fleet.yaml': `helm:\n  repo: http://127.0.0.1:${port}/charts\n  chart: internal\n  version: 1.0.0\n`,
      'apps/kust/kustomization.yaml': `resources:\n  - cm.yaml\n  - http://127.0.0.1:${port}/cm.yaml\n`,
      'apps/kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n',
      'apps/git/kustomization.yaml': `resources:\n  - git::http://127.0.0.1:${port}/base.git//apps?ref=main\n`,
    });
  }, 120_000);

  afterAll(async () => {
    await w?.stop();
    listener?.close();
  });

  it('refuses a chart repository on a host the repository may not reach, before any connection', () => {
    expect(w.failure('chart')).toMatch(
      /helm chart http:\/\/127\.0\.0\.1:\d+\/charts internal: host 127\.0\.0\.1 is not in this repository's allowed render hosts \(none\)/,
    );
  });

  it('refuses remote kustomize bases (HTTP and git), naming file and line', () => {
    expect(w.failure('kust')).toMatch(
      /apps\/kust\/kustomization\.yaml:3: remote kustomize base "http:\/\/127\.0\.0\.1:\d+\/cm\.yaml"/,
    );
    expect(w.failure('git')).toMatch(/apps\/git\/kustomization\.yaml:2: remote kustomize base "git::http/);
  });

  it('nothing dialled the listener; the good target renders', () => {
    expect(connections).toBe(0);
    expect(w.failure('good')).toBeUndefined();
  });
});
