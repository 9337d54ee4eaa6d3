import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPriceTable } from '../../../src/cost/prices.js';
import { refreshPrices } from '../../../src/cost/refresh.js';
import { packageRoot } from '../../../src/spec/paths.js';
import { FIXTURES, startCatalog } from './catalog-server.js';

const KEY = 'test-api-key';
let catalog: Awaited<ReturnType<typeof startCatalog>>;
let endpoint: string;
let hidden: Set<string>;
let requests: string[];

beforeAll(async () => {
  catalog = await startCatalog(KEY);
  ({ endpoint, hidden, requests } = catalog);
});
afterAll(() => catalog.close());

const tmp = (): string => join(mkdtempSync(join(tmpdir(), 'ruvector-prices-')), 'list.json');

describe('--refresh-prices against recorded Cloud Billing Catalog responses', () => {
  it('pins a SKU for every catalog entry, follows pages and reports what changed', async () => {
    const out = tmp();
    const r = await refreshPrices({ table: 'list', out, endpoint, apiKey: KEY, today: '2026-12-01' });
    const before = loadPriceTable('list');
    const after = loadPriceTable(out);
    const catalogEntries = Object.entries(before.entries).filter(([, e]) => e.catalog).map(([k]) => k);
    expect(r.updated.sort()).toEqual(catalogEntries.sort());
    for (const k of catalogEntries) expect(after.entries[k]!.catalog!.skuId, k).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(requests.some((q) => q.includes('pageToken=page2'))).toBe(true);
    // The recorded Memorystore M5 price differs from the table; everything else matches.
    expect(after.entries['redis.STANDARD_HA.M5']!.rate).toBe(0.031);
    expect(r.changes.filter((c) => c.includes('->'))).toEqual([expect.stringContaining('redis.STANDARD_HA.M5')]);
    // Structure survives: free tiers, tiers, multipliers, units.
    expect(after.entries['run.instance.cpu']).toMatchObject({ rate: 0.000018, free: 240000, tier2Multiplier: 1.2, pricedAsOf: '2026-12-01' });
    expect(after.entries['run.request.requests']).toMatchObject({ rate: 0.4, free: 2 });
    expect(after.entries['pubsub.throughput']!.free).toBeCloseTo(10, 9);
    expect(after.entries['cdn.cacheEgress']!.tiers).toEqual(before.entries['cdn.cacheEgress']!.tiers);
    // Pinned to the us-central1 SKU, not the europe-west2 one with the same description pattern.
    const runSkus = JSON.parse(readFileSync(join(FIXTURES, '152E-C115-5142.json'), 'utf8')) as { skus: { skuId: string; serviceRegions: string[] }[] };
    const pinned = runSkus.skus.find((s) => s.skuId === after.entries['run.instance.cpu']!.catalog!.skuId);
    expect(pinned?.serviceRegions ?? ['us-central1']).toEqual(['us-central1']);
    expect(r.unchanged).toContain('secrets.version');
  });

  it('refreshes a pinned table again, and fails loudly when a pinned SKU is gone', async () => {
    const out = tmp();
    await refreshPrices({ table: 'list', out, endpoint, apiKey: KEY });
    const again = await refreshPrices({ table: out, endpoint, apiKey: KEY });
    expect(again.changes).toEqual([]);
    const sku = loadPriceTable(out).entries['sql.vcpu']!.catalog!.skuId!;
    const before = readFileSync(out, 'utf8');
    hidden.add(sku);
    try {
      await expect(refreshPrices({ table: out, endpoint, apiKey: KEY })).rejects.toThrow(new RegExp(`sql\\.vcpu: pinned SKU ${sku} is gone from service 9662-B51E-5089`));
    } finally {
      hidden.delete(sku);
    }
    expect(readFileSync(out, 'utf8')).toBe(before);
  });

  it('fails when a description pattern matches no SKU or several', async () => {
    const path = tmp();
    const table = JSON.parse(readFileSync(join(packageRoot(), 'config', 'prices', 'list.json'), 'utf8'));
    table.entries['logging.ingest'].catalog.descriptionPattern = 'No Such SKU';
    table.entries['sql.memory'].catalog.descriptionPattern = 'Cloud SQL';
    writeFileSync(path, JSON.stringify(table));
    const err = await refreshPrices({ table: path, endpoint, apiKey: KEY }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/logging\.ingest: no SKU of service 5490-F7B7-8DF6 matches \/No Such SKU\//);
    expect((err as Error).message).toMatch(/sql\.memory: \/Cloud SQL\/ matches \d+ SKUs/);
  });

  it('reports an API error with its status', async () => {
    await expect(refreshPrices({ table: 'list', out: tmp(), endpoint, apiKey: 'wrong' })).rejects.toThrow(/answered 403/);
  });
});
