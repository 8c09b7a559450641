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
    globalSetup: ['./test/global-setup.ts'],
    // The built CLI (dist/, run in-process by test/cli-in-process.ts) is plain JavaScript: Node loads
    // it as it is, Vite does not transform it.
    server: { deps: { external: [/\/dist\/(vigil\.js|chunks\/)/] } },
  },
});
