import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two test files at a time where there are two cores: 168 s against 284 s one at a time.
// Two at a time once lost the answer to an oversized-header request now and then; that was the sidecar
// resetting a refused connection (fixed, sidecar/http/socket.test.ts), not the parallelism. MW_TEST_WORKERS sets
// another number (1 for a quieter run beside other work).
const workers = Math.max(1, Number(process.env['MW_TEST_WORKERS'] ?? Math.min(2, availableParallelism())));

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'sidecar/**/*.test.ts', 'plugin/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes rather than threads: the sidecar sets its umask while it binds its sockets, which a worker
    // thread may not do.
    pool: 'forks',
    maxWorkers: workers,
    // No fewer: workers above the minimum are ended when they fall idle, and with shared test processes a run
    // with a minimum of 1 and a maximum of 3 ended in "Terminating worker thread" and no report.
    minWorkers: workers,
    // Files share a test process (one after the other, never at once): each new process would load vitest and
    // the sidecar's modules again. No file changes module state or globals that another could see (no mocks, no
    // fake timers, environment changes restored), and every sidecar a file starts has its own temporary setup.
    isolate: false,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
