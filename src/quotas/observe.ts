/**
 * Reads quota limits (and usage where GCP reports it) for the quotas a topology needs:
 * Compute from regions.get / projects.get (limit + usage), everything else from Cloud
 * Quotas quotaInfos (limits only; GCP has no usage API for them).
 */
import type { Clients } from '../gcp/clients.js';
import type { QuotaKind } from './catalog.js';
import type { Requirement } from './required.js';

export interface Observed {
  limit?: number;
  usage?: number;
  source: string;
  /** Why the limit could not be read, when it could not. */
  error?: string;
}

export function quotaKey(kind: QuotaKind, region?: string): string {
  return `${kind.key}@${region ?? 'global'}`;
}

type Json = Record<string, unknown>;

async function computeQuotas(clients: Clients, region?: string): Promise<Map<string, { limit: number; usage: number }>> {
  const project = clients.project;
  const res = region
    ? (await clients.compute('RegionsClient').get({ project, region }))[0]
    : (await clients.compute('ProjectsClient').get({ project }))[0];
  const out = new Map<string, { limit: number; usage: number }>();
  for (const q of (res.quotas ?? []) as Json[]) out.set(String(q.metric), { limit: Number(q.limit ?? 0), usage: Number(q.usage ?? 0) });
  return out;
}

/** quotaInfos of one service, as {quotaId -> {region|'global' -> limit}}. */
async function serviceLimits(clients: Clients, service: string): Promise<Map<string, Map<string, number>>> {
  const parent = `projects/${clients.project}/locations/global/services/${service}`;
  const [infos] = await clients.cloudQuotas.listQuotaInfos({ parent });
  const out = new Map<string, Map<string, number>>();
  for (const info of infos) {
    const byRegion = new Map<string, number>();
    for (const d of info.dimensionsInfos ?? []) {
      const region = d.dimensions?.region ?? 'global';
      const value = Number(d.details?.value ?? NaN);
      if (Number.isFinite(value)) byRegion.set(region, value);
    }
    out.set(String(info.quotaId), byRegion);
  }
  return out;
}

const message = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

export async function observeQuotas(clients: Clients, reqs: Requirement[]): Promise<Map<string, Observed>> {
  const out = new Map<string, Observed>();
  const computeScopes = new Set(reqs.filter((r) => r.kind.computeMetric).map((r) => r.region ?? 'global'));
  const services = new Set(reqs.filter((r) => !r.kind.computeMetric).map((r) => r.kind.service));

  const computeByScope = new Map<string, Map<string, { limit: number; usage: number }> | Error>();
  const limitsByService = new Map<string, Map<string, Map<string, number>> | Error>();
  // Independent reads: one per Compute scope and one per service, all at once.
  await Promise.all([
    ...[...computeScopes].map(async (scope) => {
      computeByScope.set(scope, await computeQuotas(clients, scope === 'global' ? undefined : scope).catch((e: unknown) => new Error(message(e))));
    }),
    ...[...services].map(async (svc) => {
      limitsByService.set(svc, await serviceLimits(clients, svc).catch((e: unknown) => new Error(message(e))));
    }),
  ]);

  for (const r of reqs) {
    const key = quotaKey(r.kind, r.region);
    const scope = r.region ?? 'global';
    if (r.kind.computeMetric) {
      const q = computeByScope.get(scope);
      const source = r.region ? `compute regions.get ${r.region}` : 'compute projects.get';
      if (q instanceof Error) out.set(key, { source, error: q.message });
      else {
        const m = q?.get(r.kind.computeMetric);
        out.set(key, m ? { limit: m.limit, usage: m.usage, source } : { source, error: `metric ${r.kind.computeMetric} not reported` });
      }
      continue;
    }
    const byId = limitsByService.get(r.kind.service);
    const source = `cloudquotas ${r.kind.service}/${r.kind.quotaId}`;
    if (byId instanceof Error) {
      out.set(key, { source, error: byId.message });
      continue;
    }
    const regions = byId?.get(r.kind.quotaId);
    const limit = regions?.get(scope) ?? regions?.get('global');
    out.set(key, limit === undefined ? { source, error: `quota ${r.kind.quotaId} not reported` } : { limit, source });
  }
  return out;
}
