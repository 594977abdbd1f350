import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Service } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { AGENT_MAIN, NODE_TS } from '../../harness/hub.js';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName, kubeClient } from '../../harness/kube/client.js';
import { liveProcesses, readRecord, type KubeClusterInfo } from '../../harness/kube/fleet.js';
import { LB_ASSIGNER_NAME } from '../../harness/kube/lb-assigner.js';
import { DEFAULT_LB_RANGE, parseRange } from '../../harness/kube/lb-plan.js';

const suffix = Math.random().toString(16).slice(2, 8);
const POOL = new Set(parseRange(DEFAULT_LB_RANGE));
const work = mkdtempSync(join(tmpdir(), 'flotilla-lb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const service = (ns: string, name: string, type = 'LoadBalancer') => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { type, selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
});

const ingressIp = (s: V1Service | undefined) => s?.status?.loadBalancer?.ingress?.[0]?.ip;

/** Runs a command to its end, with its output. */
function run(args: string[]): Promise<{ code: number; stdout: string; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, out: `${stdout}${stderr}` }),
    );
  });
}

/**
 * Issue #19, item 9: a Service of type LoadBalancer kept its cluster NotReady forever on the simulated
 * clusters (kstatus waits for an address, and nothing assigned one). The fleet now runs an address
 * assigner, as cloud-provider-kind or MetalLB do.
 */
describe('load-balancer addresses on the simulated clusters', () => {
  const alpha = clusterByName(inject('kubeClusters'), 'alpha');
  const core = kubeClient(alpha).makeApiClient(CoreV1Api);
  const ns = `lb-${suffix}`;
  afterAll(() => core.deleteNamespace({ name: ns }).catch(() => undefined));
  const read = (name: string) => core.readNamespacedService({ name, namespace: ns }).catch(() => undefined);

  it('a LoadBalancer Service applied by the agent becomes Ready with an address from the pool', async () => {
    const dir = join(work, 'bundle');
    mkdirSync(dir, { recursive: true });
    const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, service(ns, 'web')];
    writeFileSync(join(dir, 'objects.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    const r = await run([
      ...NODE_TS,
      AGENT_MAIN,
      'apply',
      '--kubeconfig',
      alpha.kubeconfig,
      '--deployment',
      `lb/${suffix}`,
      '--inventory-namespace',
      ns,
      '--wait',
      '60s',
      '-o',
      'json',
      dir,
    ]);
    expect(r.code, r.out).toBe(0);
    const out = JSON.parse(r.stdout) as { state: string; objects: { object: string; health: string }[] };
    expect(out.state).toBe('Ready');
    expect(out.objects).toContainEqual(expect.objectContaining({ object: `Service/${ns}/web`, health: 'Ready' }));
    expect(POOL.has(ingressIp(await read('web')) ?? '')).toBe(true);
  });

  it('gives each Service its own address, frees it on delete, and clears it when the type changes', async () => {
    await core.createNamespacedService({ namespace: ns, body: service(ns, 'one') });
    await core.createNamespacedService({ namespace: ns, body: service(ns, 'two') });
    await expect.poll(async () => ingressIp(await read('one')), { timeout: 30_000 }).toBeDefined();
    await expect.poll(async () => ingressIp(await read('two')), { timeout: 30_000 }).toBeDefined();
    const [one, two, web] = await Promise.all(['one', 'two', 'web'].map(async (n) => ingressIp(await read(n))));
    expect(new Set([one, two, web]).size).toBe(3);

    await core.deleteNamespacedService({ name: 'one', namespace: ns });
    await core.createNamespacedService({ namespace: ns, body: service(ns, 'three') });
    // The lowest free address: the one just freed (no other suite makes LoadBalancer Services here).
    await expect.poll(async () => ingressIp(await read('three')), { timeout: 30_000 }).toBe(one);

    await core.patchNamespacedService(
      { name: 'two', namespace: ns, body: { spec: { type: 'ClusterIP' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await expect
      .poll(async () => (await read('two'))?.status?.loadBalancer?.ingress ?? [], { timeout: 30_000 })
      .toEqual([]);
  });
});

describe('npm run kube:up: the assigner is one of the fleet processes, and outlives the command', () => {
  const dir = join(work, 'fleet');
  const cli = (...args: string[]) => run(['--import', 'tsx', 'test/harness/kube-cli.ts', ...args, '--dir', dir]);
  afterAll(() => cli('down'));

  it(
    'records it in the state file, assigns after kube:up has exited, and kube:down stops it',
    { timeout: 300_000 },
    async () => {
      const up = await cli('up', '--names', `lb${suffix}`, '--minimal', '--load-balancers');
      expect(up.code, up.out).toBe(0);
      const record = readRecord(dir);
      const assigner = record?.processes.find((p) => p.name === LB_ASSIGNER_NAME);
      expect(assigner).toBeDefined();
      expect(liveProcesses(record!).map((p) => p.name)).toContain(LB_ASSIGNER_NAME);

      const cluster = record!.clusters[0] as KubeClusterInfo;
      const core = kubeClient(cluster).makeApiClient(CoreV1Api);
      await core.createNamespacedService({ namespace: 'default', body: service('default', 'edge') });
      await expect
        .poll(async () => ingressIp(await core.readNamespacedService({ name: 'edge', namespace: 'default' })), {
          timeout: 30_000,
        })
        .toBe(parseRange(DEFAULT_LB_RANGE)[0]);

      const down = await cli('down');
      expect(down.code, down.out).toBe(0);
      expect(liveProcesses(record!)).toEqual([]);
    },
  );
});
