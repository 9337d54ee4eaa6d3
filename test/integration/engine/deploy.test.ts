import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { hasChanges, summarize } from '../../../src/engine/plan.js';
import { expandTopology } from '../../../src/topology/index.js';
import { deployOnce, failures, Homes, sessionFor, startTestEmulator, templateSpec } from './helpers.js';

const homes = new Homes();

describe('deploy templates/production.yaml on the emulator', () => {
  let emu: RunningEmulator;
  const spec = templateSpec('production');
  const rendered = expandTopology(spec).resources;

  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.stop();
    homes.cleanup();
  });

  it('creates every resource render lists; the next plan is a no-op and a second deploy writes nothing', async () => {
    const s = sessionFor(spec, emu, homes.make());
    try {
      const first = await s.plan();
      expect(summarize(first.plan).create).toBe(rendered.length);
      const result = await s.apply(first.plan, first.observed);
      expect(result.ok, failures(result)).toBe(true);

      const mark = emu.requestLog.mark();
      const again = await s.plan();
      const calls = emu.requestLog.count({ since: mark });
      expect(hasChanges(again.plan), JSON.stringify(again.plan.items.filter((i) => i.action !== 'noop').slice(0, 3))).toBe(false);
      for (const r of rendered) expect(again.observed.has(r.name), r.name).toBe(true);
      // Observation is list-based: far fewer calls than resources (Terraform reads each one).
      expect(calls).toBeLessThan(rendered.length / 2);
      console.log(`no-op plan: ${calls} API calls for ${rendered.length} resources (${(calls / rendered.length).toFixed(2)} per resource)`);

      const writeMark = emu.requestLog.mark();
      const second = await deployOnce(s);
      expect(second.ok).toBe(true);
      expect(emu.requestLog.count({ since: writeMark, write: true })).toBe(0);
    } finally {
      await s.close();
    }
  });
});
