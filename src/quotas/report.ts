/**
 * Required vs available, one row per quota and scope, each shortfall with the exact value
 * to ask for. A quota passes when the whole topology fits under its limit: resources the
 * topology already has count toward both the need and GCP's usage, so the need is compared
 * with the limit, and usage is shown to explain headroom taken by other workloads.
 */
import type { Observed } from './observe.js';
import { quotaKey } from './observe.js';
import type { Requirement } from './required.js';

export type QuotaVerdict = 'ok' | 'short' | 'unknown';

export interface QuotaRow {
  key: string;
  quota: string;
  title: string;
  service: string;
  quotaId: string;
  region?: string;
  unit: string;
  needed: number;
  limit?: number;
  usage?: number;
  verdict: QuotaVerdict;
  /** For a shortfall: the limit to request (the need) and by how much it rises. */
  request?: { preferredValue: number; increase: number };
  basis: string;
  source: string;
  note?: string;
}

export function compareQuotas(reqs: Requirement[], observed: Map<string, Observed>): QuotaRow[] {
  return reqs.map((r) => {
    const key = quotaKey(r.kind, r.region);
    const o = observed.get(key) ?? { source: 'not read' };
    const base = {
      key,
      quota: r.kind.key,
      title: r.kind.title,
      service: r.kind.service,
      quotaId: r.kind.quotaId,
      region: r.region,
      unit: r.kind.unit,
      needed: r.needed,
      limit: o.limit,
      usage: o.usage,
      basis: r.basis,
      source: o.source,
    };
    if (o.limit === undefined) return { ...base, verdict: 'unknown' as const, note: o.error ?? 'limit not reported' };
    if (r.needed > o.limit) {
      return {
        ...base,
        verdict: 'short' as const,
        request: { preferredValue: Math.ceil(r.needed), increase: Math.ceil(r.needed - o.limit) },
        note: r.kind.appendix ? `seed Appendix 10.1 asks: ${r.kind.appendix}` : undefined,
      };
    }
    return { ...base, verdict: 'ok' as const };
  });
}

export function shortfalls(rows: QuotaRow[]): QuotaRow[] {
  return rows.filter((r) => r.verdict === 'short');
}
