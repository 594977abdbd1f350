import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  Enforcer,
  InventoryStore,
  reconcile,
  type DeploymentReport,
  type Inventory,
  type KubeObject,
} from '@flotilla/agent';
import { clusterByName } from '../../harness/kube/client.js';
import { UNREADY_POD_LABEL } from '../../harness/kube/kwok-stages.js';
import { Kubectl, agentClient, bundle, deployment, inventories, namespace, unique } from './agent-support.js';
import { gadget, gadgetCrd, setGadgetStatus } from './health-support.js';

const alpha = clusterByName(inject('kubeClusters'), 'alpha');
const client = agentClient(alpha);
const store = inventories(client);
const kubectl = new Kubectl(alpha);
const ns = unique('health');
const kns = unique('kstatus');
const group = `${unique('h')}.flotilla.test`;

afterAll(async () => {
  await kubectl.deleteNamespaces(ns, kns, `${kns}-pod`);
  await kubectl.client
    .delete({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      namespace: '',
      name: `gadgets.${group}`,
    })
    .catch(() => undefined);
  client.close();
  kubectl.close();
});

describe('bundle health on a simulated cluster', () => {
  it('is NotReady, naming the Deployment whose pods never become ready and why; Ready once the rest is', async () => {
    const b = bundle(`test/${ns}`, [
      namespace(ns),
      deployment(ns, 'ok'),
      deployment(ns, 'stuck', { podLabels: { [UNREADY_POD_LABEL]: 'true' } }),
    ]);
    const first = await reconcile(b, { client, inventories: store });
    expect(first.report.state).toBe('NotReady');

    // Unchanged reconciles read the live status; pods of "ok" become Ready, those of "stuck" never do.
    const poll = async () => (await reconcile(b, { client, inventories: store })).report;
    await expect
      .poll(async () => (await poll()).objects.find((o) => o.ref.name === 'ok')?.health, {
        timeout: 60_000,
        interval: 500,
      })
      .toBe('Ready');
    const report = await poll();
    expect(report.state).toBe('NotReady');
    expect(report.message).toBe(`Deployment/${ns}/stuck: 0 of 1 replicas available`);
    expect(report.objects.find((o) => o.ref.name === 'stuck')).toMatchObject({
      health: 'InProgress',
      state: 'NotReady',
    });

    const pods = await kubectl.client.list(
      await kubectl.client.resolve({ apiVersion: 'v1', kind: 'Pod' }),
      ns,
      `app=stuck`,
    );
    // Available=False on the live Deployment: kstatus' InProgress, not Ready.
    const live = await kubectl.get('apps/v1', 'Deployment', ns, 'stuck');
    expect((live?.status as { conditions?: unknown[] }).conditions).toContainEqual(
      expect.objectContaining({ type: 'Available', status: 'False' }),
    );
    expect(pods.items[0]?.status).toMatchObject({
      phase: 'Running',
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'False' })]),
    });
  });

  it("the enforcer reports a new object's health as its controller first observes it, even mid-reconcile", async () => {
    // Pods that can be scheduled nowhere: the Deployment controller observes it once, then stays quiet.
    const stuck: KubeObject = deployment(ns, 'unschedulable');
    const pod = (stuck.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    pod.nodeSelector = { 'flotilla.test/nowhere': 'true' };
    // Saving the inventory (the reconcile's last step) is held back: the controller's first status
    // update lands while the reconcile that created the Deployment still runs.
    class SlowStore extends InventoryStore {
      override async save(inv: Inventory, previous?: Inventory): Promise<boolean> {
        await new Promise((r) => setTimeout(r, 3_000));
        return super.save(inv, previous);
      }
    }
    const reports: DeploymentReport[] = [];
    const e = new Enforcer({
      client,
      inventories: new SlowStore(client),
      debounceMs: 50,
      onReport: (r) => reports.push(r),
    });
    const why = () => reports.at(-1)?.objects.find((o) => o.ref.name === 'unschedulable')?.message;
    try {
      await e.set(bundle(`test/${ns}-enforced`, [stuck]));
      // No resync (5 minutes away) and no later event: only the event seen mid-reconcile can tell.
      await expect.poll(why, { timeout: 15_000, interval: 200 }).toBe('0 of 1 replicas available');
      expect(reports.at(-1)?.state).toBe('NotReady');
    } finally {
      await e.stop();
    }
  });
});

