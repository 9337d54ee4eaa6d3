import type { Override, UsageVolumes } from '../spec/usage.js';
import { burstNetworkingLine, burstRedisLine, burstRunLine } from './burst.js';
import { CostError } from './errors.js';
import { fmt, LINES, type Item, type LineContext } from './lines.js';
import type { PriceTable } from './prices.js';
import { MissingPriceError } from './pricer.js';
import {
  LINE_META, type ArithmeticFlag, type Capacity, type Category, type CostInput, type Estimate,
  type LineItem, type LineSummary, type Scenario,
} from './types.js';
import { validateInput } from './validate.js';

/** Cloud Run serves at most this many concurrent requests per instance. */
export const RUN_CONCURRENCY_CEILING = 1000;

const VOLUME_KEYS = [
  'requestsPerMonth', 'internetEgressGb', 'lbDataProcessedGb', 'cdnCacheEgressGb', 'cdnCacheLookupsPerMonth',
  'storageGb', 'logVolumeGb', 'monitoringMib', 'traceSpansPerMonth', 'pubsubGb', 'secretAccessesPerMonth',
  'natDataProcessedGb', 'armorRequestsPerMonth', 'sqlBackupGb',
] as const satisfies readonly (keyof UsageVolumes)[];

export interface EstimateOptions {
  scenario?: Scenario;
}

/**
 * The cost model: a pure function of the normalised topology, its usage and a price
 * table. Lines are priced from rates; an override in usage.overrides.<table> replaces a
 * line's figure (with its reason) and the estimate reports what the rates would give.
 */
