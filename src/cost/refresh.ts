import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { GoogleAuth } from 'google-auth-library';
import { CostError } from './errors.js';
import { parsePriceTable, pricesDir, type PriceEntry, type PriceTable } from './prices.js';

/**
 * Rebuilds a price table's catalog-backed entries from the Cloud Billing Catalog API
 * (`GET {endpoint}/v1/services/{serviceId}/skus`). Each entry pins a SKU id: a pinned SKU
 * that is gone fails the refresh (every failure listed at once); an entry not pinned yet
 * is pinned by its description pattern and region, and fails when that matches zero or
 * several SKUs. The table's structure (tiers vs flat rate, free tier) must survive too.
 */
export interface RefreshOptions {
  /** Table name under config/prices (default list) or a path. */
  table?: string;
  out?: string;
  endpoint?: string;
  apiKey?: string;
  today?: string;
}

export interface RefreshResult {
  path: string;
  pricedAsOf: string;
  updated: string[];
  unchanged: string[];
  changes: string[];
}

interface Money { units?: string; nanos?: number }
interface Sku {
  skuId: string;
  description: string;
  serviceRegions?: string[];
  pricingInfo?: { pricingExpression?: { usageUnit?: string; tieredRates?: { startUsageAmount?: number; unitPrice?: Money }[] } }[];
}

const DEFAULT_ENDPOINT = 'https://cloudbilling.googleapis.com';
const price = (m: Money | undefined): number => Number(m?.units ?? 0) + (m?.nanos ?? 0) / 1e9;
const round = (n: number): number => +n.toPrecision(12);

async function authHeaders(apiKey: string | undefined): Promise<Record<string, string>> {
  if (apiKey) return {};
  try {
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-billing.readonly'] });
    const headers = await auth.getRequestHeaders();
    const out: Record<string, string> = {};
    headers.forEach((v, k) => { out[k] = v; });
    return out;
  } catch (err) {
    throw new CostError('credentials', `no credentials for the Cloud Billing Catalog API: set RUVECTOR_BILLING_API_KEY or configure Application Default Credentials (${(err as Error).message})`);
  }
}

async function listSkus(endpoint: string, serviceId: string, apiKey: string | undefined, headers: Record<string, string>): Promise<Sku[]> {
  const skus: Sku[] = [];
  let pageToken = '';
  do {
    const url = new URL(`${endpoint.replace(/\/$/, '')}/v1/services/${serviceId}/skus`);
    url.searchParams.set('currencyCode', 'USD');
    url.searchParams.set('pageSize', '5000');
    if (pageToken) url.searchParams.set('pageToken', pageToken);
    if (apiKey) url.searchParams.set('key', apiKey);
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new CostError(`catalog.${serviceId}`, `cannot reach the Cloud Billing Catalog at ${endpoint}: ${cause}`);
    }
    if (!res.ok) {
      const body = await res.text();
      throw new CostError(`catalog.${serviceId}`, `Cloud Billing Catalog answered ${res.status} for service ${serviceId}: ${body.slice(0, 300)}`);
    }
    const page = (await res.json()) as { skus?: Sku[]; nextPageToken?: string };
    skus.push(...(page.skus ?? []));
    pageToken = page.nextPageToken ?? '';
  } while (pageToken);
  return skus;
}

function findSku(key: string, entry: PriceEntry, skus: Sku[]): { sku?: Sku; problem?: string } {
  const c = entry.catalog!;
  if (c.skuId) {
    const sku = skus.find((s) => s.skuId === c.skuId);
    return sku ? { sku } : { problem: `${key}: pinned SKU ${c.skuId} is gone from service ${c.serviceId}` };
  }
  if (!c.descriptionPattern) return { problem: `${key}: no pinned SKU and no descriptionPattern to pin one by` };
  const re = new RegExp(c.descriptionPattern, 'i');
  const hits = skus.filter((s) => re.test(s.description) && (!c.region || (s.serviceRegions ?? []).includes(c.region)));
  if (hits.length === 1) return { sku: hits[0] };
  if (hits.length === 0) return { problem: `${key}: no SKU of service ${c.serviceId} matches /${c.descriptionPattern}/${c.region ? ` in ${c.region}` : ''}` };
  return { problem: `${key}: /${c.descriptionPattern}/ matches ${hits.length} SKUs (${hits.slice(0, 3).map((h) => `${h.skuId} "${h.description}"`).join(', ')}): pin one skuId` };
}

