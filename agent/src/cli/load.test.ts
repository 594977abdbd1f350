import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifests } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadManifests', () => {
  it('reads a directory recursively in name order: multi-document YAML, JSON, Lists', async () => {
    const root = join(dir, 'ok');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(
      join(root, 'b.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
    );
    writeFileSync(
      join(root, 'a.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a' } }],
      }),
    );
    writeFileSync(join(root, 'sub', 'd.yml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n');
    writeFileSync(join(root, 'README.md'), '# not a manifest');
    const objects = await loadManifests(root);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/a',
      'ConfigMap/b',
      'ConfigMap/c',
      'Namespace/d',
    ]);
  });

  it('names file and line of a YAML error or a non-object', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkey: [unclosed\n');
    await expect(loadManifests(bad)).rejects.toThrow(/bad\.yaml:6:1: Flow sequence in block collection/);
    const notK8s = join(dir, 'plain.yaml');
    writeFileSync(notK8s, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nhello: world\n');
    await expect(loadManifests(notK8s)).rejects.toThrow(
      /plain\.yaml:5: not a Kubernetes object \(needs apiVersion and kind\)/,
    );
  });

  it('reads YAML as kubectl and the hub do: 0644 is 420, yes is true, a document with items is a list', async () => {
    const file = join(dir, 'kubectl.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n  data: {mode: 0644, on: yes}\n' +
        '---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\nimmutable: yes\n',
    );
    expect(await loadManifests(file)).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { mode: 420, true: true } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' }, immutable: true },
    ]);
  });

  it('names a path that does not exist', async () => {
    await expect(loadManifests(join(dir, 'nope'))).rejects.toThrow(/nope: ENOENT/);
  });
});
