import { CostError } from './errors.js';
import type { PriceEntry, PriceTable } from './prices.js';
import { LINE_META, type LineItem } from './types.js';

/** Thrown when the table lacks an entry a line needs; an override for the line makes it moot. */
export class MissingPriceError extends CostError {
  constructor(readonly table: string, readonly key: string, readonly line: string) {
    super(`prices.${table}.entries.${key}`, `price table "${table}" has no entry ${key}, needed for the ${LINE_META[line]?.service ?? line} line (add it, or an override usage.overrides.${table}.${line})`);
    this.name = 'MissingPriceError';
  }
}

/** Price look-ups for one line, with the bookkeeping that makes every item cite its source. */
export class Pricer {
  constructor(readonly table: PriceTable, readonly line: string) {}

  get hours(): number {
    return this.table.hoursPerMonth;
  }

  has(key: string): boolean {
    return key in this.table.entries;
  }

  /** First entry found among `keys` (most specific first); throws naming the first key. */
  entry(...keys: string[]): { key: string; entry: PriceEntry } {
    for (const key of keys) {
      const entry = this.table.entries[key];
      if (entry) return { key, entry };
    }
    throw new MissingPriceError(this.table.name, keys[0]!, this.line);
  }

  source(key: string, entry: PriceEntry): string {
    const sku = entry.catalog?.skuId ? ` [SKU ${entry.catalog.skuId}]` : '';
    return `${this.table.name}:${key} — ${entry.source}${sku} (priced ${entry.pricedAsOf})`;
  }

  item(
    key: string,
    entry: PriceEntry,
    fields: Omit<LineItem, 'line' | 'service' | 'category' | 'source' | 'rate'> & { rate?: number },
  ): LineItem {
    const meta = LINE_META[this.line] ?? { service: this.line, category: 'compute' as const };
    const rate = fields.rate ?? (fields.quantity === 0 ? entry.rate ?? 0 : fields.amount / fields.quantity);
    return { line: this.line, service: meta.service, category: meta.category, source: this.source(key, entry), ...fields, rate };
  }
}
