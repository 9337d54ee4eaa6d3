/**
 * The engine against an API that fails a large share of all calls with 429/503 (seeded): one
 * deploy must get there, reads retried request by request and writes never repeated in a way
 * that changes the result (a second secret value).
 */
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { hasChanges } from '../../../src/engine/plan.js';
import { expandTopology } from '../../../src/topology/index.js';
import { deployOnce, failures, sessionFor, templateSpec } from './helpers.js';
import { emulatorPerTest } from './per-test.js';

const world = emulatorPerTest();

const injected = (emu: RunningEmulator, since = 0): number => emu.requestLog.entries({ since }).filter((e) => e.fault === '429' || e.fault === '503').length;

/** Versions per secret, as stored (destroyed or disabled ones count too: each is a minted value). */
function secretVersions(emu: RunningEmulator): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of emu.core.store.collection<{ name: string }>('secretmanager.secrets').peekAll()) out.set(s.name, 0);
  for (const v of emu.core.store.collection<{ name: string }>('secretmanager.versions').peekAll()) {
    const secret = v.name.replace(/\/versions\/[^/]+$/, '');
    out.set(secret, (out.get(secret) ?? 0) + 1);
  }
  return out;
}

describe('under injected 429/503 faults', () => {
  it('a production plan (15 regions) at 30% faults sees every resource: each page, region and parent is retried on its own', async () => {
    const spec = templateSpec('production');
    const names = expandTopology(spec).resources.map((r) => r.name);
    const emu = await world.start({ seed: 7 });
    const s = sessionFor(spec, emu, world.home());
    try {
      expect((await deployOnce(s)).ok).toBe(true);
      emu.faults.configure({ rate: 0.3, seed: 7 });
      const mark = emu.requestLog.mark();
      const { plan, observed } = await s.plan();
      expect(injected(emu, mark)).toBeGreaterThan(15);
      expect(hasChanges(plan), JSON.stringify(plan.items.filter((i) => i.action !== 'noop').map((i) => [i.action, i.name]).slice(0, 5))).toBe(false);
      for (const n of names) expect(observed.has(n), n).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('one deploy of templates/local.yaml at 35% faults converges, and every secret ends with exactly one version', async () => {
    const seed = 3;
    const emu = await world.start({ faultRate: 0.35, seed });
    const s = sessionFor(templateSpec('local'), emu, world.home());
    try {
      const result = await deployOnce(s);
      expect(result.ok, `seed ${seed}: ${failures(result)}`).toBe(true);
      expect(injected(emu)).toBeGreaterThan(50);
      emu.faults.configure({ rate: 0 });
      expect(hasChanges((await s.plan()).plan)).toBe(false);
      // Retried creates (a throttled label update after the version landed, say) kept their value.
      const versions = secretVersions(emu);
      expect(versions.size).toBeGreaterThan(3);
      expect([...versions].filter(([, n]) => n !== 1)).toEqual([]);
    } finally {
      await s.close();
    }
  }, 120_000);
});