export function estimate(input: CostInput, table: PriceTable, opts: EstimateOptions = {}): Estimate {
  const scenario = opts.scenario ?? 'baseline';
  validateInput(input, table, scenario);
  const usage = input.usage;
  const overrides = usage.overrides?.[table.name] ?? {};
  const volumes: UsageVolumes = {};
  for (const k of VOLUME_KEYS) if (usage[k] !== undefined) volumes[k] = usage[k];
  if (scenario === 'optimized' && usage.optimized?.usage) Object.assign(volumes, usage.optimized.usage);

  const warnings: string[] = [];
  const ctx: LineContext = { input, table, volumes, averageInstances: spreadInstances(input), warnings };
  const items: LineItem[] = [];
  const replaced: LineItem[] = [];
  const lines: LineSummary[] = [];
  const arithmetic: ArithmeticFlag[] = [];
  const knownLines = new Set<string>(LINES.map(([id]) => id));

  const price = (id: string, calc: () => Item[], meta = LINE_META[id]!, fallback?: { quantity: number; unit: string }): void => {
    let computed: LineItem[] | undefined;
    try {
      computed = calc().filter((i): i is LineItem => i !== undefined);
    } catch (err) {
      if (!(err instanceof MissingPriceError && overrides[id])) throw err;
    }
    const o = overrides[id];
    if (!o) {
      if (!computed || computed.length === 0) return;
      items.push(...computed);
      lines.push({ line: id, service: meta.service, category: meta.category, amount: sumAmount(computed), notes: notesOf(computed) });
      return;
    }
    const applied = applyOverride(table.name, id, meta, o, computed, fallback);
    items.push(applied.item);
    replaced.push(...(computed ?? []));
    lines.push(applied.summary);
    arithmetic.push(...applied.flags);
  };

  for (const [id, calc] of LINES) price(id, () => calc(ctx));

  let burstInfo: Estimate['burst'];
  if (scenario === 'burst') {
    const burst = usage.burst!;
    for (const [id, calc] of [['burst.run', burstRunLine], ['burst.redis', burstRedisLine], ['burst.networking', burstNetworkingLine]] as const) {
      knownLines.add(id);
      price(id, () => calc(ctx, burst), LINE_META[id]!, { quantity: burst.eventsPerMonth, unit: 'event' });
    }
    const burstItems = items.filter((i) => i.line.startsWith('burst.'));
    const perEvent = burstItems.reduce((s, i) => s + i.rate, 0);
    burstInfo = {
      perEvent, perHour: perEvent / burst.hours, monthly: sumAmount(burstItems),
      eventsPerMonth: burst.eventsPerMonth, hours: burst.hours, multiplier: burst.multiplier,
    };
  } else {
    for (const id of ['burst.run', 'burst.redis', 'burst.networking']) knownLines.add(id);
  }

  let optimizedInfo: Estimate['optimized'];
  const savingsKeys = Object.keys(table.entries).filter((k) => k.startsWith('savings.'));
  for (const k of savingsKeys) knownLines.add(k);
  if (scenario === 'optimized') {
    const baselineTotal = estimate({ ...input }, table, { scenario: 'baseline' }).total;
    const term = usage.optimized?.commitmentTerm ?? '1y';
    for (const key of savingsKeys) {
      const entry = table.entries[key]!;
      if (entry.notCharged || entry.fraction === undefined || !entry.lines?.length) continue;
      if (entry.term && entry.term !== term) continue;
      const targets = lines.filter((l) => entry.lines!.includes(l.line));
      const base = targets.reduce((s, l) => s + l.amount, 0);
      const firstMeta = LINE_META[entry.lines[0]!];
      const meta = { service: `Savings: ${entry.lines.map((l) => LINE_META[l]?.service ?? l).join(', ')}`, category: firstMeta?.category ?? 'compute' as Category };
      price(key, () => [{
        line: key, component: 'savings', service: meta.service, category: meta.category,
        description: `${fmt(entry.fraction! * 100, 1)}% of $${fmt(base)}${entry.term ? ` (${entry.term} commitment)` : ''}`,
        quantity: base, unit: 'USD', rate: -entry.fraction!, amount: -entry.fraction! * base,
        source: `${table.name}:${key} — ${entry.source} (priced ${entry.pricedAsOf})`,
      }], meta);
    }
    const total = sumAmount(lines);
    optimizedInfo = { baselineTotal, savings: baselineTotal - total, savingsPct: baselineTotal > 0 ? (baselineTotal - total) / baselineTotal : 0 };
  }

  for (const id of Object.keys(overrides)) {
    if (!knownLines.has(id)) {
      throw new CostError(`usage.overrides.${table.name}.${id}`, `unknown line (lines: ${[...knownLines].join(', ')})`);
    }
  }

  const total = sumAmount(lines);
  const categories: Partial<Record<Category, number>> = {};
  for (const l of lines) categories[l.category] = (categories[l.category] ?? 0) + l.amount;
  const capacity = capacityOf(input);
  if (capacity.short) warnings.push(capacity.message);
  if (burstInfo && capacity.maxConcurrentRequests < capacity.target * burstInfo.multiplier) {
    warnings.push(`burst capacity: ${burstInfo.multiplier}x the target is ${fmt(capacity.target * burstInfo.multiplier)} concurrent streams; the topology serves at most ${fmt(capacity.maxConcurrentRequests)}`);
  }
  const target = usage.concurrentStreamsTarget ?? 0;
  const requests = volumes.requestsPerMonth ?? 0;
  return {
    name: input.name, rates: table.name, pricedAsOf: table.pricedAsOf, scenario, items, replaced, lines, categories, total,
    perConcurrentStream: target > 0 ? total / target : undefined,
    perMillionRequests: requests > 0 ? total / (requests / 1e6) : undefined,
    capacity, warnings, arithmetic, burst: burstInfo, optimized: optimizedInfo,
  };
}

function sumAmount(xs: { amount: number }[]): number {
  return xs.reduce((s, x) => s + x.amount, 0);
}

function notesOf(items: LineItem[]): string[] {
  return [...new Set(items.map((i) => i.note).filter((n): n is string => Boolean(n)))];
}

/** Spreads usage.averageInstances over regions by their minInstances (the seed: 5,000 = sum of minScale). */
export function spreadInstances(input: CostInput): Map<string, number> {
  const runs = input.regions.filter((r) => r.run);
  const mins = runs.reduce((s, r) => s + r.run!.minInstances, 0);
  const maxes = runs.reduce((s, r) => s + r.run!.maxInstances, 0);
  const total = input.usage.averageInstances ?? mins;
  const out = new Map<string, number>();
  for (const r of runs) {
    const w = mins > 0 ? r.run!.minInstances / mins : maxes > 0 ? r.run!.maxInstances / maxes : 1 / runs.length;
    out.set(r.region, total * w);
  }
  return out;
}

