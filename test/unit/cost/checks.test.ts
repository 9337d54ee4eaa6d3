import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareEstimates, versusSeed } from '../../../src/cost/compare.js';
import { CostError } from '../../../src/cost/errors.js';
import { capacityOf, estimate } from '../../../src/cost/model.js';
import { loadPriceTable } from '../../../src/cost/prices.js';
import { renderMarkdown, renderTable } from '../../../src/cost/render.js';
import { input, region } from './helpers.js';
import { SEED_USAGE, seedInput } from './seed-topology.js';

const list = loadPriceTable('list');
const seed = loadPriceTable('seed');

describe('capacity', () => {
  it("flags the seed: 50,000 instances x 100 is 5M concurrent against a 500M target", () => {
    const c = capacityOf(seedInput());
    expect(c.maxConcurrentRequests).toBe(5_000_000);
    expect(c.short).toBe(true);
    expect(c.message).toContain('SHORT by 100x');
    expect(estimate(seedInput(), list).warnings).toContain(c.message);
  });

  it("counts at most Cloud Run's 1,000 concurrent requests per instance", () => {
    const run = { cpu: 1, memoryGib: 1, minInstances: 0, maxInstances: 10, concurrency: 5000, billing: 'instance' as const };
    const c = capacityOf(input({ regions: [region('us-central1', { run })] }, { concurrentStreamsTarget: 10_000 }));
    expect(c.maxConcurrentRequests).toBe(10_000);
    expect(c.short).toBe(false);
    const short = capacityOf(input({ regions: [region('us-central1', { run })] }, { concurrentStreamsTarget: 10_001 }));
    expect(short.short).toBe(true);
  });
});

describe('bad input names the field', () => {
  const table = list;
  it.each([
    ['negative usage', { storageGb: -5 }, /^usage\.storageGb: /],
    ['a burst without hours', { burst: { multiplier: 2, eventsPerMonth: 1 } }, /^usage\.burst\.hours: /],
    ['an override without a figure', { overrides: { list: { lb: { reason: 'x' } } } }, /^usage\.overrides\.list\.lb: an override needs/],
  ])('%s', (_what, usage, re) => {
    expect(() => estimate(input({}, usage as never), table)).toThrow(re);
  });

  it('missing usage', () => {
    const inp = input();
    delete inp.usage.cdnCacheEgressGb;
    expect(() => estimate(inp, table)).toThrow(/^usage\.cdnCacheEgressGb: missing: needed for the Cloud CDN line/);
  });

  it('--scenario burst without usage.burst', () => {
    expect(() => estimate(input(), table, { scenario: 'burst' })).toThrow(/^usage\.burst: missing/);
  });

  it('an unknown region', () => {
    expect(() => estimate(input({ regions: [region('mars-east1', { tier: 'tier2' })] }), table)).toThrow(/^regions\.tier2: unknown region "mars-east1"/);
  });

  it('an override for a line that does not exist', () => {
    expect(() => estimate(input({}, { overrides: { list: { gpu: { amount: 1, reason: 'x' } } } }), table)).toThrow(/^usage\.overrides\.list\.gpu: unknown line/);
  });

  it('a price table without an entry the spec needs', () => {
    const inp = input({ regions: [region('us-central1', { redis: { tier: 'BASIC', memorySizeGb: 5 } })] });
    expect(() => estimate(inp, seed)).toThrow(/^prices\.seed\.entries\.redis\.BASIC: price table "seed" has no entry redis\.BASIC, needed for the Memorystore Redis line/);
  });

  it('an unknown or broken price table', () => {
    expect(() => loadPriceTable('nonesuch')).toThrow(CostError);
    const dir = mkdtempSync(join(tmpdir(), 'prices-'));
    const path = join(dir, 't.json');
    writeFileSync(path, JSON.stringify({ ...list, entries: { x: { unit: 'h', source: 's', pricedAsOf: 'd' } } }));
    expect(() => loadPriceTable(path)).toThrow(/prices\.entries\.x: .*has no rate/);
    writeFileSync(path, JSON.stringify({ ...list, hoursPerMonth: -1 }));
    expect(() => loadPriceTable(path)).toThrow(/^prices\.hoursPerMonth: /);
  });
});

