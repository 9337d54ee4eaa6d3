import { cidrSubnet, narrow } from '../spec/cidr.js';
import { allRegions, primaryOf, tierOf } from '../spec/model.js';
import { fill, usesPrimaryRegion, usesRegion, type TemplateVars } from '../spec/names.js';
import { regionShort } from '../spec/regions.js';
import type { Spec, TierName } from '../spec/schema.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, ownershipMarker, TOPOLOGY_LABEL, type ResourceKind } from './kinds.js';
import type { Resource } from './types.js';

/** Per-region facts every builder needs. */
export interface RegionInfo {
  region: string;
  index: number; // position in tier1 ++ tier2: fixes the subnet layout
  tier: TierName;
  short: string;
  primary: string; // the tier-1 region whose primary/bucket this region follows
}

/** Shared state while expanding: the spec, naming helpers, and the growing resource list. */
export class Ctx {
  readonly p: string;
  readonly regions: RegionInfo[];
  readonly resources: Resource[] = [];

  constructor(readonly spec: Spec) {
    this.p = spec.project;
    this.regions = allRegions(spec).map((region, index) => ({
      region,
      index,
      tier: tierOf(spec, region),
      short: regionShort(region),
      // validation guarantees a primary; fall back to self only for unvalidated input
      primary: primaryOf(spec, region) ?? region,
    }));
  }

  vars(r?: RegionInfo): TemplateVars {
    if (!r) return { project: this.p };
    return {
      project: this.p,
      region: r.region,
      regionShort: r.short,
      primaryRegion: r.primary,
      tier: r.tier,
      sqlInstance: this.sqlInstanceId(r),
    };
  }

  fill(template: string, r?: RegionInfo): string {
    return fill(template, this.vars(r));
  }

  info(region: string): RegionInfo {
    const r = this.regions.find((x) => x.region === region);
    if (!r) throw new Error(`region ${region} is not in the spec`);
    return r;
  }

  tier1(): RegionInfo[] {
    return this.regions.filter((r) => r.tier === 'tier1');
  }

  add(r: Resource): Resource {
    this.resources.push(r);
    return r;
  }

  /** Ownership labels plus the spec's extra labels, for kinds that have labels. */
  labels(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.spec.metadata.labels,
      ...extra,
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [TOPOLOGY_LABEL]: this.spec.metadata.name,
    };
  }

  /** The description marker, for kinds that have no labels. */
  marker(): string {
    return ownershipMarker(this.spec.metadata.name);
  }

  // ---- canonical names ----
  global(collection: string, name: string): string {
    return `projects/${this.p}/global/${collection}/${name}`;
  }
  regional(region: string, collection: string, name: string): string {
    return `projects/${this.p}/regions/${region}/${collection}/${name}`;
  }
  located(region: string, collection: string, name: string): string {
    return `projects/${this.p}/locations/${region}/${collection}/${name}`;
  }

  networkName(): string {
    return this.global('networks', this.spec.network.name);
  }

  sqlInstanceId(r: RegionInfo): string {
    const s = this.spec.sql;
    const vars = { project: this.p, region: r.region, regionShort: r.short, primaryRegion: r.primary, tier: r.tier };
    return fill(r.tier === 'tier1' ? s.primaryName : s.replicaName, vars);
  }
  sqlInstanceName(r: RegionInfo): string {
    return `projects/${this.p}/instances/${this.sqlInstanceId(r)}`;
  }

  serviceAccountEmail(r: RegionInfo): string {
    return `${this.fill(this.spec.iam.serviceAccount.accountId, r)}@${this.p}.iam.gserviceaccount.com`;
  }
  serviceAccountName(r: RegionInfo): string {
    return `projects/${this.p}/serviceAccounts/${this.serviceAccountEmail(r)}`;
  }

  runServiceName(r: RegionInfo): string {
    return this.located(r.region, 'services', this.spec.service.name);
  }

  /** Secret id for a secret template as seen from a region (per-region, per-primary or global). */
  secretId(template: string, r: RegionInfo): string {
    return this.fill(template, r);
  }
  secretName(id: string): string {
    return `projects/${this.p}/secrets/${id}`;
  }

  // ---- the seed's address layout ----
  subnetRange(r: RegionInfo): string {
    const s = this.spec.network.subnets;
    return s.overrides?.[r.region]?.ipCidrRange ?? cidrSubnet(s.baseCidr, s.newBits, r.index) ?? '';
  }
  secondaryRanges(r: RegionInfo): { rangeName: string; ipCidrRange: string }[] {
    const s = this.spec.network.subnets;
    const explicit = s.overrides?.[r.region]?.secondaryRanges;
    if (explicit) return Object.entries(explicit).map(([rangeName, ipCidrRange]) => ({ rangeName, ipCidrRange }));
    return Object.entries(s.secondaryRanges).map(([rangeName, offset]) => ({
      rangeName,
      ipCidrRange: cidrSubnet(s.baseCidr, s.newBits, r.index + offset) ?? '',
    }));
  }
  connectorRange(r: RegionInfo): string {
    const c = this.spec.network.connector;
    const pinned = c.overrides?.[r.region];
    if (pinned) return pinned;
    const block = cidrSubnet(c.baseCidr, c.newBits, r.index);
    return block ? (narrow(block, 28) ?? '') : '';
  }
}

export { usesPrimaryRegion, usesRegion };

export function res(
  kind: ResourceKind,
  name: string,
  spec: Record<string, unknown>,
  dependsOn: string[],
  extra: { region?: string; protect?: boolean; homeRegion?: string; after?: string[] } = {},
): Resource {
  // `after`: order-only predecessors (see Resource.orderAfter); they are edges like any other.
  const after = (extra.after ?? []).filter((a) => !dependsOn.includes(a));
  const r: Resource = { kind, name, spec, dependsOn: [...new Set([...dependsOn, ...after])] };
  if (after.length) r.orderAfter = [...new Set(after)];
  if (extra.region) r.region = extra.region;
  if (extra.protect) r.protect = true;
  if (extra.homeRegion) r.homeRegion = extra.homeRegion;
  return r;
}
