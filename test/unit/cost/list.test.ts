import { describe, expect, it } from 'vitest';
import { estimate } from '../../../src/cost/model.js';
import { loadPriceTable } from '../../../src/cost/prices.js';
import type { CostInput, RegionInput, RunShape } from '../../../src/cost/types.js';
import type { Usage } from '../../../src/spec/usage.js';
import { input, region } from './helpers.js';

const list = loadPriceTable('list');
const HOURS = 730;
const MONTH_S = HOURS * 3600;

const run = (patch: Partial<RunShape> = {}): RunShape => ({
  cpu: 1, memoryGib: 1, minInstances: 1, maxInstances: 10, concurrency: 80, billing: 'instance', ...patch,
});
const items = (inp: CostInput, line: string, scenario: 'baseline' | 'optimized' = 'baseline') =>
  estimate(inp, list, { scenario }).items.filter((i) => i.line === line);
const lineAmount = (inp: CostInput, line: string): number => items(inp, line).reduce((s, i) => s + i.amount, 0);
const only = (regions: RegionInput[], usage: Usage = {}, patch: Partial<CostInput> = {}): CostInput => input({ regions, ...patch }, usage);

describe('Cloud Run at list prices', () => {
  it('bills CPU and memory per instance-second when CPU is always allocated, less the free tier once', () => {
    const its = items(only([region('us-central1', { run: run({ cpu: 4, memoryGib: 16 }) })]), 'run');
    const cpu = its.find((i) => i.component === 'cpu')!;
    const mem = its.find((i) => i.component === 'memory')!;
    expect(cpu.quantity).toBe(4 * MONTH_S);
    expect(cpu.amount).toBeCloseTo(4 * MONTH_S * 0.000018, 6);
    expect(mem.amount).toBeCloseTo(16 * MONTH_S * 0.000002, 6);
    expect(its.find((i) => i.component === 'cpu free tier')!.amount).toBeCloseTo(-240_000 * 0.000018, 9);
    expect(its.find((i) => i.component === 'memory free tier')!.amount).toBeCloseTo(-450_000 * 0.000002, 9);
  });

  it('charges x1.2 in a Cloud Run tier-2 region, and the free tier is credited once for all regions', () => {
    const one = only([region('us-central1', { run: run() })]);
    const two = only([region('us-central1', { run: run() }), region('europe-west2', { tier: 'tier2', run: run() })]);
    const cpu = items(two, 'run').filter((i) => i.component === 'cpu');
    expect(cpu.find((i) => i.region === 'europe-west2')!.rate).toBeCloseTo(0.0000216, 12);
    expect(cpu.find((i) => i.region === 'us-central1')!.rate).toBe(0.000018);
    expect(items(two, 'run').filter((i) => i.component.endsWith('free tier'))).toHaveLength(2);
    expect(lineAmount(two, 'run') - lineAmount(one, 'run')).toBeCloseTo(MONTH_S * (0.000018 + 0.000002) * 1.2, 6);
  });

  it('bills request-based CPU and memory (x1.4 in tier 2) and requests (same everywhere, 2M free)', () => {
    const r = only([region('asia-south1', { run: run({ billing: 'request' }) })], { requestsPerMonth: 12_000_000 });
    const its = items(r, 'run');
    expect(its.find((i) => i.component === 'cpu')!.rate).toBeCloseTo(0.000024 * 1.4, 12);
    expect(its.find((i) => i.component === 'memory')!.rate).toBeCloseTo(0.0000025 * 1.4, 12);
    const req = its.find((i) => i.component === 'requests')!;
    expect(req.quantity).toBe(12);
    expect(req.amount).toBeCloseTo(12 * 0.4, 9);
    expect(its.find((i) => i.component === 'requests free tier')!.amount).toBeCloseTo(-2 * 0.4, 9);
  });

  it('spreads usage.averageInstances over regions by minInstances', () => {
    const r = only([region('us-central1', { run: run({ minInstances: 3 }) }), region('us-east1', { run: run({ minInstances: 1 }) })], { averageInstances: 8 });
    const cpu = items(r, 'run').filter((i) => i.component === 'cpu');
    expect(cpu.find((i) => i.region === 'us-central1')!.quantity).toBe(6 * MONTH_S);
    expect(cpu.find((i) => i.region === 'us-east1')!.quantity).toBe(2 * MONTH_S);
  });
});

