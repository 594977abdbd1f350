import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '@flotilla/agent';
import { REPO_ROOT } from '../../harness/kube/binaries.js';
import { clusterByName } from '../../harness/kube/client.js';
import { Kubectl, configMap, inventories, namespace, unique } from './agent-support.js';

const alpha = clusterByName(inject('kubeClusters'), 'alpha');
const kubectl = new Kubectl(alpha);
const work = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
const namespaces: string[] = [];

afterAll(async () => {
  await kubectl.deleteNamespaces(...namespaces);
  rmSync(work, { recursive: true, force: true });
  kubectl.close();
});

/** The real `flotilla-agent` entry point, run from its TypeScript sources. */
function cli(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=@flotilla/source', '--import', 'tsx', 'agent/src/cli/main.ts', ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

function writeBundle(name: string, objects: KubeObject[]): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'objects.yaml'), objects.map((o) => stringify(o)).join('---\n'));
  return dir;
}

const many = (ns: string, prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => configMap(ns, `${prefix}-${i}`, { index: String(i) }));

async function configMapNames(ns: string): Promise<string[]> {
  const info = await kubectl.client.resolve({ apiVersion: 'v1', kind: 'ConfigMap' });
  return (await kubectl.client.list(info, ns)).items
    .map((o) => o.metadata.name ?? '')
    .filter((n) => n !== 'kube-root-ca.crt');
}

describe('flotilla-agent apply and diff', () => {
  it('applies once and prints the change set and health; diff shows what would change; exit codes say so', async () => {
    const ns = unique('cli');
    namespaces.push(ns);
    const base = ['--kubeconfig', alpha.kubeconfig, '--deployment', `cli/${ns}`, '--output', 'json'];
    const dir = writeBundle('once', [namespace(ns), configMap(ns, 'settings', { color: 'blue' })]);

    const applied = await cli(['apply', ...base, '--wait', '30s', dir]).done;
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const out = JSON.parse(applied.stdout) as {
      deployment: string;
      state: string;
      objects: { object: string; change: string; health: string }[];
    };
    expect(out.deployment).toBe(`cli/${ns}`);
    expect(out.state).toBe('Ready');
    expect(out.objects.map((o) => [o.object, o.change, o.health])).toEqual([
      [`Namespace/${ns}`, 'created', 'Ready'],
      [`ConfigMap/${ns}/settings`, 'created', 'Ready'],
    ]);

    const same = await cli(['diff', ...base, dir]).done;
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ command: 'diff', changed: 0 });

    writeBundle('once', [namespace(ns), configMap(ns, 'settings', { color: 'green' })]);
    const changed = await cli(['diff', ...base, dir]).done;
    expect(changed.code).toBe(1);
    const diff = JSON.parse(changed.stdout) as { objects: { object: string; action: string; fields: unknown[] }[] };
    expect(diff.objects.find((o) => o.object === `ConfigMap/${ns}/settings`)).toMatchObject({
      action: 'update',
      fields: [{ path: '/data/color', before: 'blue', after: 'green' }],
    });
    expect((await kubectl.get('v1', 'ConfigMap', ns, 'settings'))?.data).toEqual({ color: 'blue' });

    writeBundle('once', [namespace(ns), configMap(ns, 'settings', { color: 'green' }), configMap(ns, 'Bad', {})]);
    const failed = await cli(['apply', '--kubeconfig', alpha.kubeconfig, '--deployment', `cli/${ns}`, dir]).done;
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`failed      Unknown  ConfigMap/${ns}/Bad`);
    expect(failed.stdout).toContain(`deployment cli/${ns}: ErrApplied`);

    const usage = await cli(['apply', '--kubeconfig', alpha.kubeconfig]).done;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("apply: give the bundle's directory or file");
  });

  it('killed mid-apply and restarted: no orphan, no duplicate, inventory intact', async () => {
    const ns = unique('kill');
    namespaces.push(ns);
    const id = `cli/${ns}`;
    const run = (dir: string) =>
      cli(['apply', '--kubeconfig', alpha.kubeconfig, '--deployment', id, '--concurrency', '2', '-o', 'json', dir]);

    const first = await run(writeBundle('v1', [namespace(ns), ...many(ns, 'a', 20)])).done;
    expect(first.code).toBe(0);

    // v2 replaces every object; the agent dies while creating them.
    const v2 = writeBundle('v2', [namespace(ns), ...many(ns, 'b', 300)]);
    const killed = run(v2);
    await expect
      .poll(async () => (await configMapNames(ns)).filter((n) => n.startsWith('b-')).length, {
        timeout: 60_000,
        interval: 100,
      })
      .toBeGreaterThanOrEqual(10);
    killed.child.kill('SIGKILL');
    expect((await killed.done).code).toBe(null);
    const partial = (await configMapNames(ns)).filter((n) => n.startsWith('b-')).length;
    expect(partial).toBeLessThan(300);

    // What the dead agent may have created is already in the inventory.
    const inv = await inventories(kubectl.client).load(id);
    const held = new Set([...(inv?.entries.values() ?? [])].map((e) => e.ref.name));
    for (const name of await configMapNames(ns)) expect(held).toContain(name);

    const resumed = await run(v2).done;
    expect(resumed.code).toBe(0);
    const names = await configMapNames(ns);
    expect(names.filter((n) => n.startsWith('a-'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('b-')).sort()).toEqual(
      many(ns, 'b', 300)
        .map((o) => o.metadata.name)
        .sort(),
    );
    const after = await inventories(kubectl.client).load(id);
    expect(after?.entries.size).toBe(301);
    expect([...(after?.entries.values() ?? [])].every((e) => e.digest !== '')).toBe(true);

    const final = await run(writeBundle('v3', [namespace(ns), ...many(ns, 'c', 3)])).done;
    expect(final.code).toBe(0);
    expect((await configMapNames(ns)).sort()).toEqual(['c-0', 'c-1', 'c-2']);
  });
});
