import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CostError } from './errors.js';
import { packageRoot } from '../spec/paths.js';

/**
 * A price table: config/prices/<name>.json. Every entry carries where its figure comes
 * from (a document, a pricing page, a Cloud Billing Catalog SKU) and when it was priced,
 * so every line of an estimate can say why it costs what it costs.
 */
const Tier = z.object({ from: z.number().nonnegative(), rate: z.number().nonnegative() }).strict();

const Catalog = z
  .object({
    serviceId: z.string(),
    skuId: z.string().nullable().describe('Pinned SKU; refresh fails when it is gone'),
    descriptionPattern: z.string().optional().describe('Regex used to pin a SKU when skuId is null'),
    region: z.string().optional().describe('serviceRegions value the SKU must list'),
    usageUnit: z.string().optional().describe('pricingExpression.usageUnit the entry expects'),
    factor: z.number().positive().optional().describe('entry rate = catalog price x factor (unit conversion)'),
  })
  .strict();

export const PriceEntrySchema = z
  .object({
    unit: z.string(),
    rate: z.number().nonnegative().optional(),
    tiers: z.array(Tier).min(1).optional(),
    negotiatedAbove: z.number().nonnegative().optional().describe('Quantity above which the price is negotiated'),
    free: z.number().nonnegative().optional().describe('Units free each month (per billing account / project)'),
    tier2Multiplier: z.number().positive().optional().describe("Factor in Cloud Run's tier-2 pricing regions"),
    regionRates: z.record(z.string(), z.number().nonnegative()).optional(),
    haMultiplier: z.number().positive().optional(),
    band: z.object({ aboveGb: z.number().nonnegative(), maxGb: z.number().positive() }).strict().optional().describe('Memorystore size band: aboveGb < size <= maxGb'),
    fraction: z.number().min(0).max(1).optional().describe('Savings entries: share of the lines saved'),
    lines: z.array(z.string()).optional().describe('Savings entries: the line ids they apply to'),
    term: z.enum(['1y', '3y']).optional(),
    notCharged: z.string().optional().describe('This table does not charge this component, and why'),
    source: z.string(),
    catalog: Catalog.optional(),
    pricedAsOf: z.string(),
  })
  .strict();

export const PriceTableSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    currency: z.literal('USD'),
    pricedAsOf: z.string(),
    hoursPerMonth: z.number().positive(),
    runPricingTiers: z.object({ tier1: z.array(z.string()), tier2: z.array(z.string()) }).strict().optional(),
    entries: z.record(z.string(), PriceEntrySchema),
  })
  .strict();

export type PriceEntry = z.infer<typeof PriceEntrySchema>;
export type PriceTable = z.infer<typeof PriceTableSchema>;
export type PriceTier = z.infer<typeof Tier>;

export function pricesDir(): string {
  return join(packageRoot(), 'config', 'prices');
}

/** `seed`, `list`, or a path to a JSON price table. */
export function loadPriceTable(nameOrPath: string): PriceTable {
  const path = /[/\\]|\.json$/.test(nameOrPath)
    ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath))
    : join(pricesDir(), `${nameOrPath}.json`);
  if (!existsSync(path)) throw new CostError('rates', `no price table "${nameOrPath}" (looked for ${path})`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CostError('rates', `price table ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePriceTable(raw, path);
}

export function parsePriceTable(raw: unknown, where = 'price table'): PriceTable {
  const parsed = PriceTableSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new CostError(`prices.${first.path.join('.')}`, `${where}: ${first.message}`);
  }
  for (const [key, e] of Object.entries(parsed.data.entries)) {
    const priced = e.rate !== undefined || e.tiers !== undefined || e.fraction !== undefined;
    if (!priced && e.notCharged === undefined) {
      throw new CostError(`prices.entries.${key}`, `${where}: entry ${key} has no rate, tiers, fraction or notCharged`);
    }
  }
  return parsed.data;
}

/** Cost of `quantity` units under graduated tiers (each unit priced by the tier it falls in). */
export function tieredAmount(quantity: number, tiers: PriceTier[]): { amount: number; parts: { from: number; to: number; quantity: number; rate: number }[] } {
  const sorted = [...tiers].sort((a, b) => a.from - b.from);
  const parts: { from: number; to: number; quantity: number; rate: number }[] = [];
  let amount = 0;
  sorted.forEach((t, i) => {
    const next = sorted[i + 1]?.from ?? Number.POSITIVE_INFINITY;
    if (quantity <= t.from) return;
    const q = Math.min(quantity, next) - t.from;
    amount += q * t.rate;
    parts.push({ from: t.from, to: next, quantity: q, rate: t.rate });
  });
  return { amount, parts };
}

/** Amount for `quantity` under an entry: flat rate or graduated tiers. */
export function entryAmount(quantity: number, e: PriceEntry): number {
  if (e.tiers) return tieredAmount(quantity, e.tiers).amount;
  return quantity * (e.rate ?? 0);
}
