import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costReport } from '../../../src/cost/index.js';
import { packageRoot } from '../../../src/spec/paths.js';

const template = (name: string): string => join(packageRoot(), 'templates', `${name}.yaml`);

describe('templates/production.yaml', () => {
  it('reproduces section 8.1 line by line at the seed rates', async () => {
    const { estimate: e } = await costReport({ specPath: template('production'), rates: 'seed', scenario: 'baseline' });
    expect(Object.fromEntries(e.lines.map((l) => [l.service, Math.round(l.amount)]))).toEqual({
      'Cloud Run': 1_263_000, 'Memorystore Redis': 76_000, 'Cloud SQL': 5_500, 'Cloud Storage': 1_000,
      'Internet egress': 24_000, 'Load balancer': 420_000, 'Cloud CDN': 2_200_000, 'VPC networking': 15_000,
      'Cloud Monitoring': 2_500, 'Cloud Logging': 8_000, 'Cloud Trace': 1_000, 'Cloud Armor': 10_000, 'Secret Manager': 500,
    });
    expect(e.total).toBeCloseTo(4_026_500, 6);
    expect(e.perConcurrentStream!.toFixed(5)).toBe('0.00805');
    expect(e.perMillionRequests!.toFixed(2)).toBe('4.84');
    expect(e.arithmetic.map((a) => Math.round(a.computed))).toEqual(expect.arrayContaining([1_261_440, 75_686]));
    expect(e.capacity.short).toBe(true);
  });

  it('models 8.2 and 8.3', async () => {
    const burst = (await costReport({ specPath: template('production'), rates: 'seed', scenario: 'burst' })).estimate;
    expect(burst.burst!.perEvent).toBeCloseTo(79_200, 6);
    expect(burst.burst!.monthly).toBeCloseTo(792_000, 6);
    const opt = (await costReport({ specPath: template('production'), rates: 'seed', scenario: 'optimized' })).estimate;
    expect(opt.total).toBeCloseTo(2_752_000, 6);
    expect(opt.perMillionRequests!.toFixed(2)).toBe('3.31');
  });

  it('prices the same topology at list prices with a reason for every differing line', async () => {
    const r = await costReport({ specPath: template('production'), rates: 'list', scenario: 'baseline' });
    expect(r.versusSeed).toBeDefined();
    const rows = r.versusSeed!;
    const differs = (row: (typeof rows)[number]) => Math.abs(row.delta) >= 0.005;
    // Every line the seed prices differently is named, and each of them (and only they) says why.
    expect(rows.filter(differs).map((row) => row.line)).toEqual(['run', 'redis', 'sql', 'storage', 'egress', 'lb', 'cdn', 'vpc', 'monitoring', 'logging', 'armor', 'secrets']);
    for (const row of rows) expect(typeof row.reason === 'string' && row.reason.length > 20, `${row.line}: ${String(row.reason)}`).toBe(differs(row));
    expect(r.estimate.lines.find((l) => l.line === 'redis')!.amount).toBeCloseTo(2_560 * 730 * 0.03, 6);
  });
});

describe('the smaller templates', () => {
  it('estimate at list prices and compare with production', async () => {
    const r = await costReport({ specPath: template('regional'), rates: 'list', scenario: 'baseline', comparePath: template('production') });
    expect(r.estimate.total).toBeGreaterThan(0);
    expect(r.estimate.capacity.short).toBe(false);
    expect(r.compare!.total - r.compare!.otherTotal).toBeCloseTo(r.compare!.rows.reduce((s, x) => s + x.delta, 0), 6);
    // The seed table cannot price Cloud SQL: no vs-seed column, said so.
    expect(r.versusSeed).toBeUndefined();
    expect(r.estimate.warnings.join()).toContain('no "vs seed" column');
    const local = await costReport({ specPath: template('local'), rates: 'list', scenario: 'baseline' });
    expect(local.estimate.total).toBeGreaterThan(0);
  });

  it('points a cost error at the YAML line of the field', async () => {
    await expect(costReport({ specPath: template('local'), rates: 'list', scenario: 'burst' })).rejects.toThrow(/local\.yaml:\d+:\d+ {2}usage\.burst: missing/);
  });
});
