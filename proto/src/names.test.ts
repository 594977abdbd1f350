import { describe, expect, it } from 'vitest';
import {
  checkClusterName,
  checkLabels,
  checkReportedFact,
  clusterNameProblem,
  InvalidNameError,
  labelKeyProblem,
  labelValueProblem,
  shown,
} from './names.js';

describe('cluster names: DNS-1123 labels', () => {
  it.each(['a', 'c1', 'eu-west-1', 'x'.repeat(63), '0abc'])('accepts %j', (name) => {
    expect(clusterNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['a'.repeat(64), 'it has 64 characters, more than 63'],
    ['Bad Name/../../x', 'it has characters or a form outside the rule'],
    ['Upper', 'it has characters or a form outside the rule'],
    ['eu.west', 'it has characters or a form outside the rule'],
    ['under_score', 'it has characters or a form outside the rule'],
    ['-lead', 'it has characters or a form outside the rule'],
    ['trail-', 'it has characters or a form outside the rule'],
    ['nul\u0000', 'it has characters or a form outside the rule'],
  ])('refuses %j: %s', (name, problem) => {
    expect(clusterNameProblem(name)).toBe(problem);
  });

  it('names the field, shows the value escaped and says what is allowed', () => {
    const err = (() => {
      try {
        checkClusterName('Bad Name/../../x', '--cluster');
      } catch (e) {
        return e as InvalidNameError;
      }
    })();
    expect(err).toBeInstanceOf(InvalidNameError);
    expect(err?.code).toBe('INVALID');
    expect(err?.field).toBe('--cluster');
    expect(err?.message).toBe(
      '--cluster: "Bad Name/../../x" is not a valid cluster name (it has characters or a form outside the rule); ' +
        'a cluster name is a DNS-1123 label: 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit',
    );
    expect(() => checkClusterName(42)).toThrow('name: a cluster name must be a string');
  });
});

describe('label keys and values: Kubernetes syntax and lengths', () => {
  it.each(['env', 'example.com/tier', 'a.b-c_d', 'K8s', `${'p'.repeat(253)}/n`, 'x'.repeat(63)])(
    'accepts key %j',
    (key) => expect(labelKeyProblem(key)).toBeUndefined(),
  );

  it.each([
    ['', 'its name is empty'],
    ['example.com/', 'its name is empty'],
    ['/name', 'its prefix "" is not a DNS subdomain of at most 253 characters'],
    ['Example.com/x', 'its prefix "Example.com" is not a DNS subdomain of at most 253 characters'],
    [
      `${'p'.repeat(254)}/n`,
      `its prefix "${'p'.repeat(80)}…" (254 characters) is not a DNS subdomain of at most 253 characters`,
    ],
    ['k'.repeat(5000), 'its name has 5000 characters, more than 63'],
    ['a/b/c', 'its name has characters or a form outside the rule'],
    ['bad key', 'its name has characters or a form outside the rule'],
    ['-x', 'its name has characters or a form outside the rule'],
    ['tier\u001b[31m', 'its name has characters or a form outside the rule'],
  ])('refuses key %j', (key, problem) => expect(labelKeyProblem(key)).toBe(problem));

  it.each(['', 'gold', 'v1.2.3', 'a_b-c', 'x'.repeat(63)])('accepts value %j', (value) =>
    expect(labelValueProblem(value)).toBeUndefined(),
  );

  it.each([
    ['x'.repeat(64), 'it has 64 characters, more than 63'],
    ['v'.repeat(100 * 1024), 'it has 102400 characters, more than 63'],
    ['\u001b[31mgold', 'it has characters or a form outside the rule'],
    ['gold\u0000', 'it has characters or a form outside the rule'],
    ['two words', 'it has characters or a form outside the rule'],
    ['-lead', 'it has characters or a form outside the rule'],
  ])('refuses value %j', (value, problem) => expect(labelValueProblem(value)).toBe(problem));

  it('checkLabels names the first bad key or value, escaped, with the rule', () => {
    expect(checkLabels({ env: 'prod', 'example.com/t': '' })).toEqual({ env: 'prod', 'example.com/t': '' });
    expect(() => checkLabels({ tier: 'gold\u0000' }, 'set')).toThrow(
      /^set: the value "gold\\u0000" of "tier" is not a valid label value \(it has characters or a form outside the rule\); a label value is empty or/,
    );
    expect(() => checkLabels({ ['k'.repeat(5000)]: 'v' })).toThrow(
      /^labels: key "k{80}…" \(5000 characters\) is not a valid label key \(its name has 5000 characters, more than 63\); a label key is/,
    );
    expect(() => checkLabels({ tier: 5 })).toThrow('labels: the value of "tier" must be a string');
    expect(() => checkLabels(['a'])).toThrow('labels: labels must be an object of key to value');
  });
});

describe('shown', () => {
  it('quotes, escapes control characters, backslashes and quotes, and cuts long values', () => {
    expect(shown('plain')).toBe('"plain"');
    expect(shown('\u001b[31mred\u0007')).toBe('"\\u001b[31mred\\u0007"');
    expect(shown('nul\u0000 del\u007f c1\u009b')).toBe('"nul\\u0000 del\\u007f c1\\u009b"');
    expect(shown('rtl\u202eevil\u2028')).toBe('"rtl\\u202eevil\\u2028"');
    expect(shown('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(shown('x'.repeat(100))).toBe(`"${'x'.repeat(80)}…" (100 characters)`);
  });
});

describe('reported facts', () => {
  it.each(['v1.30.2+k3s1', 'v1.29.4-eks-036c24b', '0.1.0', 'v1.28.9-gke.1000000'])('accepts %j', (v) =>
    expect(checkReportedFact(v, 'kubernetesVersion')).toBe(v),
  );
  it.each(['', 'v1 30', '\u001b]0;x\u0007', '--post-renderer=/bin/sh', 'v'.repeat(65)])('refuses %j', (v) =>
    expect(() => checkReportedFact(v, 'kubernetesVersion')).toThrow(/^kubernetesVersion: .* is not a version/),
  );
});
