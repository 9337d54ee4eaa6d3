/**
 * Waits the engine cannot avoid: a new resource not yet visible to the reads (or the IAM
 * checks) of what depends on it, and an API that stops answering while an operation runs.
 * Each wait is told (an ApplyEvent naming what it waits for) and bounded.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyEvent } from '../../../src/engine/apply.js';
import { hasChanges } from '../../../src/engine/plan.js';
import { deployOnce, failures, sessionFor, templateSpec } from './helpers.js';
import { emulatorPerTest } from './per-test.js';

const world = emulatorPerTest();

type Wait = Extract<ApplyEvent, { type: 'wait' }>;

describe('bounded, told waits', () => {
  it('the first deploy under a consistency delay waits for new resources and identities to show, says so, and converges', async () => {
    const delay = 3000;
    const emu = await world.start({ consistencyDelayMs: delay, seed: 2 });
    const s = sessionFor(templateSpec('local'), emu, world.home());
    const waits: Wait[] = [];
    try {
      const { plan, observed } = await s.plan();
      const result = await s.apply(plan, observed, { onEvent: (e) => e.type === 'wait' && waits.push(e) });
      expect(result.ok, failures(result)).toBe(true);
      const told = JSON.stringify(waits.filter((w) => !/operation/.test(w.what)).slice(0, 8));
      // A reference to a resource of this run, named with its field.
      const refWaits = waits.filter((w) => w.what.includes('${ref:'));
      expect(refWaits.length, told).toBeGreaterThan(0);
      for (const w of refWaits) expect(w.what).toMatch(/^\$\{ref:projects\/[^#]+#[a-zA-Z.]+\}.* to be readable/);
      // A binding IAM refused because the account created a moment ago was not visible to it yet.
      expect(emu.requestLog.entries({ path: ':setIamPolicy' }).filter((e) => e.status === 400).length).toBeGreaterThan(0);
      expect(waits.some((w) => w.kind === 'iam.PolicyMembers' && /^serviceAccounts\/\S+ to become visible .*does not exist/.test(w.what)), told).toBe(true);
      await new Promise((r) => setTimeout(r, delay + 100));
      expect(hasChanges((await s.plan()).plan)).toBe(false);
    } finally {
      await s.close();
    }
  }, 90_000);

  it('an API that dies while a Cloud SQL operation runs ends the deploy with a clear error, not a wait to the deadline', async () => {
    const emu = await world.start({ latencyScale: 0.01 });
    // A 45-minute operation deadline, as against GCP: a wait that outlives the API must not run to it.
    const s = sessionFor(templateSpec('local'), emu, world.home(), undefined, {
      timing: { poll: { initialMs: 20, maxMs: 200, timeoutMs: 45 * 60_000 } },
    });
    const waits: Wait[] = [];
    let stopped: Promise<void> | undefined;
    const watcher = setInterval(() => {
      if (!stopped && emu.requestLog.entries({ api: 'sqladmin', method: 'GET', path: '/operations/' }).length > 0) stopped = world.stop(emu);
    }, 5);
    try {
      const { plan, observed } = await s.plan();
      const result = await s.apply(plan, observed, { onEvent: (e) => e.type === 'wait' && waits.push(e) });
      expect(stopped).toBeDefined();
      expect(result.ok).toBe(false);
      const sql = result.results.filter((r) => r.kind === 'sql.Instance' && r.status === 'failed');
      expect(sql.length, failures(result)).toBeGreaterThan(0);
      for (const r of sql) expect(r.error).toMatch(/gave up waiting for Cloud SQL operation .+: the API did not answer 5 times in a row \(connect ECONNREFUSED/);
      // Told while it lasted: the wait named the operation and the instance.
      expect(waits.some((w) => w.kind === 'sql.Instance' && /^Cloud SQL operation \S+ \(CREATE \S+\)$/.test(w.what))).toBe(true);
      // Nothing was left waiting: every item ended, failed or skipped, with a reason.
      for (const r of result.results.filter((x) => x.status === 'failed')) expect(r.error, r.name).toMatch(/did not answer \d+ times in a row/);
    } finally {
      clearInterval(watcher);
      await stopped;
      await s.close();
    }
  }, 60_000);
});
