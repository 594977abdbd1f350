import { beforeEach, describe, expect, it } from 'vitest';
import { useTempStore } from './testing.js';

describe('render status', () => {
  const t = useTempStore();

  beforeEach(() => {
    t.store.repos.put({ name: 'config', url: 'http://git/config.git', pollIntervalSeconds: 60 });
    t.store.groups.put({ name: 'dev', selector: 'env=dev' });
    t.store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', group: 'dev' });
    t.store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
  });

  it('keeps one status per target and environment, the latest winning', () => {
    t.store.renderStatus.put({
      target: 'web',
      environment: 'dev',
      commit: 'a'.repeat(40),
      state: 'Rendered',
      message: '',
    });
    const failed = t.store.renderStatus.put({
      target: 'web',
      environment: 'dev',
      commit: 'b'.repeat(40),
      state: 'Failed',
      message: 'apps/web/x.yaml:3:1: bad',
    });
    expect(failed).toMatchObject({ state: 'Failed', commit: 'b'.repeat(40) });
    expect(t.store.renderStatus.list({ environment: 'dev' })).toHaveLength(1);
    expect(t.store.renderStatus.get('web', 'dev')?.message).toContain('x.yaml:3:1');
  });

  it('goes with its target', () => {
    t.store.renderStatus.put({
      target: 'web',
      environment: 'dev',
      commit: 'a'.repeat(40),
      state: 'Rendered',
      message: '',
    });
    t.store.targets.delete('web');
    expect(t.store.renderStatus.list()).toEqual([]);
  });

  it('refuses an unknown state', () => {
    expect(() =>
      t.store.renderStatus.put({
        target: 'web',
        environment: 'dev',
        commit: 'a',
        state: 'Weird' as 'Failed',
        message: '',
      }),
    ).toThrow();
  });
});
