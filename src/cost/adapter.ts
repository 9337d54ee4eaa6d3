import { allRegions, tierOf, type Spec } from '../spec/index.js';
import { CostError } from './errors.js';
import { cpuCores, memoryGiB, QuantityError } from '../util/quantity.js';
import type { CostInput, RegionInput, SqlShape } from './types.js';

/**
 * Spec -> CostInput: the only module of the cost model that knows the spec's shape.
 * Everything here is a fact the bill depends on (instance shapes, sizes, counts).
 */

/** A quantity read by `read`, its error reported against the spec field it came from. */
function quantity(value: string, field: string, read: (q: string) => number): number {
  try {
    return read(value);
  } catch (e) {
    if (e instanceof QuantityError) throw new CostError(field, e.message);
    throw e;
  }
}

/** Kubernetes CPU quantity in cores: "4", "0.5", "1000m". */
export function parseCpu(value: string, field: string): number {
  return quantity(value, field, cpuCores);
}

/** Kubernetes memory quantity in GiB: "16Gi", "512Mi", "2G". */
export function parseMemoryGib(value: string, field: string): number {
  return quantity(value, field, memoryGiB);
}

/** Cloud SQL machine tier -> vCPU and memory (GB). Shared-core tiers are priced per instance-hour. */
export function parseSqlTier(tier: string, field: string): { vcpu: number; memoryGb: number; sharedCore?: string } {
  if (tier === 'db-f1-micro' || tier === 'db-g1-small') return { vcpu: 0, memoryGb: 0, sharedCore: tier };
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (custom) return { vcpu: Number(custom[1]), memoryGb: Number(custom[2]) / 1024 };
  const std = /^db-n1-(standard|highmem)-(\d+)$/.exec(tier);
  if (std) {
    const vcpu = Number(std[2]);
    return { vcpu, memoryGb: vcpu * (std[1] === 'standard' ? 3.75 : 6.5) };
  }
  throw new CostError(field, `cannot price Cloud SQL tier "${tier}" (known: db-custom-<vCPU>-<MB>, db-n1-standard-N, db-n1-highmem-N, db-f1-micro, db-g1-small)`);
}

function armorRules(spec: Spec): number {
  const a = spec.armor;
  // The default rule, then each rule the deploy adds (empty deny/geo lists are left out).
  return 1 + 1 + (a.denyIps.ranges.length > 0 ? 1 : 0) + (a.sqli.enabled ? 1 : 0) + (a.xss.enabled ? 1 : 0) + (a.geo.denyRegionCodes.length > 0 ? 1 : 0);
}

function secretCount(spec: Spec): number {
  const regions = allRegions(spec).length;
  return spec.secrets.reduce((n, s) => {
    if (s.name.includes('${region}') || s.name.includes('${regionShort}')) return n + regions;
    if (s.name.includes('${primaryRegion}')) return n + spec.regions.tier1.length;
    return n + 1;
  }, 0);
}

export function costInputFromSpec(spec: Spec): CostInput {
  const svc = spec.service;
  const cpu = parseCpu(svc.resources.limits.cpu, 'service.resources.limits.cpu');
  const memoryGib = parseMemoryGib(svc.resources.limits.memory, 'service.resources.limits.memory');
  const connectorType = spec.network.connector.machineType ?? 'e2-micro';
  // A connector runs one instance per 100 Mbps of minimum throughput, two at least.
  const connectorMin = Math.max(2, Math.ceil(spec.network.connector.minThroughput / 100));

  const regions: RegionInput[] = allRegions(spec).map((region) => {
    const tier = tierOf(spec, region);
    const sizing = spec.tiers[tier];
    const shape = parseSqlTier(sizing.sql.tier, `tiers.${tier}.sql.tier`);
    const primary = tier === 'tier1';
    const sql: SqlShape = {
      name: (primary ? spec.sql.primaryName : spec.sql.replicaName).replaceAll('${region}', region),
      role: primary ? 'primary' : 'replica',
      vcpu: shape.vcpu, memoryGb: shape.memoryGb, sharedCore: shape.sharedCore,
      ha: sizing.sql.availabilityType === 'REGIONAL',
      diskGb: spec.sql.diskSizeGb,
    };
    return {
      region, tier,
      run: {
        cpu, memoryGib, concurrency: svc.concurrency,
        minInstances: sizing.run.minInstances, maxInstances: sizing.run.maxInstances,
        billing: svc.cpuThrottling ? 'request' : 'instance',
      },
      redis: { tier: spec.redis.tier, memorySizeGb: sizing.redis.memorySizeGb },
      sql: [sql],
      buckets: primary
        ? [{ name: spec.storage.vectors.name.replaceAll('${region}', region), location: region, storageClass: spec.storage.vectors.storageClass }]
        : [],
      connector: { minInstances: connectorMin, machineType: connectorType },
    };
  });

  const lb = spec.loadBalancer;
  const subscriptions = spec.pubsub.topics.filter((t) => t.subscription).length * regions.length;
  return {
    name: spec.metadata.name,
    regions,
    forwardingRules: lb.enabled ? 1 + (lb.httpRedirect ? 1 : 0) : 0,
    armor: spec.armor.enabled ? { policies: 1, rules: armorRules(spec) } : { policies: 0, rules: 0 },
    pubsub: { topics: spec.pubsub.topics.length, subscriptions },
    secrets: { secrets: secretCount(spec), versionsPerSecret: 1, locations: 1 },
    usage: spec.usage ?? {},
  };
}
