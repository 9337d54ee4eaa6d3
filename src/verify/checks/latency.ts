/**
 * Search latency per region: N searches against the region's service (a random query vector
 * in the first collection that holds points), percentiles against the seed's targets.
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { VerifyContext } from '../context.js';
import { jsonOf, request } from '../http.js';
import { judgeLatency, latencyStats } from '../latency.js';
import { lastSegment } from '../live.js';
import { fail, warn, type CheckDef, type Outcome } from '../types.js';

interface Collection {
  name: string;
  dimension: number;
  count: number;
}

const PROBE_POINTS = 500;
const PROBE_DIMENSION = 64;

const randomVector = (d: number): number[] => Array.from({ length: d }, () => Math.random() * 2 - 1);

export async function measureSearches(base: string, o: { samples: number; timeoutMs: number; signal?: AbortSignal; apiKey?: string; concurrency?: number }): Promise<Outcome> {
  // Keep-alive: the figure is the search, not a TCP (or TLS) handshake per request.
  const agent = base.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>) =>
    request(`${base}${path}`, { method, body, headers, timeoutMs: o.timeoutMs, signal: o.signal, agent });
  let probe: string | undefined;
  try {
    const list = await call('GET', '/api/v1/collections');
    if (list.status !== 200) return fail(`GET /api/v1/collections: HTTP ${list.status}`);
    const cols = ((jsonOf(list.body)?.collections ?? []) as Collection[]).filter((c) => c.count > 0);
    let target = cols.sort((a, b) => b.count - a.count)[0];
    if (!target) {
      if (!o.apiKey) return warn('no collection with points to search: latency not measured (load data, or pass --api-key for a probe collection)');
      probe = `ruvector-verify-${randomBytes(4).toString('hex')}`;
      const key = { 'api-key': o.apiKey };
      const made = await call('POST', '/api/v1/collections', { name: probe, dimension: PROBE_DIMENSION, metric: 'cosine' }, key);
      // A read-replica region refuses writes by design (503): nothing to load there, so not a failure.
      if (made.status === 503 && /read replica/.test(made.body)) {
        probe = undefined;
        return warn('read-replica region with no collection to search: latency not measured (load data through a primary region)');
      }
      if (made.status >= 300) return fail(`creating probe collection: HTTP ${made.status}`);
      const points = Array.from({ length: PROBE_POINTS }, (_, i) => ({ id: i, vector: randomVector(PROBE_DIMENSION) }));
      const up = await call('POST', `/api/v1/collections/${probe}/points`, { points }, key);
      if (up.status >= 300) return fail(`loading probe collection: HTTP ${up.status}`);
      target = { name: probe, dimension: PROBE_DIMENSION, count: PROBE_POINTS };
    }
    const samples: number[] = [];
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < o.samples) {
        next++;
        const r = await call('POST', `/api/v1/collections/${encodeURIComponent(target!.name)}/search`, { vector: randomVector(target!.dimension), k: 10 });
        if (r.status === 200) samples.push(r.ms);
        else errors.push(`HTTP ${r.status}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, o.samples) }, worker));
    if (errors.length) return fail(`${errors.length} of ${o.samples} searches failed (${[...new Set(errors)].join(', ')})`);
    const out = judgeLatency(latencyStats(samples));
    return { ...out, reason: `${target.name}: ${out.reason}` };
  } finally {
    if (probe && o.apiKey) await call('DELETE', `/api/v1/collections/${probe}`, undefined, { 'api-key': o.apiKey }).catch(() => undefined);
    agent.destroy();
  }
}

export function latencyChecks(v: VerifyContext, region: string): CheckDef[] {
  if (v.opts.samples <= 0) return [];
  return v.live.desired('run.Service', region).map((d) => ({
    group: 'latency' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: Math.max(v.opts.timeoutMs, v.opts.samples * 200),
    async run(signal) {
      const o = await v.live.get(d);
      const uri = typeof o?.raw.uri === 'string' ? o.raw.uri.replace(/\/$/, '') : undefined;
      if (!uri) return fail('the service has no URL');
      const out = await measureSearches(uri, { samples: v.opts.samples, timeoutMs: v.opts.timeoutMs, signal, apiKey: v.opts.apiKey });
      // The seed's targets are for Cloud Run in GCP; on a laptop's emulator a miss is information, not an outage.
      if (out.verdict === 'fail' && out.data?.p99Ms !== undefined && v.session.target.kind === 'emulator') {
        return { ...out, verdict: 'warn', reason: `${out.reason} (local emulator: the targets apply to GCP)` };
      }
      return out;
    },
  }));
}
