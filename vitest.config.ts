import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start servers on free ports; files run in parallel processes. Most of
    // a file's time is spent waiting on the processes it starts (emulator, service, Redis,
    // Postgres), so one fork more than the cores (vitest's default is one fewer: a single
    // fork on a 2-core machine) halves the suite's time there (~750 s -> ~310 s).
    pool: 'forks',
    poolOptions: { forks: { maxForks: availableParallelism() + 1, minForks: 1 } },
  },
});
