import type { BurstUsage, UsageVolumes } from '../spec/usage.js';
import { armorLine, cdnLine, egressLine, fmt, lbLine, runPricingTier, type Item, type LineContext } from './lines.js';
import { Pricer } from './pricer.js';
import type { LineItem } from './types.js';

/**
 * The seed's section 8.2: what one burst event adds, priced per event and amortised over
 * the events a month. Compute: the extra instances the autoscaler adds (capped at
 * maxInstances) for the event's hours. Networking: the extra traffic the event carries,
 * priced at the margin of the tiered rates. Redis capacity is fixed unless the usage adds some.
 */
const SECONDS_PER_HOUR = 3600;

export function burstRunLine(ctx: LineContext, burst: BurstUsage): Item[] {
  const p = new Pricer(ctx.table, 'burst.run');
  let perEvent = 0;
  let extraTotal = 0;
  let wanted = 0;
  let capped = 0;
  let key = '';
  let entrySeen: ReturnType<Pricer['entry']>['entry'] | undefined;
  for (const r of ctx.input.regions) {
    if (!r.run) continue;
    const avg = ctx.averageInstances.get(r.region) ?? 0;
    const peak = Math.min(avg * burst.multiplier, r.run.maxInstances);
    wanted += avg * burst.multiplier;
    capped += peak;
    const extra = Math.max(0, peak - avg);
    extraTotal += extra;
    const seconds = extra * burst.hours * SECONDS_PER_HOUR;
    for (const [component, per] of [['cpu', r.run.cpu], ['memory', r.run.memoryGib]] as const) {
      const found = p.entry(`run.${r.run.billing}.${component}`);
      if (found.entry.notCharged) continue;
      if (!entrySeen) ({ key, entry: entrySeen } = found);
      const mult = found.entry.tier2Multiplier && runPricingTier(ctx.table, r.region) === 2 ? found.entry.tier2Multiplier : 1;
      perEvent += seconds * per * (found.entry.rate ?? 0) * mult;
    }
  }
  if (wanted > capped) {
    ctx.warnings.push(`burst: ${burst.multiplier}x of ${fmt(wanted / burst.multiplier)} average instances is ${fmt(wanted)}; maxInstances caps the peak at ${fmt(capped)}`);
  }
  if (!entrySeen) return [];
  return [p.item(key, entrySeen, {
    component: 'extra instances',
    description: `${fmt(extraTotal)} extra instances x ${burst.hours} h per event (peak capped at maxInstances)`,
    quantity: burst.eventsPerMonth, unit: 'event', rate: perEvent, amount: perEvent * burst.eventsPerMonth,
  })];
}

export function burstRedisLine(ctx: LineContext, burst: BurstUsage): Item[] {
  const p = new Pricer(ctx.table, 'burst.redis');
  const first = ctx.input.regions.find((r) => r.redis);
  if (!first?.redis) return [];
  const { key, entry } = p.entry(`redis.${first.redis.tier}`, ...Object.keys(ctx.table.entries).filter((k) => k.startsWith(`redis.${first.redis!.tier}.`)));
  const extraGb = burst.redisExtraGb ?? 0;
  const perEvent = extraGb * burst.hours * (entry.rate ?? 0);
  return [p.item(key, entry, {
    component: 'extra capacity',
    description: extraGb > 0 ? `${fmt(extraGb)} GB added for ${burst.hours} h per event` : 'Memorystore capacity is fixed: a burst adds none (usage.burst.redisExtraGb)',
    quantity: burst.eventsPerMonth, unit: 'event', rate: perEvent, amount: perEvent * burst.eventsPerMonth,
  })];
}

const sum = (items: Item[]): number => items.reduce((s, i) => s + (i?.amount ?? 0), 0);

export function burstNetworkingLine(ctx: LineContext, burst: BurstUsage): Item[] {
  const p = new Pricer(ctx.table, 'burst.networking');
  const share = (burst.hours / ctx.table.hoursPerMonth) * (burst.multiplier - 1);
  const v = ctx.volumes;
  const scale = (x: number | undefined): number | undefined => (x === undefined ? undefined : x * (1 + share));
  const scaled: UsageVolumes = {
    ...v,
    internetEgressGb: scale(v.internetEgressGb),
    lbDataProcessedGb: scale(v.lbDataProcessedGb),
    cdnCacheEgressGb: scale(v.cdnCacheEgressGb),
    requestsPerMonth: scale(v.requestsPerMonth),
    cdnCacheLookupsPerMonth: scale(v.cdnCacheLookupsPerMonth),
    armorRequestsPerMonth: scale(v.armorRequestsPerMonth),
  };
  const quiet = { ...ctx, warnings: [] as string[] };
  const calcs = [egressLine, lbLine, cdnLine, armorLine];
  const base = calcs.reduce((s, c) => s + sum(c(quiet)), 0);
  const peak = calcs.reduce((s, c) => s + sum(c({ ...quiet, volumes: scaled })), 0);
  const perEvent = peak - base;
  const { key, entry } = p.entry('egress.internet');
  const item: LineItem = p.item(key, entry, {
    component: 'extra traffic',
    description: `${burst.multiplier}x traffic for ${burst.hours} h per event (+${fmt(share * 100, 2)}% of the month's egress, LB, CDN and Armor volume), priced at the margin`,
    quantity: burst.eventsPerMonth, unit: 'event', rate: perEvent, amount: perEvent * burst.eventsPerMonth,
  });
  item.source = `marginal price of the egress, lb, cdn and armor lines in table ${ctx.table.name}`;
  return [item];
}
