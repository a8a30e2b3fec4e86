import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Test files that start servers, child processes, Redis or a browser: the `integration` project.
 * Everything else under test/ is a `unit` test, which test/helpers/unit-guard.ts keeps pure (it
 * fails a unit test that listens, connects over TCP or spawns). New slow files: name them
 * *.int.test.ts (or *.fuzz.test.ts, *.browser.test.ts) rather than growing this list.
 */
const INTEGRATION = [
  'test/**/*.int.test.ts',
  'test/**/*.fuzz.test.ts',
  'test/**/*.browser.test.ts',
  // Start the real server (test/helpers/server.ts) and gateways; print-schema also runs the CLI.
  'test/federation/**/*.test.ts',
  'test/ui/examples.test.ts',
  'test/ui/graphiql-router.test.ts',
  // Runs scripts/build-ui.ts (esbuild) in child processes: the slowest file in the suite.
  'test/scripts/build-ui.test.ts',
  // Redis (the contract also covers the in-memory coordinator, next to the Redis one).
  'test/coordination/coordinator.contract.test.ts',
  'test/coordination/redis-coordinator.test.ts',
  // Fake provider servers on loopback ports, driven over HTTP.
  'test/simulator/{cfw,dataworks-fake,dli,nlb-fake,workspace}.test.ts',
  'test/providers/**/client*.test.ts',
];

export default defineConfig({
  resolve: {
    // One graphql module instance for src, @apollo/* and graphql-ws; two copies
    // fail with "Cannot use GraphQLSchema from another module or realm".
    alias: { graphql: require.resolve('graphql') },
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default'],
    // `npm test` runs both; `npm run test:unit` / `test:integration` run one (`--project`).
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: INTEGRATION,
          setupFiles: ['test/helpers/unit-guard.ts'],
          // Pure in-process tests share a worker's module cache: seconds instead of half a minute
          // of per-file worker start-up on a 2-core machine.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
        },
      },
    ],
  },
});
