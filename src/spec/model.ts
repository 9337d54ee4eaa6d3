import { regionConfig } from './regions.js';
import type { Spec, TierName } from './schema.js';

/** Questions about a validated spec that the expansion, cost model and quotas all ask. */

/** Every region in spec order: tier 1 then tier 2 (the order fixes subnet indexes). */
export function allRegions(spec: Spec): string[] {
  return [...spec.regions.tier1, ...spec.regions.tier2];
}

export function tierOf(spec: Spec, region: string): TierName {
  return spec.regions.tier1.includes(region) ? 'tier1' : 'tier2';
}

/**
 * The tier-1 region whose Cloud SQL primary a region's data follows: itself in tier 1;
 * for tier 2, regions.primaryFor, else the seed's nearest-primary map. Undefined when
 * neither names a tier-1 region of this spec (validation reports it).
 */
export function primaryOf(spec: Spec, region: string): string | undefined {
  if (spec.regions.tier1.includes(region)) return region;
  const mapped = spec.regions.primaryFor?.[region] ?? regionConfig().nearestPrimary[region];
  if (mapped && spec.regions.tier1.includes(mapped)) return mapped;
  // A one-primary topology needs no map: every replica follows the only primary.
  if (!spec.regions.primaryFor?.[region] && spec.regions.tier1.length === 1) return spec.regions.tier1[0];
  return undefined;
}
