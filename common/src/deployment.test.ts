import { describe, expect, it } from 'vitest';
import { deploymentId, deploymentKeyOf, MAX_DEPLOYMENT_ID, parseDeploymentId } from './deployment.js';

describe('deploymentId', () => {
  it('is environment/target, and parses back', () => {
    expect(deploymentId('prod', 'web')).toBe('prod/web');
    expect(parseDeploymentId(deploymentId('prod', 'apps-web.v2'))).toEqual({
      environment: 'prod',
      target: 'apps-web.v2',
    });
  });

  it('keeps the form agents already hold (their inventories are named by it)', () => {
    expect(deploymentId('dev', 'web')).toBe('dev/web');
  });
});

describe('parseDeploymentId', () => {
  it.each([
    ['dev/web', 'dev', 'web'],
    ['cli/manifests', 'cli', 'manifests'],
    ['a/b', 'a', 'b'],
  ])('%j is environment %j, target %j', (id, environment, target) =>
    expect(parseDeploymentId(id)).toEqual({ environment, target }),
  );

  it.each([
    ['', 'empty'],
    ['web', 'no slash'],
    ['/web', 'no environment'],
    ['dev/', 'no target'],
    ['/', 'neither'],
    ['dev/apps/web', 'two slashes'],
    ['dev/we b', 'a space'],
    ['dev/web\n', 'a newline'],
    ['dev/\u001b[31mweb', 'an escape'],
    ['dev/web\u2028', 'a line separator'],
    [`dev/${'w'.repeat(MAX_DEPLOYMENT_ID)}`, 'too long'],
  ])('%j is not a deployment id (%s)', (id) => expect(parseDeploymentId(id)).toBeUndefined());

  it('takes an id of the longest length', () => {
    const target = 'w'.repeat(MAX_DEPLOYMENT_ID - 4);
    expect(parseDeploymentId(`dev/${target}`)).toEqual({ environment: 'dev', target });
  });
});

describe('deploymentKeyOf', () => {
  it('names a deployment across the fleet, one string per (cluster, environment, target)', () => {
    expect(deploymentKeyOf({ cluster: 'eu-1', environment: 'prod', target: 'web' })).toBe('eu-1/prod/web');
    const keys = new Set(
      [
        { cluster: 'a', environment: 'b', target: 'c' },
        { cluster: 'a', environment: 'c', target: 'b' },
        { cluster: 'b', environment: 'a', target: 'c' },
      ].map(deploymentKeyOf),
    );
    expect(keys.size).toBe(3);
  });
});
