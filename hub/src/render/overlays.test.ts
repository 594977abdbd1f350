import { describe, expect, it } from 'vitest';
import type { JsonObject, ManifestObject } from '../bundle/index.js';
import { stringify } from 'yaml';
import { OverlayError } from './errors.js';
import type { SourceFile } from './load.js';
import { applyYamlOverlays, mergePatch, patchTarget } from './overlays.js';

const cm = (name: string, data: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const at = (file: string, object: JsonObject, line = 1): ManifestObject => ({ object, source: { file, line } });
/** A file of the overlay as the loader hands it over: its text. */
const text = (file: string, body: string): SourceFile => ({ file, text: body });
const yaml = (file: string, object: unknown): SourceFile => text(file, stringify(object, { version: '1.1' }));
const summary = (objects: readonly ManifestObject[]) =>
  objects.map(({ object, source }) => [source?.file, (object.metadata as { name: string }).name, object.data]);

describe('mergePatch (RFC 7396)', () => {
  it.each([
    ['a new key', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ['a replaced value', { a: 1 }, { a: 2 }, { a: 2 }],
    ['a deleted key', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['a nested merge', { a: { x: 1, y: 2 } }, { a: { y: 3 } }, { a: { x: 1, y: 3 } }],
    ['a list, replaced whole', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['a scalar replaced by a map', { a: 1 }, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['a non-map patch', { a: 1 }, 'x', 'x'],
  ])('%s', (_name, target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });
});

describe('patchTarget', () => {
  it.each([
    ['deployment_patch.yaml', 'deployment.yaml'],
    ['sub/svc_patch.yml', 'sub/svc.yml'],
    ['a_patch.json', 'a.json'],
    ['deployment.yaml', undefined],
    ['my_patch/x.yaml', undefined],
    // Fleet replaces the first "_patch." of the name (strings.Replace(base, "_patch.", ".", 1)).
    ['a_patch.b_patch.yaml', 'a.b_patch.yaml'],
    ['x_patchy.yaml', undefined],
  ])('%s → %s', (path, expected) => {
    expect(patchTarget(path)).toBe(expected);
  });
});

describe('applyYamlOverlays', () => {
  const base = [
    at('apps/web/config.yaml', cm('config', { size: 'm', color: 'blue' })),
    at('apps/web/multi.yaml', cm('one', { n: '1' })),
    at('apps/web/multi.yaml', cm('two', { n: '2' }), 6),
    at('apps/web/sub/extra.yaml', cm('extra')),
  ];

  it('patches, replaces and adds files, in overlay order, leaving the input alone', () => {
    const copy = structuredClone(base);
    const out = applyYamlOverlays(
      base,
      [
        {
          dir: 'apps/web/overlays/eu',
          files: [
            yaml('apps/web/overlays/eu/config_patch.yaml', { data: { size: 'l', color: null } }),
            yaml('apps/web/overlays/eu/sub/extra.yaml', cm('extra-eu')),
            yaml('apps/web/overlays/eu/new.yaml', cm('new')),
          ],
        },
        {
          dir: 'apps/web/overlays/prod',
          files: [
            yaml('apps/web/overlays/prod/multi_patch.yaml', {
              kind: 'ConfigMap',
              metadata: { name: 'two' },
              data: { n: '22' },
            }),
            yaml('apps/web/overlays/prod/new_patch.yaml', { data: { from: 'prod' } }),
          ],
        },
      ],
      'apps/web',
    );
    expect(summary(out)).toEqual([
      ['apps/web/config.yaml', 'config', { size: 'l' }],
      ['apps/web/multi.yaml', 'one', { n: '1' }],
      ['apps/web/multi.yaml', 'two', { n: '22' }],
      ['apps/web/overlays/eu/sub/extra.yaml', 'extra-eu', {}],
      ['apps/web/overlays/eu/new.yaml', 'new', { from: 'prod' }],
    ]);
    expect(base).toEqual(copy);
  });

  it('returns the base when no overlay is selected', () => {
    expect(applyYamlOverlays(base, [], 'apps/web')).toEqual(base);
  });

  it('keeps objects from outside the bundle directory untouched', () => {
    const loose: ManifestObject = { object: cm('generated') };
    expect(applyYamlOverlays([loose, ...base], [], 'apps/web')[0]).toBe(loose);
  });

  it.each([
    [
      'a patch for a file not in the bundle',
      [yaml('o/missing_patch.yaml', { data: {} })],
      'o/missing_patch.yaml patches missing.yaml, which is not in the bundle',
    ],
    [
      'a patch for a file of several objects that names none',
      [text('o/multi_patch.yaml', '# one\n# two\ndata: {}\n')],
      'o/multi_patch.yaml:3: multi.yaml holds 2 objects; give the patch the kind and metadata.name',
    ],
    [
      'a patch naming an object the file does not hold',
      [yaml('o/multi_patch.yaml', { kind: 'ConfigMap', metadata: { name: 'three' } })],
      'multi.yaml holds 2 objects',
    ],
    [
      'an object outside the overlay directory',
      [yaml('elsewhere/x.yaml', cm('x'))],
      'not inside the overlay directory o',
    ],
  ])('refuses %s', (_name, files, message) => {
    const run = () => applyYamlOverlays(base, [{ dir: 'o', files }], 'apps/web');
    expect(run).toThrow(OverlayError);
    expect(run).toThrow(message);
  });
});

describe('applyYamlOverlays: Fleet file semantics', () => {
  const deployment = (name: string, spec: JsonObject): JsonObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec,
  });
  const base = [
    at('app/web.yaml', deployment('web', { replicas: 1 })),
    at('app/cache.yaml', deployment('cache', { replicas: 1 })),
    at('app/cache.yaml', cm('cache-config'), 8),
    at('app/config.yaml', cm('config', { a: '1' })),
  ];
  const names = (objects: readonly ManifestObject[]) =>
    objects.map((o) => (o.object.metadata as { name: string }).name);

  it.each([
    ['an empty file', ''],
    ['a file of comments and empty documents', '# not here\n---\n---\n'],
  ])('%s in an overlay removes every object of its base file', (_name, body) => {
    const out = applyYamlOverlays(
      base,
      [{ dir: 'app/overlays/dev', files: [text('app/overlays/dev/cache.yaml', body)] }],
      'app',
    );
    expect(names(out)).toEqual(['web', 'config']);
  });

  it('keeps a file an earlier overlay emptied empty when a later one patches it', () => {
    const out = applyYamlOverlays(
      base,
      [
        { dir: 'app/overlays/a', files: [text('app/overlays/a/web.yaml', '')] },
        { dir: 'app/overlays/b', files: [yaml('app/overlays/b/web_patch.yaml', { spec: { replicas: 3 } })] },
      ],
      'app',
    );
    expect(names(out)).toEqual(['cache', 'cache-config', 'config']);
  });

  it('applies whole files before patches within one overlay, whatever their names', () => {
    const out = applyYamlOverlays(
      base,
      [
        {
          dir: 'app/overlays/a',
          files: [
            yaml('app/overlays/a/added_patch.yaml', { data: { patched: 'done' } }),
            yaml('app/overlays/a/added.yaml', cm('added')),
          ],
        },
      ],
      'app',
    );
    expect(out.at(-1)?.object.data).toEqual({ patched: 'done' });
  });

  it('applies a patch file that is a list as a JSON Patch (RFC 6902)', () => {
    const ops = [
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'add', path: '/metadata/labels', value: { tier: 'web' } },
    ];
    const out = applyYamlOverlays(base, [{ dir: 'o', files: [yaml('o/web_patch.yaml', ops)] }], 'app');
    expect(out[0]?.object).toEqual({
      ...deployment('web', { replicas: 5 }),
      metadata: { name: 'web', labels: { tier: 'web' } },
    });
  });

  it('merges lists whole into a kind that is not built in, as Fleet does (a merge patch)', () => {
    const crd = at('app/db.yaml', {
      apiVersion: 'db.example.com/v1',
      kind: 'Db',
      metadata: { name: 'db' },
      spec: { users: [{ name: 'a' }] },
    });
    const patch = yaml('o/db_patch.yaml', { spec: { users: [{ name: 'b' }] } });
    const out = applyYamlOverlays([crd], [{ dir: 'o', files: [patch] }], 'app');
    expect(out[0]?.object.spec).toEqual({ users: [{ name: 'b' }] });
  });

  it.each([
    [
      'a list of maps in a patch of a built-in kind (Fleet merges it by strategic merge patch)',
      yaml('o/web_patch.yaml', { spec: { template: { spec: { containers: [{ name: 'web', image: 'x' }] } } } }),
      'o/web_patch.yaml:1: spec.template.spec.containers: Fleet patches a Deployment by strategic merge patch',
    ],
    [
      'a $patch directive',
      yaml('o/web_patch.yaml', { spec: { $patch: 'replace', replicas: 2 } }),
      'spec.$patch: Fleet patches a Deployment by strategic merge patch',
    ],
    [
      'a JSON Patch whose path does not exist',
      yaml('o/config_patch.yaml', [{ op: 'replace', path: '/data/missing/x', value: '1' }]),
      'o/config_patch.yaml:1: the JSON Patch does not apply to config.yaml: OPERATION_PATH_UNRESOLVABLE',
    ],
    [
      'a JSON Patch for a file of several objects',
      yaml('o/cache_patch.yaml', [{ op: 'add', path: '/x', value: 1 }]),
      'cache.yaml holds 2 objects; a JSON Patch applies to a file of one object',
    ],
    [
      'a patch that is a scalar',
      text('o/web_patch.yaml', 'replicas\n'),
      'a patch must be a map (a merge patch) or a list',
    ],
  ])('refuses %s', (_name, file, message) => {
    const run = () => applyYamlOverlays(base, [{ dir: 'o', files: [file] }], 'app');
    expect(run).toThrow(OverlayError);
    expect(run).toThrow(message);
  });
});
