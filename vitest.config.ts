import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run the TypeScript sources of the workspace packages, never a stale dist/.
// Exact matches: a bare string would also rewrite subpath imports such as '@flotilla/proto/api'.
const alias = [
  { find: /^@flotilla\/common$/, replacement: src('./common/src/index.ts') },
  { find: /^@flotilla\/proto\/api$/, replacement: src('./proto/src/api.ts') },
  { find: /^@flotilla\/proto\/api-schema$/, replacement: src('./proto/src/api-schema.ts') },
  { find: /^@flotilla\/proto\/runtime$/, replacement: src('./proto/src/runtime.ts') },
  { find: /^@flotilla\/proto\/pki$/, replacement: src('./proto/src/pki/index.ts') },
  { find: /^@flotilla\/proto$/, replacement: src('./proto/src/index.ts') },
  { find: /^@flotilla\/hub$/, replacement: src('./hub/src/index.ts') },
  { find: /^@flotilla\/agent$/, replacement: src('./agent/src/index.ts') },
  { find: /^@flotilla\/cli$/, replacement: src('./cli/src/index.ts') },
  { find: /^@flotilla\/test$/, replacement: src('./test/harness/index.ts') },
];

const KUBE_SUITES = 'test/integration/kube/**/*.test.ts';

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{common,proto,hub,agent,cli}/src/**/*.test.ts', 'test/harness/**/*.test.ts'],
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
          // One suite at a time: they share the clusters alpha and beta, and several deploy the same
          // bundle (dev/web) with the agent's default inventory namespace. On 2 cores they ran one at a
          // time anyway; a bigger machine must not interleave them.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
