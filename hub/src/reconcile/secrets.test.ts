import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '@flotilla/test';
import type { PlaintextSecretPolicy } from '../render/secrets-policy.js';
import { SecretBox } from '../secrets.js';
import { bwrapSandbox } from '../tools/sandbox.js';
import { openStore, type Store } from '../store/index.js';
import { Engine } from './engine.js';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  v: "1"\n';
const SECRET =
  'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\ndata:\n  password: aHVudGVyMg==\n';

describe('plaintext Secrets committed to Git (real Git over HTTP, SQLite)', () => {
  let git: GitServer | undefined;
  let dir: string | undefined;
  let store: Store | undefined;
  let engine: Engine | undefined;

  afterEach(async () => {
    await engine?.stop();
    store?.close();
    await git?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const setUp = async (policy: PlaintextSecretPolicy) => {
    git = await startGitServer();
    await git.createRepo('config');
    await git.commitFiles('config', { 'apps/app/cm.yaml': CM });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-secrets-'));
    const s = openStore(join(dir, 'hub.db'));
    store = s;
    s.repos.put({ name: 'config', url: git.url('config'), pollIntervalSeconds: 3600 });
    s.environments.put({ name: 'dev', repo: 'config', branch: 'main', selector: 'env=dev' });
    s.clusters.create({ name: 'c1', labels: { env: 'dev' } });
    s.targets.put({ name: 'app', repo: 'config', path: 'apps/app', environments: ['dev'] });
    const e = new Engine({
      store: s,
      dataDir: dir,
      secrets: SecretBox.loadOrCreate(join(dir, 'hub.key')),
      tools: { helm: 'helm', kustomize: 'kustomize', sandbox: bwrapSandbox() },
      plaintextSecrets: policy,
    });
    engine = e;
    e.start();
    await e.fetch('config');
    await e.reconcileNow();
    const first = s.deployments.get({ cluster: 'c1', target: 'app', environment: 'dev' });
    await git.commitFiles('config', { 'apps/app/secret.yaml': SECRET });
    await e.fetch('config');
    await e.reconcileNow();
    return { s, first };
  };

  it('warns by default: the bundle rolls out and a PlaintextSecret event names the Secret and the target', async () => {
    const { s, first } = await setUp('warn');
    const now = s.deployments.get({ cluster: 'c1', target: 'app', environment: 'dev' });
    expect(now?.bundle).not.toBe(first?.bundle);
    const [event] = s.events.list({ kind: 'PlaintextSecret' });
    expect(event).toMatchObject({ target: 'app', environment: 'dev' });
    expect(event?.payload.message).toMatch(
      /target app \(path apps\/app, environment dev\): Secret app\/db holds values/,
    );
  });

  it('refuses when configured: the render fails with the reason and the previous bundle stays', async () => {
    const { s, first } = await setUp('refuse');
    expect(s.deployments.get({ cluster: 'c1', target: 'app', environment: 'dev' })?.bundle).toBe(first?.bundle);
    const status = s.renderStatus.get('app', 'dev');
    expect(status?.state).toBe('Failed');
    expect(status?.message).toMatch(/Secret app\/db holds values in plain text in Git; refused by policy/);
    expect(s.events.list({ kind: 'PlaintextSecret' })).toEqual([]);
  });
});
