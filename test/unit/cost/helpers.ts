import type { Usage } from '../../../src/spec/usage.js';
import type { CostInput, RegionInput } from '../../../src/cost/types.js';

/** Volumes every estimate needs, all zero: tests set only what they look at. */
export const ZERO_USAGE: Usage = {
  requestsPerMonth: 0, concurrentStreamsTarget: 0, internetEgressGb: 0, lbDataProcessedGb: 0,
  cdnCacheEgressGb: 0, storageGb: 0, logVolumeGb: 0,
};

export function region(name: string, patch: Partial<RegionInput> = {}): RegionInput {
  return { region: name, tier: 'tier1', sql: [], buckets: [], ...patch };
}

/** A one-region topology with nothing in it but what a test adds. */
export function input(patch: Partial<CostInput> = {}, usage: Usage = {}): CostInput {
  return {
    name: 't',
    regions: [region('us-central1')],
    forwardingRules: 0,
    armor: { policies: 0, rules: 0 },
    pubsub: { topics: 0, subscriptions: 0 },
    secrets: { secrets: 0, versionsPerSecret: 1, locations: 1 },
    ...patch,
    usage: { ...ZERO_USAGE, ...usage },
  };
}
