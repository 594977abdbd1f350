import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.js';

describe('render status', () => {
  let dir: string;
  let store: Store;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-render-status-'));
    store = openStore(join(dir, 'hub.db'));
    store.repos.put({ name: 'config', url: 'http://git/config.git', pollIntervalSeconds: 60 });
    store.groups.put({ name: 'dev', selector: 'env=dev' });
    store.environments.put({ name: 'dev', repo: 'config', branch: 'dev', group: 'dev' });
    store.targets.put({ name: 'web', repo: 'config', path: 'apps/web', environments: ['dev'] });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one status per target and environment, the latest winning', () => {
    store.renderStatus.put({
      target: 'web',
      environment: 'dev',
      commit: 'a'.repeat(40),
      state: 'Rendered',
      message: '',
    });
    const failed = store.renderStatus.put({
      target: 'web',
      environment: 'dev',
      commit: 'b'.repeat(40),
      state: 'Failed',
      message: 'apps/web/x.yaml:3:1: bad',
    });
    expect(failed).toMatchObject({ state: 'Failed', commit: 'b'.repeat(40) });
    expect(store.renderStatus.list({ environment: 'dev' })).toHaveLength(1);
    expect(store.renderStatus.get('web', 'dev')?.message).toContain('x.yaml:3:1');
  });

  it('goes with its target', () => {
    store.renderStatus.put({
      target: 'web',
      environment: 'dev',
      commit: 'a'.repeat(40),
      state: 'Rendered',
      message: '',
    });
    store.targets.delete('web');
    expect(store.renderStatus.list()).toEqual([]);
  });

  it('refuses an unknown state', () => {
    expect(() =>
      store.renderStatus.put({
        target: 'web',
        environment: 'dev',
        commit: 'a',
        state: 'Weird' as 'Failed',
        message: '',
      }),
    ).toThrow();
  });
});
