import { describe, expect, it } from 'vitest';
import { InvalidManifestError, YamlSyntaxError } from './errors.js';
import { parseManifests } from './manifests.js';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('parseManifests', () => {
  it.each([
    ['an empty file', '', []],
    ['a comment only', '# nothing here\n', []],
    ['one document', cm('a'), [['a', 1]]],
    [
      'documents with empty ones between',
      `---\n${cm('a')}---\n---\n# c\n${cm('b')}...\n`,
      [
        ['a', 2],
        ['b', 9],
      ],
    ],
    ['a document with leading comments', `# header\n\n${cm('a')}`, [['a', 3]]],
    [
      'a kind: List, items on their own lines',
      'apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  metadata:\n    name: a\n- kind: ConfigMap\n  metadata:\n    name: b\n',
      [
        ['a', 4],
        ['b', 7],
      ],
    ],
    ['a kind: List with no items', 'apiVersion: v1\nkind: List\nitems: []\n', []],
    ['a kind: List with null items', 'apiVersion: v1\nkind: List\nitems:\n', []],
    [
      'nested lists, flattened',
      'kind: List\nitems:\n- kind: List\n  items:\n  - {kind: ConfigMap, metadata: {name: a}}\n- {kind: ConfigMap, metadata: {name: b}}\n',
      [
        ['a', 5],
        ['b', 6],
      ],
    ],
    ['JSON', '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {"name": "a"}\n}\n', [['a', 1]]],
  ])('reads %s', (_name, text, expected) => {
    const objects = parseManifests(text, 'dir/file.yaml');
    const names = objects.map(({ object, source }) => [(object.metadata as { name: string }).name, source?.line]);
    expect(names).toEqual(expected);
    expect(objects.every(({ source }) => source?.file === 'dir/file.yaml')).toBe(true);
  });

  it('reads YAML 1.1 as kubectl does: octal modes, yes/no booleans, merge keys; timestamps stay strings', () => {
    const text =
      'kind: X\ndefaultMode: 0644\nenabled: yes\nat: 2024-01-02\nbase: &b {a: 1}\nmerged:\n  <<: *b\n  c: 2\n';
    expect(parseManifests(text, 'x.yaml')[0]?.object).toMatchObject({
      defaultMode: 420,
      enabled: true,
      at: '2024-01-02',
      merged: { a: 1, c: 2 },
    });
  });

  it.each([
    ['an unclosed flow sequence', `${cm('a')}---\nkind: ConfigMap\ndata: [1, 2\nother: 3\n`, 'x.yaml:8:1: '],
    ['a tab indentation', 'kind: ConfigMap\nmetadata:\n\tname: a\n', 'x.yaml:3:1: '],
    ['a duplicate key', `${cm('a')}kind: Secret\n`, 'x.yaml:5:1: Map keys must be unique'],
    ['a bad JSON file', '{"kind": "ConfigMap",\n "data": {"a": 1}}}\n', 'x.yaml:2:'],
  ])('reports %s as RENDER_YAML_SYNTAX with file:line:column', (_name, text, prefix) => {
    const run = () => parseManifests(text, 'x.yaml');
    expect(run).toThrow(YamlSyntaxError);
    expect(run).toThrow(prefix);
    try {
      run();
    } catch (error) {
      expect((error as YamlSyntaxError).code).toBe('RENDER_YAML_SYNTAX');
    }
  });

  it.each([
    ['a list document', `${cm('a')}---\n- a\n- b\n`, 'x.yaml:6: a manifest document must be a map'],
    ['a scalar document', 'just text\n', 'x.yaml:1: a manifest document must be a map'],
    ['a List item that is a string', 'kind: List\nitems:\n- a\n', 'x.yaml:3: an item of a kind: List must be a map'],
    ['List items that are a map', 'kind: List\nitems: {a: 1}\n', 'x.yaml:1: the items of a kind: List must be a list'],
  ])('refuses %s', (_name, text, message) => {
    const run = () => parseManifests(text, 'x.yaml');
    expect(run).toThrow(InvalidManifestError);
    expect(run).toThrow(message);
  });
});
