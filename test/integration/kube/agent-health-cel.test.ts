import { describe, expect, it } from 'vitest';
import { Enforcer, reconcile, type DeploymentReport, type HealthCheck } from '@flotilla/agent';
import { bundle, namespace, unique, useClusterAlpha } from './agent-support.js';
import { gadget, gadgetCrd, setGadgetStatus } from './health-support.js';

const { client, store, kubectl, fresh, clusterScoped } = useClusterAlpha();

/** A CRD of the test's own, whose controller (the test) reports a phase and no condition. */
function gadgets() {
  const group = `${unique('cel')}.flotilla.test`;
  clusterScoped.push({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    name: `gadgets.${group}`,
  });
  const rule: HealthCheck = {
    apiVersion: `${group}/v1`,
    kind: 'Gadget',
    inProgress: "status.?phase.orValue('') == 'Provisioning'",
    failed: "status.?phase.orValue('') == 'Broken'",
    current: "status.?phase.orValue('') == 'Running' && status.readyUnits >= spec.units",
  };
  return { group, rule };
}

describe('CEL health rules on a simulated cluster', () => {
  it('judge a custom resource by its own status fields, where the built-in rules see nothing', async () => {
    const ns = fresh('cel');
    const { group, rule } = gadgets();
    const objects = [namespace(ns), gadgetCrd(group), gadget(group, ns, 'g1', { units: 2 })];
    const withRule = bundle(`test/${ns}`, objects, { healthChecks: [rule] });
    const health = async () => {
      const r = await reconcile(withRule, { client, inventories: store });
      const o = r.report.objects.find((x) => x.ref.name === 'g1');
      return { health: o?.health, message: o?.message };
    };
    // No status yet: kstatus' rules call it Ready (it exists, no conditions); the rule waits.
    expect(await health()).toEqual({ health: 'InProgress', message: `not yet current: ${rule.current}` });

    await setGadgetStatus(kubectl, group, ns, 'g1', { phase: 'Provisioning' });
    await expect.poll(health).toEqual({ health: 'InProgress', message: `inProgress: ${rule.inProgress}` });
    await setGadgetStatus(kubectl, group, ns, 'g1', { phase: 'Running', readyUnits: 2 });
    await expect.poll(health).toEqual({ health: 'Ready', message: '' });
    await setGadgetStatus(kubectl, group, ns, 'g1', { phase: 'Broken' });
    await expect.poll(health).toEqual({ health: 'Failed', message: `failed: ${rule.failed}` });
  });

  it('an expression that fails to evaluate is the object health message; the enforcer follows status changes', async () => {
    const ns = fresh('cel-enf');
    const { group, rule } = gadgets();
    const reports: DeploymentReport[] = [];
    const e = new Enforcer({ client, inventories: store, debounceMs: 50, onReport: (r) => reports.push(r) });
    const g1 = () => reports.at(-1)?.objects.find((o) => o.ref.name === 'g1');
    try {
      await e.set(
        bundle(`test/${ns}`, [namespace(ns), gadgetCrd(group), gadget(group, ns, 'g1', { units: 1 })], {
          healthChecks: [rule],
        }),
      );
      // Running without readyUnits: `status.readyUnits` does not exist, and the rule says so.
      await setGadgetStatus(kubectl, group, ns, 'g1', { phase: 'Running' });
      await expect
        .poll(() => g1()?.message, { timeout: 30_000 })
        .toBe(`health check for Gadget.${group}: current: No such key: readyUnits`);
      expect(g1()?.health).toBe('Unknown');
      expect(reports.at(-1)?.state).toBe('Pending');
      await setGadgetStatus(kubectl, group, ns, 'g1', { phase: 'Running', readyUnits: 1 });
      await expect.poll(() => reports.at(-1)?.state, { timeout: 30_000 }).toBe('Ready');
    } finally {
      await e.stop();
    }
  });
});
