import type { UsageVolumes } from '../spec/usage.js';
import { entryAmount, tieredAmount, type PriceEntry, type PriceTable } from './prices.js';
import { CostError } from './errors.js';
import { fmt } from './format.js';
import { Pricer } from './pricer.js';
import type { CostInput, LineItem, RegionInput } from './types.js';

/**
 * One calculator per line of the seed's section 8.1 (plus Pub/Sub, which it leaves out).
 * Each is a pure function of the normalised input, the effective volumes and a price
 * table, and returns priced items; the components a table marks notCharged are skipped.
 */
export interface LineContext {
  input: CostInput;
  table: PriceTable;
  volumes: UsageVolumes;
  /** Cloud Run instances running on average, per region. */
  averageInstances: Map<string, number>;
  warnings: string[];
}

/** A calculator's result; undefined where the table does not charge a component. */
export type Item = LineItem | undefined;

const SECONDS_PER_HOUR = 3600;
const GIB_PER_TIB = 1024;

export function runPricingTier(table: PriceTable, region: string): 1 | 2 {
  return table.runPricingTiers?.tier2.includes(region) ? 2 : 1;
}

/** The price table's key for one Cloud Run billing component ('run.instance.cpu', 'run.request.memory', ...). */
export const runPriceKey = (billing: 'instance' | 'request', component: 'cpu' | 'memory' | 'requests'): string => `run.${billing}.${component}`;

/** A rate in one region: the region's own rate, else the Cloud Run tier-2 multiplier on the base rate, else the base rate. */
export function regionalRate(table: PriceTable, entry: PriceEntry, region: string | undefined): { rate: number; note?: string } {
  const base = entry.rate ?? 0;
  if (region && entry.regionRates?.[region] !== undefined) return { rate: entry.regionRates[region]!, note: `${region} rate` };
  if (region && entry.tier2Multiplier && runPricingTier(table, region) === 2) {
    return { rate: base * entry.tier2Multiplier, note: `Cloud Run tier-2 region x${entry.tier2Multiplier}` };
  }
  return { rate: base };
}

export function runLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'run');
  const items: Item[] = [];
  const freeBy = new Map<string, { key: string; entry: PriceEntry; used: number }>();
  for (const r of ctx.input.regions) {
    if (!r.run) continue;
    const avg = ctx.averageInstances.get(r.region) ?? 0;
    const seconds = avg * p.hours * SECONDS_PER_HOUR;
    const mode = r.run.billing;
    const parts: { component: 'cpu' | 'memory'; perInstance: number; unit: string; what: string }[] = [
      { component: 'cpu', perInstance: r.run.cpu, unit: 'vCPU-second', what: 'vCPU' },
      { component: 'memory', perInstance: r.run.memoryGib, unit: 'GiB-second', what: 'GiB' },
    ];
    for (const part of parts) {
      const { key, entry } = p.entry(runPriceKey(mode, part.component));
      if (entry.notCharged) continue;
      const quantity = seconds * part.perInstance;
      const { rate, note } = regionalRate(ctx.table, entry, r.region);
      const hoursQ = quantity / SECONDS_PER_HOUR;
      items.push(p.item(key, entry, {
        component: part.component, region: r.region,
        description: `${fmt(avg, 1)} avg instances x ${part.perInstance} ${part.what} x ${p.hours} h = ${fmt(hoursQ)} ${part.unit.replace('-second', '-h')} (${mode}-based billing)`,
        quantity, unit: part.unit, rate, amount: quantity * rate,
        note: [mode === 'instance' ? 'instance-based billing (CPU always allocated)' : 'request-based billing', note].filter(Boolean).join('; '),
      }));
      if (entry.free) {
        const f = freeBy.get(key) ?? { key, entry, used: 0 };
        f.used += quantity;
        freeBy.set(key, f);
      }
    }
    if (mode === 'request') {
      const { key, entry } = p.entry(runPriceKey('request', 'requests'));
      if (!entry.notCharged) {
        const share = shareOf(ctx, r.region);
        const requests = ((ctx.volumes.requestsPerMonth ?? 0) * share) / 1e6;
        const { rate } = regionalRate(ctx.table, entry, r.region);
        items.push(p.item(key, entry, {
          component: 'requests', region: r.region, description: `${fmt(share * 100, 1)}% of requests`,
          quantity: requests, unit: entry.unit, rate, amount: requests * rate,
        }));
        if (entry.free) {
          const f = freeBy.get(key) ?? { key, entry, used: 0 };
          f.used += requests;
          freeBy.set(key, f);
        }
      }
    }
  }
  // The free tier is per billing account, not per region: one credit at the base rate.
  for (const f of freeBy.values()) {
    const credited = Math.min(f.entry.free ?? 0, f.used);
    if (credited <= 0) continue;
    const rate = f.entry.rate ?? 0;
    items.push(p.item(f.key, f.entry, {
      component: `${f.key.split('.').pop()} free tier`, description: `${fmt(f.entry.free ?? 0)} ${f.entry.unit} free a month`,
      quantity: -credited, unit: f.entry.unit, rate, amount: -credited * rate,
    }));
  }
  return items;
}