export function capacityOf(input: CostInput): Capacity {
  let max = 0;
  let instances = 0;
  const concurrencies = new Set<number>();
  for (const r of input.regions) {
    if (!r.run) continue;
    const c = Math.min(r.run.concurrency, RUN_CONCURRENCY_CEILING);
    concurrencies.add(c);
    instances += r.run.maxInstances;
    max += r.run.maxInstances * c;
  }
  const target = input.usage.concurrentStreamsTarget ?? 0;
  const short = max < target;
  const conc = concurrencies.size === 1 ? `${[...concurrencies][0]}` : 'their';
  const message = `capacity: ${fmt(instances)} max instances x ${conc} concurrent requests = ${fmt(max)} concurrent vs a target of ${fmt(target)} streams`
    + (short ? ` — SHORT by ${fmt(target / Math.max(max, 1), 1)}x (Cloud Run serves at most ${RUN_CONCURRENCY_CEILING} per instance)` : ' — enough');
  return { maxConcurrentRequests: max, perInstanceCeiling: RUN_CONCURRENCY_CEILING, target, short, message };
}

function applyOverride(
  tableName: string, id: string, meta: { service: string; category: Category }, o: Override, computed: LineItem[] | undefined,
  fallback?: { quantity: number; unit: string },
): { item: LineItem; summary: LineSummary; flags: ArithmeticFlag[] } {
  const field = `usage.overrides.${tableName}.${id}`;
  const computedAmount = computed ? sumAmount(computed) : undefined;
  const units = new Set(computed?.filter((i) => i.quantity > 0).map((i) => i.unit));
  const computedUnit = units.size === 1 ? [...units][0] : undefined;
  const billed = computed?.filter((i) => i.unit === computedUnit && i.quantity > 0);
  const computedQty = computedUnit && billed ? billed.reduce((s, i) => s + i.quantity, 0) : undefined;
  const effRate = computedQty && computedAmount !== undefined ? computedAmount / computedQty : undefined;
  const quantity = o.quantity ?? computedQty ?? fallback?.quantity ?? 1;
  const unit = o.unit ?? computedUnit ?? fallback?.unit ?? 'month';
  const rate = o.rate ?? (o.amount !== undefined ? o.amount / (quantity || 1) : effRate);
  if (rate === undefined) throw new CostError(field, 'needs an amount or a rate: the price table has none to price the quantity with');
  const amount = o.amount ?? quantity * rate;
  // What the table's rates give at the stated quantity: the check on the stated figure.
  const fromRates = o.quantity !== undefined && effRate !== undefined ? o.quantity * effRate : computedAmount;
  const flags: ArithmeticFlag[] = [];
  if (o.quantity !== undefined && computedQty !== undefined && Math.abs(o.quantity - computedQty) > 1e-9 * Math.max(1, computedQty)) {
    flags.push({
      line: id, stated: o.quantity, computed: computedQty,
      message: `${meta.service}: the stated ${fmt(o.quantity)} ${unit} is not what the topology gives (${fmt(computedQty)} ${unit})`,
    });
  }
  if (fromRates !== undefined && Math.abs(amount - fromRates) >= 0.5) {
    flags.push({
      line: id, stated: amount, computed: fromRates,
      message: `${meta.service}: ${formula(o.quantity ?? computedQty, unit, effRate)}= $${fmt(fromRates)}, not the stated $${fmt(amount)}`
        + (unit === 'USD' && computedQty ? ` (${fmt((-amount / computedQty) * 100, 1)}%)` : ''),
    });
  }
  const item: LineItem = {
    line: id, component: 'stated', service: meta.service, category: meta.category,
    description: o.reason, quantity, unit, rate, amount, source: `${field} (override: ${o.reason})`,
  };
  return {
    item,
    summary: { line: id, service: meta.service, category: meta.category, amount, computed: fromRates, override: { reason: o.reason }, notes: [] },
    flags,
  };
}

function formula(quantity: number | undefined, unit: string, rate: number | undefined): string {
  if (quantity === undefined || rate === undefined) return 'the rates give ';
  if (unit === 'USD') return `${fmt(-rate * 100, 1)}% of $${fmt(quantity)} `;
  const hours = unit.endsWith('-second') ? ` (${fmt(quantity / 3600)} ${unit.replace('-second', '-h')} x 3600)` : '';
  return `${fmt(quantity)} ${unit}${unit === "event" && quantity !== 1 ? "s" : ""}${hours} x $${Math.abs(rate) >= 1 ? fmt(rate) : +rate.toPrecision(6)} `;
}