describe('list prices against the seed', () => {
  const rows = versusSeed(estimate(seedInput(), list), estimate(seedInput(), seed));
  const row = (line: string) => rows.find((r) => r.line === line)!;

  it('gives every differing line a reason', () => {
    const differs = (r: (typeof rows)[number]) => Math.abs(r.delta) >= 0.005;
    expect(rows.filter(differs).map((r) => r.line)).toEqual(['run', 'redis', 'sql', 'storage', 'egress', 'lb', 'cdn', 'vpc', 'monitoring', 'logging', 'armor', 'secrets']);
    // A reason exactly where the figures differ: none for a line priced the same.
    for (const r of rows) expect(typeof r.reason === 'string' && r.reason.length > 20, `${r.line}: ${String(r.reason)}`).toBe(differs(r));
    expect(rows.reduce((s, r) => s + r.delta, 0)).toBeCloseTo(estimate(seedInput(), list).total - 4_026_500, 4);
  });

  it('says what differs and why', () => {
    expect(row('run').reason).toContain('memory not counted in the seed');
    expect(row('run').reason).toContain("cpu $0.0000195 vs the seed's $0.000024 per vCPU-second");
    expect(row('redis').reason).toContain('M5');
    expect(row('redis').reason).toContain('the seed counts 1,401,600 GB-hour, the topology 1,868,800');
    expect(row('armor').reason).toContain('requests: 832,000 million requests x $0.75 = $624,000');
    expect(row('cdn').reason).toContain('negotiated');
    expect(row('armor').reason).toContain('with no rate');
    expect(row('lb').reason).toContain('the seed states $420,000 with no rate');
    expect(row('trace').reason).toBeUndefined();
  });
});

describe('--compare', () => {
  it('gives the monthly difference by line', () => {
    const big = estimate(seedInput(), list);
    const usage = { ...SEED_USAGE, cdnCacheEgressGb: 20_000_000 };
    const small = estimate(seedInput(usage), list);
    const rows = compareEstimates(big, small);
    const cdn = rows.find((r) => r.line === 'cdn')!;
    expect(cdn.delta).toBeCloseTo(20_000_000 * 0.03, 4);
    expect(rows.filter((r) => r.line !== 'cdn' && r.line !== 'burst.networking').every((r) => Math.abs(r.delta) < 1e-6)).toBe(true);
  });
});

describe('rendering', () => {
  const e = estimate(seedInput(), seed);
  it('prints an aligned table with every seed line, the totals, the flags and the capacity', () => {
    const out = renderTable({ estimate: e });
    const lines = out.split('\n');
    const header = lines.find((l) => l.startsWith('Line'))!;
    const amountEnd = header.indexOf('Amount') + 'Amount'.length;
    // Amounts are right-aligned under their header: each ends exactly where "Amount" does.
    const rowsShown = lines.filter((x) => /^(Cloud Run|Cloud CDN|Total) /.test(x));
    expect(rowsShown.map((l) => l.split(/\s{2,}/)[0])).toEqual(['Cloud Run', 'Cloud CDN', 'Total']);
    for (const l of rowsShown) {
      expect(l.slice(0, amountEnd), l).toMatch(/\s\$[\d,.]+$/);
      expect(l.charAt(amountEnd), l).not.toMatch(/[\d,.]/);
    }
    expect(out).toContain('$4,026,500');
    expect(out).toContain('$2,200,000');
    expect(out).toContain('per concurrent stream: $0.00805');
    expect(out).toContain('per million requests: $4.84');
    expect(out).toContain('$1,261,440, not the stated $1,263,000');
    expect(out).toContain('SHORT by 100x');
  });
  it('renders Markdown and groups by region and service', () => {
    const md = renderMarkdown({ estimate: estimate(seedInput(), list) }, 'region');
    expect(md).toMatch(/^### Cost estimate/);
    expect(md).toContain('| Region | Service | Amount | Share |');
    expect(md).toContain('| us-central1 |');
    const bySvc = renderTable({ estimate: estimate(seedInput(), list) }, 'service');
    expect(bySvc).toMatch(/^Cloud Run\s+\$[\d,]+\s+[\d.]+%$/m);
  });
});
