import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single worker on CI's two cores, while much of
    // a test file's time is spent waiting (spawned sensors, rsyslog, PostgreSQL, loopback servers). Files
    // are isolated from each other (own temp files, ports, schemas, NATS streams; own PostgreSQL database
    // per worker, test/dialects.ts), so run at least two at once.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The test files of one worker share its module cache instead of each loading the source graph again
    // (one file importing the API app evaluated ~400 modules, ~2 s, in every such file). Measured on this
    // machine kind: the whole suite 542–581 s isolated, 395 s shared. Files still run one at a time per
    // worker; what a file changes in the process it puts back: environment variables through
    // `vi.stubEnv` (undone after each test, below), spies restored, the secret keyring reset, process-wide
    // services (event-bus subscribers, servers, databases) closed in `afterAll`.
    isolate: false,
    unstubEnvs: true,
    unstubGlobals: true,
    globalSetup: ['./test/global-setup.ts'],
    // Hooks every file needs (a hook in a shared helper module would be registered by its first importer only).
    setupFiles: ['./test/each-file.ts'],
    // The built CLI (dist/, run in-process by test/cli-in-process.ts) is plain JavaScript: Node loads
    // it as it is, Vite does not transform it.
    server: { deps: { external: [/\/dist\/(vigil\.js|chunks\/)/] } },
  },
});
