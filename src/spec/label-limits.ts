/**
 * GCP's label rules beyond each key and value (the schema checks those): at most 64 labels
 * on a resource, counting the ones ruvector adds itself, and no user label under a key
 * ruvector sets, which would be overwritten without a word.
 * https://cloud.google.com/compute/docs/labeling-resources#requirements
 */
import type { Check } from './check.js';
import { formatPath } from './errors.js';
import { FORCE_DESTROY_LABEL, MANAGED_BY_LABEL, TOPOLOGY_LABEL } from '../topology/kinds.js';

export const MAX_LABELS = 64;

const OWNERSHIP = [MANAGED_BY_LABEL, TOPOLOGY_LABEL];
/** Keys ruvector writes on some resources: `tier` (Cloud Run, Redis, SQL, buckets), `region` (per-region secrets). */
const SET_BY_RUVECTOR: Record<string, string> = {
  [MANAGED_BY_LABEL]: 'marks every resource ruvector owns',
  [TOPOLOGY_LABEL]: 'names the topology on every resource',
  [FORCE_DESTROY_LABEL]: 'records storage.vectors.forceDestroy on the vector buckets',
  tier: "holds each region's tier on services, Redis, Cloud SQL and buckets",
  region: 'holds the region on per-region secrets',
};

interface LabelSet {
  path: PropertyKey[];
  labels: Record<string, string>;
  what: string;
}

export const checkLabels: Check = (spec, out, written) => {
  const meta: LabelSet = { path: ['metadata', 'labels'], labels: spec.metadata.labels, what: 'Cloud Run service' };
  const redis: LabelSet = { path: ['redis', 'labels'], labels: spec.redis.labels, what: 'Redis instance' };
  const vectors: LabelSet = { path: ['storage', 'vectors', 'labels'], labels: spec.storage.vectors.labels, what: 'vector bucket' };
  for (const m of [meta, redis, vectors]) {
    for (const key of Object.keys(m.labels)) {
      const why = SET_BY_RUVECTOR[key];
      if (why) out.push({ path: [...m.path, key], atKey: true, message: `label "${key}" is set by ruvector (it ${why}); use another key` });
    }
  }
  // What each labelled resource carries: metadata.labels, its own map, and ruvector's keys.
  const resources: { own?: LabelSet; adds: string[]; what: string }[] = [
    { adds: [...OWNERSHIP, 'tier'], what: meta.what },
    { own: redis, adds: [...OWNERSHIP, 'tier'], what: redis.what },
    { own: vectors, adds: [...OWNERSHIP, 'tier', ...(spec.storage.vectors.forceDestroy ? [FORCE_DESTROY_LABEL] : [])], what: vectors.what },
  ];
  for (const r of resources) {
    const keys = new Set([...Object.keys(meta.labels), ...Object.keys(r.own?.labels ?? {}), ...r.adds]);
    if (keys.size <= MAX_LABELS) continue;
    // Point at the map the user wrote: their own labels, or metadata.labels when the other is a default.
    const at = r.own && written.has(r.own.path) ? r.own : meta;
    const other = at === meta ? r.own : meta;
    const also = other ? `${formatPath(other.path)}${written.has(other.path) ? '' : ' (its default)'} and ` : '';
    out.push({
      path: at.path,
      message: `${Object.keys(at.labels).length} labels here: with ${also}the ${r.adds.length} ruvector adds (${r.adds.join(', ')}), a ${r.what} would carry ${keys.size}; GCP allows at most ${MAX_LABELS} per resource`,
    });
    // One report: once metadata.labels is over, every resource that includes it is too.
    return;
  }
};
