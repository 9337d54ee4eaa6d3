import type { Usage } from '../../../src/spec/usage.js';
import type { CostInput, RegionInput } from '../../../src/cost/types.js';

/**
 * The seed's topology (sections 1-7) as a CostInput, built by hand so the model's tests
 * do not depend on the spec loader: 5 tier-1 regions (800-8000 instances, 256 GB Redis,
 * HA Cloud SQL primary, a vector bucket) and 10 tier-2 (100-1000, 128 GB, a replica).
 */
export const TIER1 = ['us-central1', 'europe-west1', 'asia-northeast1', 'asia-southeast1', 'southamerica-east1'];
export const TIER2 = [
  'us-east1', 'us-west1', 'europe-west2', 'europe-west3', 'europe-north1',
  'asia-south1', 'asia-east1', 'australia-southeast1', 'northamerica-northeast1', 'me-west1',
];

export const SEED_USAGE: Usage = {
  requestsPerMonth: 832_000_000_000,
  concurrentStreamsTarget: 500_000_000,
  averageInstances: 5000,
  internetEgressGb: 300_000,
  lbDataProcessedGb: 100_000_000,
  cdnCacheEgressGb: 40_000_000,
  storageGb: 50_000,
  logVolumeGb: 16_000,
  monitoringMib: 9_690,
  traceSpansPerMonth: 5_002_500_000,
  burst: { multiplier: 50, hours: 4, eventsPerMonth: 10 },
  optimized: { commitmentTerm: '1y' },
  overrides: {
    seed: {
      run: { amount: 1_263_000, reason: 'seed 8.1 states $1,263,000' },
      redis: { quantity: 1_401_600, amount: 76_000, reason: 'seed 8.1: 1,920 GB x 730 h, stated $76,000' },
      sql: { amount: 5_500, reason: 'seed 8.1 states $5,500 with no rate' },
      lb: { amount: 420_000, reason: 'seed 8.1: $420,000 for 100 PB, no rate' },
      vpc: { amount: 15_000, reason: 'seed 8.1 states $15,000 with no rate' },
      monitoring: { amount: 2_500, reason: 'seed 8.1' },
      logging: { amount: 8_000, reason: 'seed 8.1' },
      trace: { amount: 1_000, reason: 'seed 8.1' },
      armor: { amount: 10_000, reason: 'seed 8.1' },
      secrets: { amount: 500, reason: 'seed 8.1' },
      'burst.run': { rate: 47_000, reason: 'seed 8.2 cloud_run_burst' },
      'burst.redis': { rate: 1_200, reason: 'seed 8.2 redis_burst' },
      'burst.networking': { rate: 31_000, reason: 'seed 8.2 networking_burst' },
      'savings.compute': { amount: -468_500, reason: 'seed 8.3 compute_optimized $876,000' },
      'savings.networking': { amount: -806_000, reason: 'seed 8.3 networking_optimized $1,829,000' },
    },
  },
};

function region(name: string, tier: 'tier1' | 'tier2'): RegionInput {
  const t1 = tier === 'tier1';
  return {
    region: name,
    tier,
    run: { cpu: 4, memoryGib: 16, minInstances: t1 ? 800 : 100, maxInstances: t1 ? 8000 : 1000, concurrency: 100, billing: 'instance' },
    redis: { tier: 'STANDARD_HA', memorySizeGb: t1 ? 256 : 128 },
    sql: [t1
      ? { name: `ruvector-db-${name}`, role: 'primary', vcpu: 4, memoryGb: 16, ha: true, diskGb: 100 }
      : { name: `ruvector-db-${name}-replica`, role: 'replica', vcpu: 2, memoryGb: 8, ha: false, diskGb: 100 }],
    buckets: t1 ? [{ name: `ruvector-vectors-${name}`, location: name, storageClass: 'STANDARD' }] : [],
    connector: { minInstances: 2, machineType: 'e2-micro' },
  };
}

export function seedInput(usage: Usage = SEED_USAGE): CostInput {
  return {
    name: 'ruvector-production',
    regions: [...TIER1.map((r) => region(r, 'tier1')), ...TIER2.map((r) => region(r, 'tier2'))],
    forwardingRules: 2,
    armor: { policies: 1, rules: 6 },
    pubsub: { topics: 4, subscriptions: 30 },
    secrets: { secrets: 3, versionsPerSecret: 1, locations: 15 },
    usage,
  };
}
