import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run the TypeScript sources of the workspace packages, never a stale dist/.
const alias = {
  '@flotilla/proto': src('./proto/src/index.ts'),
  '@flotilla/hub': src('./hub/src/index.ts'),
  '@flotilla/agent': src('./agent/src/index.ts'),
  '@flotilla/test': src('./test/harness/index.ts'),
};

const KUBE_SUITES = 'test/integration/kube/**/*.test.ts';

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{proto,hub,agent,cli}/src/**/*.test.ts', 'test/harness/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [KUBE_SUITES],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'kube',
          include: [KUBE_SUITES],
          globalSetup: ['test/integration/kube/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
