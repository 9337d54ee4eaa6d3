import { QUOTA_DEFAULTS, quotaDefault } from './quota-defaults.js';
import { EmuError, type ApiStyle, type Collection, type Quotas, type Store } from './types.js';

export type QuotaMode = 'gcp-defaults' | 'unlimited';

/** What `limit()` reports in unlimited mode: large, but still a finite JSON number. */
const UNLIMITED = 1e9;

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/**
 * Limits = defaults table, raised per (scope, metric) by quota preferences. Usage and
 * raised limits are kept in the store so they survive a restart with the world.
 */
export class QuotaBook implements Quotas {
  private readonly usageCol: Collection<{ scope: string; metric: string; usage: number }>;
  private readonly limitCol: Collection<{ scope: string; metric: string; limit: number }>;

  constructor(
    store: Store,
    public mode: QuotaMode,
    /** Regions reported by all(); anything a module has used is reported too. */
    private readonly knownRegions: () => string[] = () => [],
  ) {
    this.usageCol = store.collection('__quota_usage');
    this.limitCol = store.collection('__quota_limits');
  }

  private key(scope: string, metric: string): string {
    return `${scope}/${metric}`;
  }

  limit(scope: string, metric: string): number {
    const override = this.limitCol.peek(this.key(scope, metric));
    if (override) return override.limit;
    if (this.mode === 'unlimited') return UNLIMITED;
    return quotaDefault(metric)?.limit ?? UNLIMITED;
  }

  usage(scope: string, metric: string): number {
    return this.usageCol.peek(this.key(scope, metric))?.usage ?? 0;
  }

  use(scope: string, metric: string, delta: number): void {
    const usage = Math.max(0, this.usage(scope, metric) + delta);
    this.usageCol.put(this.key(scope, metric), { scope, metric, usage });
  }

  setLimit(scope: string, metric: string, value: number): void {
    this.limitCol.put(this.key(scope, metric), { scope, metric, limit: value });
  }

  ensure(style: ApiStyle, check: { scope: string; metric: string; amount: number }): void {
    const { scope, metric, amount } = check;
    const overridden = this.limitCol.peek(this.key(scope, metric)) !== undefined;
    if (this.mode === 'unlimited' && !overridden) return;
    const limit = this.limit(scope, metric);
    const usage = this.usage(scope, metric);
    if (usage + amount <= limit) return;
    throw quotaError(style, metric, scope, limit, usage, amount);
  }

  all(scope?: string): { scope: string; metric: string; limit: number; usage: number }[] {
    const scopes = new Set<string>(scope !== undefined ? [scope] : ['global', ...this.knownRegions()]);
    for (const u of this.usageCol.peekAll()) scopes.add(u.scope);
    for (const l of this.limitCol.peekAll()) scopes.add(l.scope);
    const rows: { scope: string; metric: string; limit: number; usage: number }[] = [];
    for (const s of [...scopes].sort()) {
      if (scope !== undefined && s !== scope) continue;
      const metrics = new Set(QUOTA_DEFAULTS.filter((q) => (s === 'global' ? q.scope === 'global' : q.scope === 'region')).map((q) => q.metric));
      for (const u of this.usageCol.peekAll(`${s}/`)) metrics.add(u.metric);
      for (const l of this.limitCol.peekAll(`${s}/`)) metrics.add(l.metric);
      for (const m of [...metrics].sort()) rows.push({ scope: s, metric: m, limit: this.limit(s, m), usage: this.usage(s, m) });
    }
    return rows;
  }
}

/** GCE's wording ("Quota 'NETWORKS' exceeded.  Limit: 15.0 globally.") and the gax equivalent. */
export function quotaError(style: ApiStyle, metric: string, scope: string, limit: number, usage: number, amount: number): EmuError {
  const where = scope === 'global' ? 'globally' : `in region ${scope}`;
  if (style === 'gax') {
    const service = quotaDefault(metric)?.service ?? 'googleapis.com';
    return new EmuError(
      429,
      'RESOURCE_EXHAUSTED',
      `Quota exceeded for quota metric '${metric}' ${where}: limit ${fmt(limit)}, in use ${fmt(usage)}, requested ${fmt(amount)}.`,
      'QUOTA_EXCEEDED',
      { domain: service, metadata: { quota_metric: metric, quota_limit_value: String(limit), quota_location: scope, service } },
    );
  }
  return new EmuError(403, 'RESOURCE_EXHAUSTED', `Quota '${metric}' exceeded.  Limit: ${fmt(limit)} ${where}.`, 'quotaExceeded', {
    domain: 'usageLimits',
  });
}