/** Share of region-spread volumes (requests) carried by a region: its share of instances. */
function shareOf(ctx: LineContext, region: string): number {
  let total = 0;
  for (const v of ctx.averageInstances.values()) total += v;
  return total > 0 ? (ctx.averageInstances.get(region) ?? 0) / total : 0;
}

function redisEntry(p: Pricer, table: PriceTable, r: RegionInput, tier: string, sizeGb: number): { key: string; entry: PriceEntry } {
  const bands = Object.entries(table.entries).filter(([key, e]) => key.startsWith(`redis.${tier}.`) && e.band);
  for (const [key, entry] of bands) {
    if (sizeGb > entry.band!.aboveGb && sizeGb <= entry.band!.maxGb) return { key, entry };
  }
  if (bands.length > 0) {
    const max = Math.max(...bands.map(([, e]) => e.band!.maxGb));
    throw new CostError(`tiers.${r.tier}.redis.memorySizeGb`, `${sizeGb} GB in ${r.region} is outside every ${tier} size band of table "${table.name}" (up to ${max} GB)`);
  }
  return p.entry(`redis.${tier}`);
}

export function redisLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'redis');
  const items: Item[] = [];
  for (const r of ctx.input.regions) {
    if (!r.redis) continue;
    const { tier, memorySizeGb } = r.redis;
    if (memorySizeGb > 300) ctx.warnings.push(`${r.region}: Memorystore for Redis instances hold at most 300 GB (spec asks ${memorySizeGb} GB)`);
    const { key, entry } = redisEntry(p, ctx.table, r, tier, memorySizeGb);
    const quantity = memorySizeGb * p.hours;
    const { rate } = regionalRate(ctx.table, entry, r.region);
    const band = entry.band ? `band ${key.split('.').pop()} (>${entry.band.aboveGb}-${entry.band.maxGb} GB) $${entry.rate}/GB-h` : undefined;
    items.push(p.item(key, entry, {
      component: 'capacity', region: r.region, description: `${tier} ${memorySizeGb} GB x ${p.hours} h`,
      quantity, unit: 'GB-hour', rate, amount: quantity * rate, note: band,
    }));
  }
  return items;
}

export function sqlLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'sql');
  const items: Item[] = [];
  for (const r of ctx.input.regions) {
    for (const db of r.sql) {
      const parts: { component: string; key: string; quantity: number; unit: string; desc: string; ha: boolean }[] = db.sharedCore
        ? [{ component: 'instance', key: `sql.shared.${db.sharedCore}`, quantity: p.hours, unit: 'instance-hour', desc: `${db.sharedCore} x ${p.hours} h`, ha: true }]
        : [
          { component: 'vcpu', key: 'sql.vcpu', quantity: db.vcpu * p.hours, unit: 'vCPU-hour', desc: `${db.vcpu} vCPU x ${p.hours} h`, ha: true },
          { component: 'memory', key: 'sql.memory', quantity: db.memoryGb * p.hours, unit: 'GB-hour', desc: `${db.memoryGb} GB x ${p.hours} h`, ha: true },
        ];
      parts.push({ component: 'ssd', key: 'sql.ssd', quantity: db.diskGb, unit: 'GB-month', desc: `${db.diskGb} GB SSD`, ha: true });
      if (db.role === 'primary') {
        const backupGb = ctx.volumes.sqlBackupGb ?? db.diskGb;
        parts.push({ component: 'backups', key: 'sql.backup', quantity: backupGb, unit: 'GB-month', desc: `${backupGb} GB backups`, ha: false });
      }
      for (const part of parts) {
        const { key, entry } = p.entry(part.key);
        if (entry.notCharged) continue;
        const factor = part.ha && db.ha ? entry.haMultiplier ?? 1 : 1;
        const quantity = part.quantity * factor;
        const { rate } = regionalRate(ctx.table, entry, r.region);
        items.push(p.item(key, entry, {
          component: part.component, region: r.region,
          description: `${db.name} (${db.role}${db.ha ? ', HA' : ''}): ${part.desc}${factor !== 1 ? ` x${factor} HA` : ''}`,
          quantity, unit: part.unit, rate, amount: quantity * rate,
          note: factor !== 1 ? `REGIONAL (HA) x${factor}` : undefined,
        }));
      }
    }
  }
  return items;
}

