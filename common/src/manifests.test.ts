import { describe, expect, it } from 'vitest';
import { ManifestInvalidError, parseManifests } from './manifests.js';

const names = (text: string) =>
  parseManifests(text, 'x.yaml').map(({ object, source }) => [
    object.kind,
    (object.metadata as { name?: string } | undefined)?.name,
    source.line,
  ]);

describe('parseManifests', () => {
  it('reads modes and flags as kubectl does: 0644 is 420, yes is true, a key off is "false"', () => {
    const text = 'apiVersion: v1\nkind: X\nspec:\n  defaultMode: 0644\n  enabled: yes\n  off: off\n  at: 2024-01-02\n';
    expect(parseManifests(text, 'x.yaml')).toEqual([
      {
        object: {
          apiVersion: 'v1',
          kind: 'X',
          spec: { defaultMode: 420, enabled: true, false: false, at: '2024-01-02' },
        },
        source: { file: 'x.yaml', line: 1 },
      },
    ]);
  });

  it('flattens any document with items, whatever its kind, with the line of each item', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n' +
      '- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n---\n' +
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n';
    expect(names(text)).toEqual([
      ['ConfigMap', 'a', 4],
      ['Secret', 'b', 7],
      ['ConfigMap', 'c', 12],
    ]);
  });

  it('flattens nested lists, and an empty or null items is no object', () => {
    const text =
      'kind: List\nitems:\n- kind: List\n  items:\n  - {kind: ConfigMap, metadata: {name: a}}\n' +
      '- {kind: ConfigMap, metadata: {name: b}}\n---\nkind: List\nitems: []\n---\nkind: PodList\nitems:\n';
    expect(names(text)).toEqual([
      ['ConfigMap', 'a', 5],
      ['ConfigMap', 'b', 6],
    ]);
  });

  it("gives an item with neither kind nor apiVersion the list's, as kubectl's decoder does", () => {
    const text =
      'apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n- {kind: Secret, metadata: {name: b}}\n';
    expect(parseManifests(text, 'x.yaml').map(({ object }) => object)).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      { kind: 'Secret', metadata: { name: 'b' } },
    ]);
  });

  it('keeps an object whose items is not a list, inside a list, as an object', () => {
    const text = 'kind: List\nitems:\n- {kind: Thing, metadata: {name: a}, items: {x: 1}}\n';
    expect(names(text)).toEqual([['Thing', 'a', 3]]);
  });

  it.each([
    ['a list document', 'kind: A\n---\n- a\n', 'x.yaml:3: a manifest document must be a map'],
    ['a scalar document', 'just text\n', 'x.yaml:1: a manifest document must be a map'],
    ['a list item that is a string', 'kind: List\nitems:\n- a\n', 'x.yaml:3: an item of a kind: List must be a map'],
    [
      'list items that are a map',
      'kind: FooList\nitems: {a: 1}\n',
      'x.yaml:1: the items of a kind: FooList must be a list',
    ],
    [
      'a list without a kind',
      'apiVersion: v1\nitems: []\n',
      'x.yaml:1: a document with items is a list and needs a kind',
    ],
    ['a NaN', 'kind: A\nspec:\n  x: [1, .nan]\n', 'x.yaml:1: spec.x[1] is NaN, which JSON cannot hold'],
  ])('refuses %s', (_name, text, message) => {
    const run = () => parseManifests(text, 'x.yaml');
    expect(run).toThrow(ManifestInvalidError);
    expect(run).toThrow(message);
  });
});
