import { UsageSchema } from '../spec/usage.js';
import { CostError } from './errors.js';
import type { PriceTable } from './prices.js';
import type { CostInput, Scenario } from './types.js';

/** Volumes every estimate needs; the rest default to zero. */
export const REQUIRED_USAGE = {
  requestsPerMonth: 'cost per million requests, Cloud CDN lookups and Cloud Armor requests',
  concurrentStreamsTarget: 'cost per concurrent stream and the capacity check',
  internetEgressGb: 'the internet egress line',
  lbDataProcessedGb: 'the load balancer line',
  cdnCacheEgressGb: 'the Cloud CDN line',
  storageGb: 'the Cloud Storage line',
  logVolumeGb: 'the Cloud Logging line',
} as const;

/** Every problem a user can cause is reported here, naming the field, before any pricing. */
export function validateInput(input: CostInput, table: PriceTable, scenario: Scenario): void {
  const parsed = UsageSchema.safeParse(input.usage ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CostError(`usage.${issue.path.join('.')}`, issue.message);
  }
  if (!input.usage) throw new CostError('usage', 'missing: the spec needs a usage: section for a cost estimate');
  for (const [field, why] of Object.entries(REQUIRED_USAGE)) {
    if (input.usage[field as keyof typeof REQUIRED_USAGE] === undefined) {
      throw new CostError(`usage.${field}`, `missing: needed for ${why}`);
    }
  }
  if (scenario === 'burst' && !input.usage.burst) {
    throw new CostError('usage.burst', 'missing: --scenario burst needs {multiplier, hours, eventsPerMonth}');
  }
  if (input.regions.length === 0) throw new CostError('regions', 'no regions: nothing to price');
  const known = table.runPricingTiers ? new Set([...table.runPricingTiers.tier1, ...table.runPricingTiers.tier2]) : undefined;
  const seen = new Set<string>();
  for (const r of input.regions) {
    const field = `regions.${r.tier}`;
    if (known && !known.has(r.region)) {
      throw new CostError(field, `unknown region "${r.region}" (price table "${table.name}" prices ${known.size} Cloud Run regions)`);
    }
    if (seen.has(r.region)) throw new CostError(field, `region "${r.region}" appears twice`);
    seen.add(r.region);
    if (r.run) {
      for (const k of ['cpu', 'memoryGib', 'concurrency'] as const) {
        if (!(r.run[k] > 0)) throw new CostError(`tiers.${r.tier}.run.${k}`, `must be positive (got ${r.run[k]} in ${r.region})`);
      }
      if (!(r.run.minInstances >= 0) || !(r.run.maxInstances >= r.run.minInstances)) {
        throw new CostError(`tiers.${r.tier}.run`, `needs 0 <= minInstances <= maxInstances (got ${r.run.minInstances}..${r.run.maxInstances} in ${r.region})`);
      }
    }
    if (r.redis && !(r.redis.memorySizeGb > 0)) throw new CostError(`tiers.${r.tier}.redis.memorySizeGb`, `must be positive (got ${r.redis.memorySizeGb} in ${r.region})`);
  }
}
