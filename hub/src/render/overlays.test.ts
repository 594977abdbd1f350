import { describe, expect, it } from 'vitest';
import type { JsonObject, ManifestObject } from '../bundle/index.js';
import { OverlayError } from './errors.js';
import { applyYamlOverlays, mergePatch, patchTarget } from './overlays.js';

const cm = (name: string, data: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});
const at = (file: string, object: JsonObject, line = 1): ManifestObject => ({ object, source: { file, line } });
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
          objects: [
            at('apps/web/overlays/eu/config_patch.yaml', { data: { size: 'l', color: null } }),
            at('apps/web/overlays/eu/sub/extra.yaml', cm('extra-eu')),
            at('apps/web/overlays/eu/new.yaml', cm('new')),
          ],
        },
        {
          dir: 'apps/web/overlays/prod',
          objects: [
            at('apps/web/overlays/prod/multi_patch.yaml', {
              kind: 'ConfigMap',
              metadata: { name: 'two' },
              data: { n: '22' },
            }),
            at('apps/web/overlays/prod/new_patch.yaml', { data: { from: 'prod' } }),
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
      [at('o/missing_patch.yaml', { data: {} })],
      'o/missing_patch.yaml patches missing.yaml, which is not in the bundle',
    ],
    [
      'a patch for a file of several objects that names none',
      [at('o/multi_patch.yaml', { data: {} }, 3)],
      'o/multi_patch.yaml:3: multi.yaml holds 2 objects; give the patch the kind and metadata.name',
    ],
    [
      'a patch naming an object the file does not hold',
      [at('o/multi_patch.yaml', { kind: 'ConfigMap', metadata: { name: 'three' } })],
      'multi.yaml holds 2 objects',
    ],
    [
      'an object outside the overlay directory',
      [at('elsewhere/x.yaml', cm('x'))],
      'not inside the overlay directory o',
    ],
  ])('refuses %s', (_name, objects, message) => {
    const run = () => applyYamlOverlays(base, [{ dir: 'o', objects }], 'apps/web');
    expect(run).toThrow(OverlayError);
    expect(run).toThrow(message);
  });
});
