import { describe, expect, it } from 'vitest';
import { estimate } from '../../../src/cost/model.js';
import { loadPriceTable } from '../../../src/cost/prices.js';
import { MissingPriceError } from '../../../src/cost/pricer.js';
import { SEED_USAGE, seedInput } from './seed-topology.js';

const seed = loadPriceTable('seed');
const amount = (e: ReturnType<typeof estimate>, line: string): number | undefined => e.lines.find((l) => l.line === line)?.amount;

describe('the seed, section 8.1, at its own rates', () => {
  const e = estimate(seedInput(), seed);

  it('reproduces every line', () => {
    const expected: Record<string, number> = {
      run: 1_263_000, redis: 76_000, sql: 5_500, storage: 1_000, egress: 24_000, lb: 420_000,
      cdn: 2_200_000, vpc: 15_000, monitoring: 2_500, logging: 8_000, trace: 1_000, armor: 10_000, secrets: 500,
    };
    expect(Object.fromEntries(e.lines.map((l) => [l.line, Math.round(l.amount * 100) / 100]))).toEqual(expected);
  });

  it('reproduces the total and the unit costs', () => {
    expect(e.total).toBeCloseTo(4_026_500, 6);
    expect(e.perConcurrentStream!.toFixed(5)).toBe('0.00805');
    expect(e.perMillionRequests!.toFixed(2)).toBe('4.84');
  });

  it('derives the lines that follow from the stated rates without an override', () => {
    for (const line of ['storage', 'egress', 'cdn']) expect(e.lines.find((l) => l.line === line)!.override).toBeUndefined();
    const cdn = e.items.find((i) => i.line === 'cdn')!;
    expect(cdn.quantity).toBe(40_000_000);
    expect(cdn.rate).toBe(0.055);
  });

  it("flags where the seed's own arithmetic does not hold", () => {
    const run = e.arithmetic.find((a) => a.line === 'run' && a.stated === 1_263_000)!;
    expect(run.computed).toBeCloseTo(1_261_440, 6);
    expect(run.message).toContain('14,600,000 vCPU-h');
    expect(run.message).toContain('$1,261,440');
    const redis = e.arithmetic.find((a) => a.line === 'redis' && a.stated === 76_000)!;
    expect(redis.computed).toBeCloseTo(75_686.4, 6);
    // 1,920 GB is what the seed prices; the topology (5 x 256 + 10 x 128) is 2,560 GB.
    const size = e.arithmetic.find((a) => a.line === 'redis' && a.stated === 1_401_600)!;
    expect(size.computed).toBe(2_560 * 730);
    // Lines that follow exactly are not flagged.
    expect(e.arithmetic.map((a) => a.line)).not.toContain('cdn');
  });

  it('needs an override for every seed line that has no stated rate', () => {
    const seedOverrides = { ...SEED_USAGE.overrides!.seed };
    delete seedOverrides.sql;
    const usage = { ...SEED_USAGE, overrides: { seed: seedOverrides } };
    expect(() => estimate(seedInput(usage), seed)).toThrow(MissingPriceError);
    expect(() => estimate(seedInput(usage), seed)).toThrow(/prices\.seed\.entries\.sql\.vcpu.*Cloud SQL/);
  });
});

describe('the seed, section 8.2: burst', () => {
  const e = estimate(seedInput(), seed, { scenario: 'burst' });

  it('prices a 50x event of 4 hours, 10 a month', () => {
    expect(e.burst!.perEvent).toBeCloseTo(79_200, 6);
    expect(e.burst!.perHour).toBeCloseTo(19_800, 6);
    expect(e.burst!.monthly).toBeCloseTo(792_000, 6);
    expect(amount(e, 'burst.run')).toBeCloseTo(470_000, 6);
    expect(e.total).toBeCloseTo(4_026_500 + 792_000, 6);
  });

  it('shows what the rates give for the burst compute', () => {
    // 5,000 avg instances x 50 = 250,000, capped by maxInstances at 50,000: 45,000 extra
    // x 4 vCPU x 4 h x 3600 s x $0.000024 = $62,208 an event (the seed states $47,000).
    const flag = e.arithmetic.find((a) => a.line === 'burst.run')!;
    expect(flag.computed).toBeCloseTo(622_080, 6);
    expect(e.warnings.some((w) => w.includes('caps the peak at 50,000'))).toBe(true);
    expect(e.warnings).toContain('burst capacity: 50x the target is 25,000,000,000 concurrent streams; the topology serves at most 5,000,000');
  });
});

describe('the seed, section 8.3: optimized', () => {
  const e = estimate(seedInput(), seed, { scenario: 'optimized' });

  it('reproduces the optimized total, savings and unit costs', () => {
    expect(e.total).toBeCloseTo(2_752_000, 6);
    expect(e.optimized!.savings).toBeCloseTo(1_274_500, 6);
    expect((e.optimized!.savingsPct * 100).toFixed(1)).toBe('31.7');
    expect(e.perConcurrentStream!.toFixed(5)).toBe('0.00550');
    expect(e.perMillionRequests!.toFixed(2)).toBe('3.31');
  });

  it("reproduces the seed's categories", () => {
    expect(e.categories.compute).toBeCloseTo(876_000, 6);
    expect(e.categories.networking).toBeCloseTo(1_829_000, 6);
    expect(e.categories.storage).toBeCloseTo(25_000, 6);
    expect(e.categories.monitoring).toBeCloseTo(11_500, 6);
    expect(e.categories.security).toBeCloseTo(10_500, 6);
  });

  it("flags that the seed's '30% reduction' of compute is really 34.8%", () => {
    const flag = e.arithmetic.find((a) => a.line === 'savings.compute')!;
    expect(flag.computed).toBeCloseTo(-403_350, 6);
    expect(flag.message).toContain('34.8%');
  });
});
