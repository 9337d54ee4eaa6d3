import { afterEach } from 'vitest';
import type { EmulatorOptions, RunningEmulator } from '../../../src/emulator/server.js';
import { Homes, startTestEmulator } from './helpers.js';

// Apart from helpers.ts, which bench/deploy.ts imports outside vitest.
/**
 * For test files that start an emulator per test: it and the homes made for it are stopped
 * and removed after each test. stop() ends one early (the test is done with it).
 */
export function emulatorPerTest(): {
  start: (o?: EmulatorOptions) => Promise<RunningEmulator>;
  stop: (e: RunningEmulator) => Promise<void>;
  home: () => string;
} {
  const homes = new Homes();
  const running = new Set<RunningEmulator>();
  afterEach(async () => {
    for (const e of running) await e.stop();
    running.clear();
    homes.cleanup();
  });
  return {
    start: async (o) => {
      const e = await startTestEmulator(o);
      running.add(e);
      return e;
    },
    stop: async (e) => {
      running.delete(e);
      await e.stop();
    },
    home: () => homes.make(),
  };
}
