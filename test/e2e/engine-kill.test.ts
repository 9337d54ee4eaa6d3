import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { hasChanges } from '../../src/engine/plan.js';
import { Journal } from '../../src/engine/journal.js';
import { expandTopology } from '../../src/topology/index.js';
import { CLI, cliEnv, deployUntilOk, ensureBuilt, failures, Homes, sessionFor, startTestEmulator, templateSpec, templateYaml } from '../integration/engine/helpers.js';

const homes = new Homes();

/** Where the CLI keeps this topology's journal for the emulator target. */
function journalPath(home: string, topology: string, project: string): string {
  return Journal.forTopology(topology, `emulator-${project}`, home).path;
}

/** Run `ruvector deploy --json` and SIGKILL it `afterMs` after its first task started. */
function deployAndKill(specFile: string, env: NodeJS.ProcessEnv, afterMs: number): Promise<{ killed: boolean; started: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'deploy', '-f', specFile, '--yes', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes('"event":"start"')) {
          started++;
          timer ??= setTimeout(() => child.kill('SIGKILL'), afterMs);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', started });
    });
  });
}

describe('deploy killed at random points', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    ensureBuilt();
    emu = await startTestEmulator({ latencyScale: 0.01 });
  });
  afterAll(async () => {
    await emu.stop();
    homes.cleanup();
  });

  it('converges to the same end state when run again, without duplicates', async () => {
    const home = homes.make();
    const specFile = join(home, 'ruvector.yaml');
    writeFileSync(specFile, templateYaml('local'));
    const env = cliEnv(emu, home);
    const spec = templateSpec('local');
    // Seeded kill points: early (first creates in flight), middle, late.
    let kills = 0;
    let markersLeft = 0;
    for (const ms of [150, 700, 1500]) {
      const r = await deployAndKill(specFile, env, ms);
      if (r.killed) kills++;
      expect(r.started).toBeGreaterThan(0);
      // A kill mid-create leaves pending-create markers: the next run must observe before re-sending.
      markersLeft = Math.max(markersLeft, Object.keys(new Journal(journalPath(home, spec.metadata.name, spec.project)).all()).length);
    }
    expect(kills).toBeGreaterThan(0);
    expect(markersLeft).toBeGreaterThan(0);
    // The operator runs deploy again (same $RUVECTOR_HOME, so the pending-create journal is read).
    const s = sessionFor(spec, emu, home);
    try {
      const { result } = await deployUntilOk(s, 3);
      expect(result.ok, failures(result)).toBe(true);
      const { plan, observed } = await s.plan();
      expect(hasChanges(plan)).toBe(false);
      for (const r of expandTopology(spec).resources) expect(observed.has(r.name), r.name).toBe(true);
      expect(emu.requestLog.count({ method: 'DELETE' })).toBe(0);
      expect(s.journal.all()).toEqual({});
    } finally {
      await s.close();
    }
  }, 180_000);
});
