import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'sidecar/**/*.test.ts', 'plugin/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes rather than threads: the sidecar sets its umask while it binds its sockets, which a worker
    // thread may not do.
    pool: 'forks',
    // Vitest's own default is one worker fewer than the cores, which is a single worker on two cores. Most files
    // spend much of their time waiting on child processes (sidecars, gog, Chromium) rather than computing, so two
    // files at a time keep two cores busy; three were slower on two cores.
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