/** The health of one object of a bundle, reconciled again until `until` holds or time runs out. */
async function healthUntil(b: ReturnType<typeof bundle>, name: string, until: (h: string, m: string) => boolean) {
  let last = { health: '', message: '' };
  await expect
    .poll(
      async () => {
        const r = await reconcile(b, { client, inventories: store });
        const o = r.report.objects.find((x) => x.ref.name === name);
        last = { health: o?.health ?? '', message: o?.message ?? '' };
        return until(last.health, last.message);
      },
      { timeout: 60_000, interval: 500 },
    )
    .toBe(true);
  return last;
}

describe('kstatus rules on a simulated cluster', () => {
  it('a ReplicaSet whose pods never become ready is InProgress, naming the replicas missing', async () => {
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'short', namespace: kns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'short' } },
        template: {
          metadata: { labels: { app: 'short', [UNREADY_POD_LABEL]: 'true' } },
          spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
        },
      },
    };
    const b = bundle(`test/${kns}-rs`, [namespace(kns), rs]);
    const h = await healthUntil(b, 'short', (_h, m) => m === '0 of 1 replicas available');
    expect(h.health).toBe('InProgress');
    const live = await kubectl.get('apps/v1', 'ReplicaSet', kns, 'short');
    expect(live?.status).toMatchObject({ replicas: 1, fullyLabeledReplicas: 1 });
    expect((live?.status as { readyReplicas?: number }).readyReplicas ?? 0).toBe(0);
  });

  it('a custom resource is Failed with Stalled=True and InProgress with Reconciling=True, before its Ready', async () => {
    const b = bundle(`test/${kns}-gadgets`, [namespace(kns), gadgetCrd(group), gadget(group, kns, 'g1')]);
    expect((await healthUntil(b, 'g1', (h) => h !== '')).health).toBe('Ready');
    const ready = { type: 'Ready', status: 'True', reason: 'Done' };
    await setGadgetStatus(kubectl, group, kns, 'g1', {
      conditions: [ready, { type: 'Stalled', status: 'True', reason: 'QuotaExceeded', message: 'no more IPs' }],
    });
    expect(await healthUntil(b, 'g1', (h) => h !== 'Ready')).toEqual({
      health: 'Failed',
      message: 'QuotaExceeded: no more IPs',
    });
    await setGadgetStatus(kubectl, group, kns, 'g1', {
      conditions: [ready, { type: 'Reconciling', status: 'True', reason: 'Resizing', message: 'growing to 3' }],
    });
    expect(await healthUntil(b, 'g1', (h) => h !== 'Failed')).toEqual({
      health: 'InProgress',
      message: 'Resizing: growing to 3',
    });
  });

  it('a Job suspended on purpose is Ready once its controller says it is suspended', async () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'later', namespace: kns },
      spec: {
        suspend: true,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      },
    };
    const b = bundle(`test/${kns}-job`, [namespace(kns), job]);
    expect(await healthUntil(b, 'later', (h) => h === 'Ready')).toEqual({ health: 'Ready', message: '' });
    const live = await kubectl.get('batch/v1', 'Job', kns, 'later');
    expect((live?.status as { conditions?: unknown[] }).conditions).toContainEqual(
      expect.objectContaining({ type: 'Suspended', status: 'True' }),
    );
  });
});

describe('an unschedulable Pod on a simulated cluster', () => {
  it('the enforcer reports it Failed when its 15 s grace period ends, with no event and no resync', async () => {
    const podNs = `${kns}-pod`;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nowhere', namespace: podNs },
      spec: {
        nodeSelector: { 'flotilla.test/nowhere': 'true' },
        containers: [{ name: 'c', image: 'nginx:1.27' }],
      },
    };
    const reports: DeploymentReport[] = [];
    const e = new Enforcer({
      client,
      inventories: store,
      debounceMs: 50,
      resyncMs: 3_600_000,
      onReport: (r) => reports.push(r),
    });
    const of = (r: DeploymentReport | undefined) => r?.objects.find((o) => o.ref.name === 'nowhere');
    try {
      await e.set(bundle(`test/${podNs}`, [namespace(podNs), pod]));
      await expect.poll(() => of(reports.at(-1))?.health, { timeout: 60_000, interval: 200 }).toBe('Failed');
      const last = reports.at(-1);
      expect(of(last)?.message).toMatch(/^unschedulable: 0\/\d+ nodes are available/);
      const live = await kubectl.get('v1', 'Pod', podNs, 'nowhere');
      const created = Date.parse(String(live?.metadata.creationTimestamp));
      expect(last?.observedAt).toBeGreaterThanOrEqual(created + 15_000);
    } finally {
      await e.stop();
    }
  });
});