describe('Memorystore size bands', () => {
  const rate = (gb: number, tier: 'BASIC' | 'STANDARD_HA' = 'STANDARD_HA'): number =>
    items(only([region('us-central1', { redis: { tier, memorySizeGb: gb } })]), 'redis')[0]!.rate;

  it.each([
    [1, 0.064], [4, 0.064], [5, 0.054], [10, 0.054], [11, 0.046], [35, 0.046], [36, 0.035], [100, 0.035], [101, 0.03], [256, 0.03], [300, 0.03],
  ])('Standard %i GB is $%f per GB-hour', (gb, r) => {
    expect(rate(gb)).toBe(r);
  });

  it.each([[4, 0.049], [5, 0.027], [35, 0.023], [100, 0.019], [128, 0.016]])('Basic %i GB is $%f per GB-hour', (gb, r) => {
    expect(rate(gb, 'BASIC')).toBe(r);
  });

  it('prices 128-256 GB instances in band M5, and refuses sizes above 300 GB naming the field', () => {
    const its = items(only([region('us-central1', { redis: { tier: 'STANDARD_HA', memorySizeGb: 256 } })]), 'redis');
    expect(its[0]!.amount).toBeCloseTo(256 * HOURS * 0.03, 6);
    expect(its[0]!.note).toContain('M5');
    expect(() => rate(301)).toThrow(/tiers\.tier1\.redis\.memorySizeGb.*301 GB/);
  });
});

describe('Cloud SQL', () => {
  const sql = (patch: Partial<RegionInput['sql'][number]>) =>
    only([region('us-central1', { sql: [{ name: 'db', role: 'replica', vcpu: 4, memoryGb: 16, ha: false, diskGb: 100, ...patch }] })]);

  it('doubles vCPU, memory and SSD for HA (REGIONAL)', () => {
    const compute = (inp: CostInput) => items(inp, 'sql').filter((i) => i.component === 'vcpu' || i.component === 'memory').reduce((s, i) => s + i.amount, 0);
    expect(compute(sql({ ha: true }))).toBeCloseTo(404.712, 3);
    expect(compute(sql({ vcpu: 2, memoryGb: 8 }))).toBeCloseTo(101.178, 3);
    expect(items(sql({ ha: true }), 'sql').find((i) => i.component === 'ssd')!.amount).toBeCloseTo(2 * 100 * 0.17, 9);
  });

  it('charges backups on primaries only (default: the disk size)', () => {
    expect(items(sql({ role: 'primary' }), 'sql').find((i) => i.component === 'backups')!.amount).toBeCloseTo(100 * 0.08, 9);
    expect(items(sql({ role: 'replica' }), 'sql').find((i) => i.component === 'backups')).toBeUndefined();
  });
});

describe('tiered internet egress', () => {
  const egress = (gb: number): number => lineAmount(only([region('us-central1')], { internetEgressGb: gb }), 'egress');
  it.each([
    [1024, 1024 * 0.12],
    [1025, 1024 * 0.12 + 0.11],
    [10240, 1024 * 0.12 + 9216 * 0.11],
    [10241, 1024 * 0.12 + 9216 * 0.11 + 0.08],
    [300_000, 1024 * 0.12 + 9216 * 0.11 + (300_000 - 10240) * 0.08],
  ])('%i GiB costs $%f', (gb, expected) => {
    expect(egress(gb)).toBeCloseTo(expected, 6);
  });
});

describe('load balancer', () => {
  const lb = (rules: number, gb = 0): number => lineAmount(only([region('us-central1')], { lbDataProcessedGb: gb }, { forwardingRules: rules }), 'lb');
  it('charges the first 5 forwarding rules $0.025/h and each after $0.01/h', () => {
    expect(lb(2)).toBeCloseTo(2 * 0.025 * HOURS, 9);
    expect(lb(5)).toBeCloseTo(5 * 0.025 * HOURS, 9);
    expect(lb(7)).toBeCloseTo((5 * 0.025 + 2 * 0.01) * HOURS, 9);
  });
  it('charges $0.008 per GiB processed', () => {
    expect(lb(0, 1000)).toBeCloseTo(8, 9);
  });
});