/** The entry's figures from one SKU, keeping the entry's structure; a problem string when it does not fit. */
function reprice(key: string, entry: PriceEntry, sku: Sku): { entry?: PriceEntry; problem?: string } {
  const c = entry.catalog!;
  const expr = sku.pricingInfo?.[0]?.pricingExpression;
  if (!expr?.tieredRates?.length) return { problem: `${key}: SKU ${sku.skuId} has no pricing expression` };
  if (c.usageUnit && expr.usageUnit !== c.usageUnit) {
    return { problem: `${key}: SKU ${sku.skuId} is priced per ${expr.usageUnit}, the table expects ${c.usageUnit}` };
  }
  const factor = c.factor ?? 1;
  let tiers = expr.tieredRates.map((t) => ({ from: round((t.startUsageAmount ?? 0) / factor), rate: round(price(t.unitPrice) * factor) }));
  const next: PriceEntry = { ...entry, catalog: { ...c, skuId: sku.skuId } };
  if (tiers.length > 1 && tiers[0]!.rate === 0) {
    const free = tiers[1]!.from;
    tiers = tiers.slice(1).map((t) => ({ from: round(t.from - free), rate: t.rate }));
    next.free = free;
  } else if (entry.free !== undefined) {
    delete next.free;
  }
  if (entry.tiers) {
    next.tiers = tiers;
  } else {
    if (tiers.length !== 1) return { problem: `${key}: SKU ${sku.skuId} now has ${tiers.length} tiers; the table has a flat rate` };
    next.rate = tiers[0]!.rate;
  }
  return { entry: next };
}

function describeChange(key: string, before: PriceEntry, after: PriceEntry): string | undefined {
  const show = (e: PriceEntry): string => JSON.stringify({ rate: e.rate, tiers: e.tiers, free: e.free });
  if (show(before) === show(after)) return before.catalog?.skuId ? undefined : `${key}: pinned SKU ${after.catalog?.skuId}`;
  return `${key}: ${show(before)} -> ${show(after)} (SKU ${after.catalog?.skuId})`;
}

export async function refreshPrices(opts: RefreshOptions = {}): Promise<RefreshResult> {
  const name = opts.table ?? 'list';
  const path = /[/\\]|\.json$/.test(name) ? (isAbsolute(name) ? name : resolve(name)) : join(pricesDir(), `${name}.json`);
  const table: PriceTable = parsePriceTable(JSON.parse(readFileSync(path, 'utf8')), path);
  const endpoint = opts.endpoint ?? process.env.RUVECTOR_BILLING_ENDPOINT ?? DEFAULT_ENDPOINT;
  const apiKey = opts.apiKey ?? process.env.RUVECTOR_BILLING_API_KEY;
  const headers = await authHeaders(apiKey);
  const today = opts.today ?? new Date().toISOString().slice(0, 10);

  const services = new Set(Object.values(table.entries).flatMap((e) => (e.catalog ? [e.catalog.serviceId] : [])));
  const skusBy = new Map<string, Sku[]>();
  for (const id of services) skusBy.set(id, await listSkus(endpoint, id, apiKey, headers));

  const problems: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  const changes: string[] = [];
  const entries: Record<string, PriceEntry> = {};
  for (const [key, entry] of Object.entries(table.entries)) {
    if (!entry.catalog) {
      entries[key] = entry;
      unchanged.push(key);
      continue;
    }
    const found = findSku(key, entry, skusBy.get(entry.catalog.serviceId) ?? []);
    const priced = found.sku ? reprice(key, entry, found.sku) : { problem: found.problem };
    if (!priced.entry) {
      problems.push(priced.problem!);
      continue;
    }
    entries[key] = { ...priced.entry, pricedAsOf: today };
    updated.push(key);
    const change = describeChange(key, entry, priced.entry);
    if (change) changes.push(change);
  }
  if (problems.length) {
    throw new CostError(`prices.${table.name}`, `refresh failed, nothing written (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
  }
  const refreshed = parsePriceTable({ ...table, pricedAsOf: today, entries }, path);
  const out = opts.out ? resolve(opts.out) : path;
  writeFileSync(out, `${JSON.stringify(refreshed, null, 2)}\n`);
  return { path: out, pricedAsOf: today, updated, unchanged, changes };
}
