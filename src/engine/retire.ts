import type { Spec } from '../spec/index.js';
import { expandTopology, regionOf } from '../topology/index.js';
import type { Resource } from './types.js';

export class RetireError extends Error {}

/**
 * The spec as it would read without `regions`: what the shared global resources must look
 * like once those regions are gone (the URL map stops routing to their backends, so GCP lets
 * the backends be deleted). Undefined when no tier-1 region would remain: then the globals
 * go too. Throws when a remaining tier-2 region replicates a database being destroyed.
 */
export function specWithout(spec: Spec, all: Resource[], regions: string[]): Spec | undefined {
  const gone = new Set(regions);
  const tier1 = spec.regions.tier1.filter((r) => !gone.has(r));
  if (tier1.length === 0) return undefined;
  const sql = all.filter((r) => r.kind === 'sql.Instance');
  for (const r of sql) {
    if (!r.region || gone.has(r.region) || typeof r.spec.masterInstanceName !== 'string') continue;
    const masterId = r.spec.masterInstanceName.split(':').pop();
    const master = sql.find((m) => m.spec.name === masterId);
    if (master?.region && gone.has(master.region)) {
      throw new RetireError(`--regions: ${r.region}'s database replicates ${master.region}'s primary; destroy ${r.region} too, or point it at another primary (regions.primaryFor) and deploy first`);
    }
  }
  const primaryFor = spec.regions.primaryFor ? Object.fromEntries(Object.entries(spec.regions.primaryFor).filter(([k]) => !gone.has(k))) : undefined;
  return { ...spec, regions: { ...spec.regions, tier1, tier2: spec.regions.tier2.filter((r) => !gone.has(r)), ...(primaryFor ? { primaryFor } : {}) } };
}

/**
 * The global resources that route to regional ones and so must change before those can go:
 * the URL maps, as the remaining topology has them.
 */
export function reroutedGlobals(rest: Spec): Resource[] {
  return expandTopology(rest).resources.filter((r) => regionOf(r) === undefined && r.kind === 'compute.UrlMap');
}
