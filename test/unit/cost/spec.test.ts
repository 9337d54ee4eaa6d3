import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { costInputFromSpec, parseCpu, parseMemoryGib, parseSqlTier } from '../../../src/cost/adapter.js';
import { estimate } from '../../../src/cost/model.js';
import { loadPriceTable } from '../../../src/cost/prices.js';
import { parseSpec } from '../../../src/spec/index.js';
import { SEED_USAGE, seedInput, TIER1, TIER2 } from './seed-topology.js';

/** A spec written the way a user would, relying on the schema's seed defaults. */
function seedSpecText(usage: unknown = SEED_USAGE): string {
  // null: no usage section at all
  return stringify({
    ...(usage === null ? {} : { usage }),
    apiVersion: 'ruvector.dev/v1alpha1',
    kind: 'Topology',
    metadata: { name: 'ruvector-production' },
    project: 'ruvector-prod',
    regions: { tier1: TIER1, tier2: TIER2 },
    service: { image: 'gcr.io/ruvector-prod/ruvector:v1.0.0' },
  });
}

describe('Spec -> CostInput', () => {
  const { spec } = parseSpec(seedSpecText(), 'seed.yaml');
  const inp = costInputFromSpec(spec);

  it("reads the seed's shapes from a spec", () => {
    const expected = seedInput();
    expect(inp.regions.map((r) => [r.region, r.tier, r.run, r.redis])).toEqual(expected.regions.map((r) => [r.region, r.tier, r.run, r.redis]));
    expect(inp.regions.map((r) => r.sql.map((s) => [s.role, s.vcpu, s.memoryGb, s.ha, s.diskGb]))).toEqual(
      expected.regions.map((r) => r.sql.map((s) => [s.role, s.vcpu, s.memoryGb, s.ha, s.diskGb])),
    );
    expect(inp.regions.flatMap((r) => r.buckets.map((b) => b.location))).toEqual(TIER1);
    expect(inp.forwardingRules).toBe(2);
    expect(inp.armor.policies).toBe(1);
    expect(inp.regions.every((r) => r.connector?.minInstances === 2 && r.connector.machineType === 'e2-micro')).toBe(true);
  });

  it('prices the same as the hand-built seed topology', () => {
    // Armor and secrets are counted from the spec: the default policy has 4 rules (empty
    // deny and geo lists are left out) and secrets are counted per region / primary.
    expect(inp.armor.rules).toBe(4);
    expect(inp.secrets.secrets).toBe(15 + 1 + 5 + 1); // redis hosts, db user, db passwords, the API key
    for (const rates of ['seed', 'list']) {
      const table = loadPriceTable(rates);
      const fromSpec = estimate(inp, table).lines.filter((l) => l.line !== 'armor' && l.line !== 'secrets');
      const byHand = estimate(seedInput(), table).lines.filter((l) => l.line !== 'armor' && l.line !== 'secrets');
      expect(fromSpec.map((l) => [l.line, l.amount.toFixed(6)])).toEqual(byHand.map((l) => [l.line, l.amount.toFixed(6)]));
    }
  });

  it('reads CPU, memory and Cloud SQL tiers', () => {
    expect(parseCpu('4', 'f')).toBe(4);
    expect(parseCpu('500m', 'f')).toBe(0.5);
    expect(parseMemoryGib('16Gi', 'f')).toBe(16);
    expect(parseMemoryGib('512Mi', 'f')).toBe(0.5);
    expect(parseSqlTier('db-custom-4-16384', 'f')).toEqual({ vcpu: 4, memoryGb: 16 });
    expect(parseSqlTier('db-custom-1-3840', 'f')).toEqual({ vcpu: 1, memoryGb: 3.75 });
    expect(parseSqlTier('db-n1-standard-2', 'f')).toEqual({ vcpu: 2, memoryGb: 7.5 });
    expect(() => parseSqlTier('db-perf-optimized-N-8', 'tiers.tier1.sql.tier')).toThrow(/tiers\.tier1\.sql\.tier.*db-perf-optimized-N-8/);
    expect(() => parseMemoryGib('lots', 'service.resources.limits.memory')).toThrow(/service\.resources\.limits\.memory/);
  });

  it('needs the usage section for an estimate, naming the missing field', () => {
    const { spec: bare } = parseSpec(seedSpecText(null), 'bare.yaml');
    expect(() => estimate(costInputFromSpec(bare), loadPriceTable('list'))).toThrow(/usage\.requestsPerMonth: missing/);
  });
});

