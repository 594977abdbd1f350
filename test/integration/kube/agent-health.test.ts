import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  Enforcer,
  InventoryStore,
  reconcile,
  type BundleReport,
  type Inventory,
  type KubeObject,
} from '@flotilla/agent';
import { clusterByName } from '../../harness/kube/client.js';
import { UNREADY_POD_LABEL } from '../../harness/kube/kwok-stages.js';
import { Kubectl, agentClient, bundle, deployment, inventories, namespace, unique } from './agent-support.js';

const alpha = clusterByName(inject('kubeClusters'), 'alpha');
const client = agentClient(alpha);
const store = inventories(client);
const kubectl = new Kubectl(alpha);
const ns = unique('health');

afterAll(async () => {
  await kubectl.deleteNamespaces(ns);
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
    const reports: BundleReport[] = [];
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
