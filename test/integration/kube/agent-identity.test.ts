import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KubeClient } from '@flotilla/agent';
import { protocol, store as hubStore, tls as hubTls } from '@flotilla/hub';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName } from '../../harness/kube/client.js';
import { freePort } from '../../harness/ports.js';
import { spawnServer, type Spawned } from '../../harness/process.js';

const cluster = clusterByName(inject('kubeClusters'), 'alpha');
const kube = KubeClient.fromKubeconfig(cluster.kubeconfig);
const ns = `flotilla-id-${randomBytes(3).toString('hex')}`;

describe('agent process: TLS to the hub, identity kept in a Secret, health endpoints', () => {
  let dir: string;
  let store: hubStore.Store;
  let hub: protocol.GrpcHub;
  let healthPort: number;
  let agent: Spawned | undefined;

  const startAgent = (token?: string) => {
    agent = spawnServer(
      process.execPath,
      [
        '--conditions=@flotilla/source',
        '--import',
        'tsx',
        join(REPO_ROOT, 'agent/src/cli/main.ts'),
        'run',
        ...['--hub', `localhost:${hub.port}`, '--cluster', 'alpha', '--kubeconfig', cluster.kubeconfig],
        ...['--state-dir', join(dir, 'state'), '--hub-ca', join(dir, 'ca.crt')],
        ...['--namespace', ns, '--identity-secret', 'flotilla-agent-identity'],
        ...['--health-addr', `127.0.0.1:${healthPort}`],
      ],
      {
        name: 'flotilla-agent',
        logFile: join(dir, 'agent.log'),
        cwd: REPO_ROOT,
        env: { ...process.env, ...(token ? { FLOTILLA_REGISTRATION_TOKEN: token } : {}) },
      },
    );
  };
  const readyz = () =>
    fetch(`http://127.0.0.1:${healthPort}/readyz`)
      .then(async (r) => ({ status: r.status, ...((await r.json()) as object) }))
      .catch(() => undefined);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-agent-id-'));
    store = hubStore.openStore(join(dir, 'hub.db'));
    const tls = hubTls.setupHubTls(join(dir, 'hub'), { mode: 'auto', sans: [], mtls: true })!;
    writeFileSync(join(dir, 'ca.crt'), tls.caCertificatePem!);
    hub = await protocol.startGrpcServer({ store, address: '127.0.0.1:0', tls });
    healthPort = await freePort();
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    store?.close();
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns }).catch(() => undefined);
    kube.close();
    if (process.env.FLOTILLA_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('registers with mutual TLS, keeps its identity in the Secret and reports ready', async () => {
    startAgent(protocol.mintRegistrationToken(store, { cluster: 'alpha' }).token);
    await expect.poll(() => hub.connectedClusters(), { timeout: 30_000 }).toEqual(['alpha']);
    await expect.poll(readyz, { timeout: 10_000 }).toMatchObject({ status: 200, ok: true, connected: true });
    const secret = async () =>
      Object.keys(
        ((await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'flotilla-agent-identity' }))?.data ??
          {}) as object,
      ).sort();
    await expect.poll(secret, { timeout: 10_000 }).toEqual(['client.crt', 'client.key', 'credential']);
  });

  it('a pod that lost its state dir comes back from the Secret, without a token', async () => {
    await agent?.stop();
    await expect.poll(() => hub.connectedClusters(), { timeout: 10_000 }).toEqual([]);
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    startAgent(); // the token was spent: only the Secret can bring the agent back
    await expect.poll(() => hub.connectedClusters(), { timeout: 30_000 }).toEqual(['alpha']);
    expect(readFileSync(join(dir, 'agent.log'), 'utf8')).toMatch(
      /"restored":\["credential","client.crt","client.key"\].*"msg":"identityRestored"/,
    );
  });
});
