import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../../src/spec/index.js';
import { expandTopology } from '../../../src/topology/index.js';
import { compareQuotas, requiredQuotas, shortfalls } from '../../../src/quotas/index.js';
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

  const runService = (limits: Record<string, unknown>) => ({
    resources: [{ kind: 'run.Service', name: 'projects/p/locations/us-central1/services/s', region: 'us-central1', spec: { template: { scaling: { maxInstanceCount: 10 }, containers: [{ resources: { limits } }] } } }],
  });
  const needOf = (limits: Record<string, unknown>, key: string) => requiredQuotas(runService(limits)).find((r) => r.kind.key === key)?.needed;

  it("reads Cloud Run's cpu and memory limits as quantities, with Cloud Run's defaults when absent", () => {
    expect(needOf({ cpu: '4', memory: '16Gi' }, 'run.cpu')).toBe(40);
    expect(needOf({ cpu: '500m', memory: '16Gi' }, 'run.cpu')).toBe(5);
    expect(needOf({ cpu: '1', memory: '16Gi' }, 'run.memory')).toBe(160);
    expect(needOf({ cpu: '1', memory: '2G' }, 'run.memory')).toBe(Math.ceil(10 * (2e9 / 2 ** 30)));
    expect(needOf({}, 'run.cpu')).toBe(10);
    expect(needOf({}, 'run.memory')).toBe(5);
  });

  it('refuses a limit it cannot read, naming the resource and field, instead of assuming a default', () => {
    expect(() => requiredQuotas(runService({ cpu: '1', memory: 'lots' }))).toThrow(
      'projects/p/locations/us-central1/services/s: template.containers[0].resources.limits.memory: cannot read memory "lots"',
    );
    expect(() => requiredQuotas(runService({ cpu: 'two', memory: '1Gi' }))).toThrow(/limits\.cpu: cannot read CPU "two"/);
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