describe('Cloud CDN', () => {
  const cdn = (gb: number) => estimate(only([region('us-central1')], { cdnCacheEgressGb: gb }), list);
  const egressAmount = (gb: number): number => cdn(gb).items.find((i) => i.component === 'cache egress')!.amount;
  it('prices cache egress in tiers', () => {
    expect(egressAmount(10_240)).toBeCloseTo(10_240 * 0.08, 6);
    expect(egressAmount(153_600)).toBeCloseTo(10_240 * 0.08 + 143_360 * 0.055, 6);
    expect(egressAmount(512_000)).toBeCloseTo(10_240 * 0.08 + 143_360 * 0.055 + 358_400 * 0.03, 6);
  });
  it('warns that the price above 500 TiB is negotiated', () => {
    expect(cdn(512_000).warnings.join()).not.toContain('negotiate');
    const big = cdn(40_000_000);
    expect(big.warnings.join()).toContain('negotiates');
    expect(big.items.find((i) => i.component === 'cache egress')!.note).toContain('negotiated');
  });
  it('charges cache lookups per 10,000 (default: every request)', () => {
    const e = estimate(only([region('us-central1')], { requestsPerMonth: 1_000_000 }), list);
    expect(e.items.find((i) => i.component === 'cache lookups')!.amount).toBeCloseTo(100 * 0.0075, 9);
  });
});

describe('security, messaging and operations lines', () => {
  it('prices Cloud Armor policies, rules and requests', () => {
    const r = only([region('us-central1')], { requestsPerMonth: 2_000_000 }, { armor: { policies: 1, rules: 6 } });
    expect(lineAmount(r, 'armor')).toBeCloseTo(5 + 6 + 2 * 0.75, 9);
  });
  it('prices Secret Manager versions and accesses', () => {
    const r = only([region('us-central1')], { secretAccessesPerMonth: 100_000 }, { secrets: { secrets: 10, versionsPerSecret: 2, locations: 1 } });
    expect(lineAmount(r, 'secrets')).toBeCloseTo(20 * 0.06 + 10 * 0.03, 9);
  });
  it('prices Pub/Sub at $40 a TiB after 10 GiB free', () => {
    expect(lineAmount(only([region('us-central1')], { pubsubGb: 10 }), 'pubsub')).toBe(0);
    expect(lineAmount(only([region('us-central1')], { pubsubGb: 1034 }), 'pubsub')).toBeCloseTo(40, 9);
  });
  it('prices logging after 50 GiB free and monitoring in tiers', () => {
    expect(lineAmount(only([region('us-central1')], { logVolumeGb: 150 }), 'logging')).toBeCloseTo(50, 9);
    expect(lineAmount(only([region('us-central1')], { monitoringMib: 100_000 }), 'monitoring')).toBeCloseTo(25_800, 6);
    expect(lineAmount(only([region('us-central1')], { monitoringMib: 250_001 }), 'monitoring')).toBeCloseTo(25_800 + 150_000 * 0.151 + 0.061, 6);
  });
});

describe('region rates', () => {
  it('prices Standard storage per bucket location', () => {
    const buckets = (loc: string) => only([region(loc, { buckets: [{ name: 'b', location: loc, storageClass: 'STANDARD' }] })], { storageGb: 1000 });
    expect(lineAmount(buckets('us-central1'), 'storage')).toBeCloseTo(20, 9);
    expect(lineAmount(buckets('southamerica-east1'), 'storage')).toBeCloseTo(35, 9);
    expect(lineAmount(buckets('asia-northeast1'), 'storage')).toBeCloseTo(23, 9);
  });
});

describe('optimized at list prices', () => {
  it('applies the committed-use discounts of the chosen term', () => {
    const base = only([region('us-central1', { run: run({ minInstances: 100, maxInstances: 200 }), redis: { tier: 'STANDARD_HA', memorySizeGb: 128 } })]);
    const runAmount = lineAmount(base, 'run');
    const redisAmount = lineAmount(base, 'redis');
    const oneYear = estimate(base, list, { scenario: 'optimized' });
    expect(oneYear.lines.find((l) => l.line === 'savings.run.cud1y')!.amount).toBeCloseTo(-0.28 * runAmount, 6);
    expect(oneYear.lines.find((l) => l.line === 'savings.redis.cud1y')!.amount).toBeCloseTo(-0.2 * redisAmount, 6);
    const threeYears = estimate({ ...base, usage: { ...base.usage, optimized: { commitmentTerm: '3y' } } }, list, { scenario: 'optimized' });
    expect(threeYears.lines.find((l) => l.line === 'savings.run.cud3y')!.amount).toBeCloseTo(-0.46 * runAmount, 6);
    expect(threeYears.lines.some((l) => l.line === 'savings.run.cud1y')).toBe(false);
  });
  it('prices the optimized volumes', () => {
    const base = only([region('us-central1')], { lbDataProcessedGb: 1000, optimized: { usage: { lbDataProcessedGb: 500 } } });
    expect(estimate(base, list, { scenario: 'optimized' }).lines.find((l) => l.line === 'lb')!.amount).toBeCloseTo(4, 9);
  });
});
