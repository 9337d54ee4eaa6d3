import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../src/spec/index.js';
import { expandTopology } from '../../../src/topology/index.js';
import { compareQuotas, requiredQuotas, shortfalls } from '../../../src/quotas/index.js';
import { parseCpu, parseMemoryGiB } from '../../../src/quotas/required.js';
import { quotaKey } from '../../../src/quotas/observe.js';

const production = async () => expandTopology((await loadSpec('templates/production.yaml')).spec);

describe('required quotas', () => {
  it('derives Cloud Run needs per region at max scale from the production template', async () => {
    const reqs = requiredQuotas(await production());
    const need = (key: string, region?: string) => reqs.find((r) => r.kind.key === key && r.region === region)?.needed;
    // Tier 1: 8,000 max instances x 4 vCPU / 16 GiB; tier 2: 1,000 x 4 / 16.
    expect(need('run.cpu', 'us-central1')).toBe(32_000);
    expect(need('run.memory', 'us-central1')).toBe(128_000);
    expect(need('run.instances', 'us-central1')).toBe(8000);
    expect(need('run.cpu', 'me-west1')).toBe(4000);
    expect(need('run.instances', 'me-west1')).toBe(1000);
    expect(need('redis.capacity', 'us-central1')).toBe(256);
    expect(need('redis.capacity', 'us-east1')).toBe(128);
    expect(need('sql.instances')).toBe(15);
    expect(need('compute.routers')).toBe(15);
    expect(need('compute.peerings')).toBe(1);
    expect(need('compute.forwardingRules')).toBe(2);
    expect(need('vpcaccess.connectors', 'asia-east1')).toBe(1);
    expect(reqs.filter((r) => r.kind.key === 'run.cpu')).toHaveLength(15);
  });

  it('counts only the selected regions', async () => {
    const spec = (await loadSpec('templates/production.yaml')).spec;
    const reqs = requiredQuotas(expandTopology(spec, { regions: ['us-central1'] }));
    expect(new Set(reqs.filter((r) => r.region).map((r) => r.region))).toEqual(new Set(['us-central1']));
  });

  it('parses Cloud Run cpu and memory quantities', () => {
    expect(parseCpu('4')).toBe(4);
    expect(parseCpu('500m')).toBe(0.5);
    expect(parseMemoryGiB('16Gi')).toBe(16);
    expect(parseMemoryGiB('512Mi')).toBe(0.5);
    expect(parseMemoryGiB('2G')).toBeCloseTo(1.8626, 3);
  });
});

describe('quota comparison', () => {
  it('flags a need above the limit with the exact value to ask for, and passes one at the limit', async () => {
    const reqs = requiredQuotas(await production()).filter((r) => r.kind.key === 'run.instances' && (r.region === 'us-central1' || r.region === 'us-east1'));
    const observed = new Map(reqs.map((r) => [quotaKey(r.kind, r.region), { limit: 1000, source: 'test' }]));
    const rows = compareQuotas(reqs, observed);
    const tier1 = rows.find((r) => r.region === 'us-central1');
    const tier2 = rows.find((r) => r.region === 'us-east1');
    expect(tier1?.verdict).toBe('short');
    expect(tier1?.request).toEqual({ preferredValue: 8000, increase: 7000 });
    expect(tier1?.note).toMatch(/10,000/);
    expect(tier2?.verdict).toBe('ok');
    expect(shortfalls(rows)).toHaveLength(1);
  });

  it('reports a quota it could not read as unknown, not as passing', async () => {
    const reqs = requiredQuotas(await production()).filter((r) => r.kind.key === 'sql.instances');
    const rows = compareQuotas(reqs, new Map([[quotaKey(reqs[0].kind), { source: 'x', error: 'PERMISSION_DENIED' }]]));
    expect(rows[0].verdict).toBe('unknown');
    expect(rows[0].note).toBe('PERMISSION_DENIED');
  });
});