export function storageLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'storage');
  const total = ctx.volumes.storageGb ?? 0;
  const buckets = ctx.input.regions.flatMap((r) => r.buckets.filter((b) => b.storageClass === 'STANDARD'));
  if (buckets.length === 0) {
    const { key, entry } = p.entry('storage.STANDARD');
    return [p.item(key, entry, {
      component: 'standard', description: `${fmt(total)} GB-month (no STANDARD bucket in the spec: base rate)`,
      quantity: total, unit: 'GB-month', rate: entry.rate ?? 0, amount: total * (entry.rate ?? 0),
    })];
  }
  const each = total / buckets.length;
  return buckets.map((b) => {
    const { key, entry } = p.entry(`storage.${b.storageClass}`);
    const { rate, note } = regionalRate(ctx.table, entry, b.location);
    return p.item(key, entry, {
      component: 'standard', region: b.location, description: `${b.name}: ${fmt(each)} GB-month (1/${buckets.length} of usage.storageGb)`,
      quantity: each, unit: 'GB-month', rate, amount: each * rate, note,
    });
  });
}

function tierNote(entry: PriceEntry, quantity: number, unit: string): string | undefined {
  if (!entry.tiers || entry.tiers.length < 2) return undefined;
  const parts = tieredAmount(quantity, entry.tiers).parts.map((t) => `${fmt(t.quantity)} @ $${t.rate}`);
  return `tiered per ${unit}: ${parts.join(' + ')}`;
}

function volumeItem(p: Pricer, key: string, quantity: number, component: string, description: string, extraNote?: string): LineItem | undefined {
  const { entry } = p.entry(key);
  if (entry.notCharged) return undefined;
  const billed = Math.max(0, quantity - (entry.free ?? 0));
  const amount = entryAmount(billed, entry);
  const notes = [entry.free ? `first ${fmt(entry.free)} ${entry.unit} free` : undefined, tierNote(entry, billed, entry.unit), extraNote];
  return p.item(key, entry, {
    component, description, quantity, unit: entry.unit, amount,
    rate: entry.tiers ? (billed > 0 ? amount / billed : entry.tiers[0]!.rate) : entry.rate ?? 0,
    note: notes.filter(Boolean).join('; ') || undefined,
  });
}

export function egressLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'egress');
  const q = ctx.volumes.internetEgressGb ?? 0;
  return [volumeItem(p, 'egress.internet', q, 'internet', `${fmt(q)} GB internet egress (Premium tier, NA/EU)`)];
}

export function lbLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'lb');
  const items: Item[] = [];
  const rules = p.entry('lb.forwardingRule');
  if (!rules.entry.notCharged) {
    const n = ctx.input.forwardingRules;
    const perHour = entryAmount(n, rules.entry);
    items.push(p.item(rules.key, rules.entry, {
      component: 'forwarding rules', description: `${n} global forwarding rules x ${p.hours} h`,
      quantity: n * p.hours, unit: 'rule-hour', amount: perHour * p.hours,
      note: rules.entry.tiers && rules.entry.tiers.length > 1 ? `first ${rules.entry.tiers[1]!.from} at $${rules.entry.tiers[0]!.rate}/h, then $${rules.entry.tiers[1]!.rate}/h` : undefined,
    }));
  }
  const q = ctx.volumes.lbDataProcessedGb ?? 0;
  const data = p.entry('lb.dataProcessed');
  if (!data.entry.notCharged) items.push(volumeItem(p, data.key, q, 'data processed', `${fmt(q)} GB processed (inbound + outbound)`));
  return items;
}

