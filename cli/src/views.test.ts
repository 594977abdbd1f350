import type { DeploymentView } from '@flotilla/proto/api';
import { describe, expect, it } from 'vitest';
import { deploymentsTable } from './views.js';

const base = {
  environment: 'prod',
  target: 'web',
  bundle: 'a'.repeat(64),
  generation: 2,
  updatedAt: new Date().toISOString(),
};

describe('deploymentsTable', () => {
  it('counts ready objects and names the ones holding a deployment back, worst deployment first', () => {
    const items: DeploymentView[] = [
      {
        ...base,
        cluster: 'edge-1',
        state: 'Ready',
        message: '3 objects ready',
        objects: { total: 3, ready: 3, notReady: [] },
      },
      {
        ...base,
        cluster: 'edge-2',
        state: 'ErrApplied',
        message: 'Service/shop/web: field is immutable',
        retry: {
          attempt: 2,
          at: new Date(Date.now() + 3_630_000).toISOString(),
          reason: 'Service/shop/web: spec.clusterIP: field is immutable',
        },
        objects: {
          total: 14,
          ready: 11,
          notReady: [
            {
              apiVersion: 'v1',
              kind: 'Service',
              namespace: 'shop',
              name: 'web',
              state: 'ErrApplied',
              health: 'Unknown',
              change: 'failed',
              message: 'spec.clusterIP: field is immutable',
            },
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              namespace: 'shop',
              name: 'web',
              state: 'NotReady',
              health: 'InProgress',
              change: 'configured',
              message: 'Available: 1/3 replicas',
            },
          ],
        },
      },
      // Not reported on yet: no count.
      { ...base, cluster: 'edge-3', state: 'Pending', message: '' },
    ];
    const lines = deploymentsTable(items).split('\n');
    expect(lines[0]).toMatch(/^CLUSTER\s+ENVIRONMENT\s+TARGET\s+STATE\s+READY\s+RETRY\s+REVISION/);
    // The second failed apply in a row; the agent applies again in an hour (or at `deployments retry`).
    expect(lines[1]).toMatch(/^edge-2\s+prod\s+web\s+ErrApplied\s+11\/14\s+#2 in 60m\s/);
    expect(lines[2]).toMatch(/^edge-3\s+prod\s+web\s+Pending\s+-\s/);
    expect(lines[3]).toMatch(/^edge-1\s+prod\s+web\s+Ready\s+3\/3\s/);
    const below = lines.slice(lines.indexOf('Objects not ready:') + 1);
    expect(below[0]).toMatch(/^\s+DEPLOYMENT\s+OBJECT\s+STATE\s+HEALTH\s+MESSAGE$/);
    expect(below[1]).toMatch(
      /^\s+edge-2\/prod\/web\s+Service\/shop\/web\s+ErrApplied\s+Unknown\s+spec.clusterIP: field is immutable$/,
    );
    expect(below[2]).toMatch(
      /^\s+edge-2\/prod\/web\s+Deployment\/shop\/web\s+NotReady\s+InProgress\s+Available: 1\/3 replicas$/,
    );
    // 14 - 11 = 3 not ready, 2 listed.
    expect(below[3]).toMatch(/^\s+edge-2\/prod\/web\s+\(and 1 more\)/);
    expect(below).toHaveLength(4);
  });

  it('adds no section when every object is ready', () => {
    const text = deploymentsTable([
      { ...base, cluster: 'edge-1', state: 'Ready', message: '', objects: { total: 1, ready: 1, notReady: [] } },
    ]);
    expect(text).not.toContain('Objects not ready');
    expect(text.split('\n')).toHaveLength(2);
  });
});
