// Child process of durability.test.ts: opens the store and commits transactions until it is killed,
// writing each committed event id to stdout only after its commit returned.
// Run: node --conditions=@flotilla/source --import tsx durability.child.mjs <db-path>
import { createHash, randomBytes } from 'node:crypto';
import { openStore } from './index.ts';

const path = process.argv[2];
const MAX_COMMITS = 50_000; // a safety stop in case the parent never kills us
const DEADLINE = Date.now() + 20_000;

const store = openStore(path);
store.transaction(() => {
  if (store.clusters.get('c1')) return;
  store.repos.put({ name: 'apps', url: 'https://git.example/apps.git', pollIntervalSeconds: 60 });
  store.environments.put({ name: 'dev', repo: 'apps', branch: 'dev' });
  store.targets.put({ name: 'web', repo: 'apps', path: 'web', environments: ['dev'] });
  store.clusters.create({ name: 'c1' });
});

for (let i = 0; i < MAX_COMMITS && Date.now() < DEADLINE; i++) {
  const id = store.transaction(() => {
    // Incompressible content, so the WAL grows fast and checkpoints happen while we are being killed.
    const content = randomBytes(2048 + (i % 4) * 1024);
    const digest = createHash('sha256').update(content).digest('hex');
    store.bundles.put({ digest, content, objectCount: 1 });
    store.deployments.setDesired({
      cluster: 'c1',
      target: 'web',
      environment: 'dev',
      bundle: digest,
      revision: `${i}`,
    });
    return store.events.append({ kind: 'BundleRendered', bundle: digest, payload: { seq: i } }).id;
  });
  // Pipes are synchronous on Linux: the line is out of this process before the next commit starts.
  process.stdout.write(`${id}\n`);
}
store.close();