export function cdnLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'cdn');
  const q = ctx.volumes.cdnCacheEgressGb ?? 0;
  const { key, entry } = p.entry('cdn.cacheEgress');
  let negotiated: string | undefined;
  if (entry.negotiatedAbove !== undefined && q > entry.negotiatedAbove) {
    const lastRate = entry.tiers?.[entry.tiers.length - 1]?.rate ?? entry.rate ?? 0;
    negotiated = `above ${fmt(entry.negotiatedAbove / GIB_PER_TIB)} TiB the price is negotiated: ${fmt(q - entry.negotiatedAbove)} GB priced at the last published tier ($${lastRate})`;
    ctx.warnings.push(`Cloud CDN: ${fmt(q)} GB cache egress is above ${fmt(entry.negotiatedAbove / GIB_PER_TIB)} TiB, where Google negotiates the price; the estimate uses the last published tier`);
  }
  const items = [volumeItem(p, key, q, 'cache egress', `${fmt(q)} GB cache egress`, negotiated)];
  const lookups = p.entry('cdn.lookups');
  if (!lookups.entry.notCharged) {
    const n = ctx.volumes.cdnCacheLookupsPerMonth ?? ctx.volumes.requestsPerMonth ?? 0;
    items.push(volumeItem(p, lookups.key, n / 10_000, 'cache lookups', `${fmt(n)} lookups`));
  }
  return items;
}

export function vpcLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'vpc');
  const items: Item[] = [];
  for (const r of ctx.input.regions) {
    if (!r.connector) continue;
    const { key, entry } = p.entry(`vpc.connector.${r.connector.machineType}`);
    if (entry.notCharged) continue;
    const quantity = r.connector.minInstances * p.hours;
    const { rate } = regionalRate(ctx.table, entry, r.region);
    items.push(p.item(key, entry, {
      component: 'connector', region: r.region, description: `${r.connector.minInstances} x ${r.connector.machineType} connector instances x ${p.hours} h`,
      quantity, unit: 'instance-hour', rate, amount: quantity * rate,
    }));
  }
  const nat = ctx.volumes.natDataProcessedGb ?? 0;
  const natEntry = p.entry('vpc.nat.dataProcessed');
  if (!natEntry.entry.notCharged) items.push(volumeItem(p, natEntry.key, nat, 'NAT data processed', `${fmt(nat)} GB through Cloud NAT`));
  return items;
}

export function monitoringLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'monitoring');
  const q = ctx.volumes.monitoringMib ?? 0;
  return [volumeItem(p, 'monitoring.ingest', q, 'metrics', `${fmt(q)} MiB metric data`)];
}

export function loggingLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'logging');
  const q = ctx.volumes.logVolumeGb ?? 0;
  return [volumeItem(p, 'logging.ingest', q, 'ingestion', `${fmt(q)} GB logs ingested`)];
}

export function traceLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'trace');
  const spans = ctx.volumes.traceSpansPerMonth ?? 0;
  return [volumeItem(p, 'trace.spans', spans / 1e6, 'spans', `${fmt(spans)} spans`)];
}

export function armorLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'armor');
  const { policies, rules } = ctx.input.armor;
  const requests = ctx.volumes.armorRequestsPerMonth ?? ctx.volumes.requestsPerMonth ?? 0;
  return [
    volumeItem(p, 'armor.policy', policies, 'policies', `${policies} security policies`),
    volumeItem(p, 'armor.rule', rules, 'rules', `${rules} rules`),
    volumeItem(p, 'armor.requests', requests / 1e6, 'requests', `${fmt(requests)} requests evaluated`),
  ];
}

export function secretsLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'secrets');
  const s = ctx.input.secrets;
  const versions = s.secrets * s.versionsPerSecret * s.locations;
  const accesses = ctx.volumes.secretAccessesPerMonth ?? 0;
  return [
    volumeItem(p, 'secrets.version', versions, 'active versions', `${s.secrets} secrets x ${s.versionsPerSecret} versions x ${s.locations} locations`),
    volumeItem(p, 'secrets.access', accesses / 10_000, 'accesses', `${fmt(accesses)} accesses`),
  ];
}

export function pubsubLine(ctx: LineContext): Item[] {
  const p = new Pricer(ctx.table, 'pubsub');
  const { entry } = p.entry('pubsub.throughput');
  if (entry.notCharged) return [];
  const q = ctx.volumes.pubsubGb ?? 0;
  return [volumeItem(p, 'pubsub.throughput', q, 'throughput', `${fmt(q)} GB published + delivered (${ctx.input.pubsub.topics} topics, ${ctx.input.pubsub.subscriptions} subscriptions)`)];
}

export const LINES: [string, (ctx: LineContext) => Item[]][] = [
  ['run', runLine], ['redis', redisLine], ['sql', sqlLine],
  ['storage', storageLine], ['egress', egressLine],
  ['lb', lbLine], ['cdn', cdnLine], ['vpc', vpcLine],
  ['monitoring', monitoringLine], ['logging', loggingLine], ['trace', traceLine],
  ['armor', armorLine], ['secrets', secretsLine], ['pubsub', pubsubLine],
];

export { fmt };
