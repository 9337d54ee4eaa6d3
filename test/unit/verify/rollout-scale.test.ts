import { describe, expect, it, vi } from 'vitest';
import { sleep } from '../../../src/engine/retry.js';
import { canarySplit, planWaves, promoteSplit, rollbackSplit, rolloutInProgress, sameSplit, servingRevision, shares, validateCanaryPercent } from '../../../src/rollout/traffic.js';
import { revisionNameFor } from '../../../src/rollout/service.js';
import { formatDuration, parseDuration } from '../../../src/rollout/duration.js';
import { instanceHourRate, parseBurst } from '../../../src/scale/index.js';
import { loadPriceTable } from '../../../src/cost/index.js';
import { runLine } from '../../../src/cost/lines.js';
import type { CostInput } from '../../../src/cost/types.js';

describe('traffic split', () => {
  it('canary, promote and rollback targets', () => {
    expect(canarySplit('p/revisions/s-1', 's-2', 10)).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-1', percent: 90 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-2', percent: 10, tag: 'canary' },
    ]);
    expect(promoteSplit()).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
    expect(rollbackSplit('s-1')).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-1', percent: 100 }]);
    expect(() => validateCanaryPercent(0)).toThrow(/1 to 99/);
    expect(() => validateCanaryPercent(100)).toThrow(/1 to 99/);
    expect(() => validateCanaryPercent(2.5)).toThrow();
  });
  it('shares resolve LATEST to the ready revision and find a rollout in progress', () => {
    const s = shares(canarySplit('s-1', 's-2', 25), 's-2');
    expect(rolloutInProgress(s)).toEqual({ canary: 's-2', previous: 's-1', canaryPercent: 25 });
    expect(servingRevision(s)).toBeUndefined();
    const latest = shares(promoteSplit(), 'x/revisions/s-2');
    expect(latest).toEqual([{ revision: 's-2', percent: 100, tags: [], latest: true }]);
    expect(sameSplit(latest, shares(rollbackSplit('s-2'), 's-9'))).toBe(true);
    expect(servingRevision(latest)).toBe('s-2');
    expect(rolloutInProgress(latest)).toBeUndefined();
  });
  it('waves: one per region by default, a count, or named lists', () => {
    const r = ['a', 'b', 'c', 'd'];
    expect(planWaves(r, undefined)).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect(planWaves(r, '2')).toEqual([['a', 'b'], ['c', 'd']]);
    expect(planWaves(r, 'b;a,c')).toEqual([['b'], ['a', 'c'], ['d']]);
    expect(() => planWaves(r, 'a;x')).toThrow(/x/);
    expect(() => planWaves(r, 'a;a')).toThrow(/twice/);
    // A typo never turns into every region in one wave.
    expect(() => planWaves(r, ';;')).toThrow(/names no region/);
    expect(() => planWaves(r, ' , ')).toThrow(/names no region/);
    expect(() => planWaves(r, '0')).toThrow(/at least 1 wave/);
    expect(planWaves(r, '9')).toEqual([['a'], ['b'], ['c'], ['d']]);
  });
  it('revision names Cloud Run accepts', () => {
    const n = revisionNameFor('ruvector-streaming', 'us-docker.pkg.dev/p/r/ruvector:1.4.0-RC_1', 'ab12');
    expect(n).toBe('ruvector-streaming-1-4-0-rc-1-ab12');
    expect(revisionNameFor('s'.repeat(60), 'img:tag', 'ab12').length).toBeLessThanOrEqual(63);
  });
});

describe('durations and bursts', () => {
  it('a wait longer than a timer can hold (24.8 days) is waited in full, not skipped', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const waited = sleep(30 * 86_400_000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(86_400_000);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(28 * 86_400_000);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(86_400_000);
      await waited;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
  it('parses', () => {
    expect(parseDuration('4h', '--for')).toBe(14_400_000);
    expect(parseDuration('1h30m', '--for')).toBe(5_400_000);
    expect(parseDuration('0', '--pause')).toBe(0);
    expect(() => parseDuration('4 hours', '--for')).toThrow(/not a duration/);
    expect(parseDuration('30d', '--pause')).toBe(30 * 86_400_000);
    expect(() => parseDuration('99999999h', '--for')).toThrow('--for: "99999999h" is longer than 366d');
    expect(formatDuration(14_400_000)).toBe('4h');
    expect(parseBurst('50x')).toBe(50);
    expect(() => parseBurst('0.5x')).toThrow();
  });
  it('instance-hour rates from the price tables (tier-2 multiplier, uncharged memory skipped)', () => {
    const list = loadPriceTable('list');
    const t1 = instanceHourRate(list, 'us-central1', { cpu: 4, memoryGib: 16, billing: 'instance' });
    expect(t1).toBeCloseTo((4 * 0.000018 + 16 * 0.000002) * 3600, 6);
    const seed = loadPriceTable('seed');
    expect(instanceHourRate(seed, 'us-central1', { cpu: 4, memoryGib: 16, billing: 'instance' })).toBeCloseTo(4 * 0.000024 * 3600, 6);
  });
  it("prices an instance-hour as the cost model's Cloud Run line does, tier-2 regions included", () => {
    const list = loadPriceTable('list');
    const run = { cpu: 2, memoryGib: 4, minInstances: 1, maxInstances: 10, concurrency: 80, billing: 'instance' as const };
    for (const region of ['us-central1', 'asia-south1']) {
      const items = runLine({
        input: { regions: [{ region, tier: 'tier1', run, sql: [], buckets: [] }] } as unknown as CostInput,
        table: list,
        volumes: {},
        averageInstances: new Map([[region, 1]]),
        warnings: [],
      }).filter((i) => i !== undefined && (i.component === 'cpu' || i.component === 'memory'));
      const perInstanceHour = items.reduce((a, i) => a + i!.amount, 0) / list.hoursPerMonth;
      expect(instanceHourRate(list, region, run), region).toBeCloseTo(perInstanceHour, 9);
    }
    expect(instanceHourRate(list, 'asia-south1', run)).toBeGreaterThan(instanceHourRate(list, 'us-central1', run));
  });
});
