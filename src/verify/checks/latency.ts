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
import { lastSegment } from '../../util/resource-name.js';
import { fail, warn, type CheckDef, type Outcome } from '../types.js';

interface Collection {
  name: string;
  dimension: number;
  count: number;
}

const PROBE_POINTS = 500;
const PROBE_DIMENSION = 64;
/** Probe collections are named ruvector-verify-<base36 creation ms>-<hex> (older runs: ruvector-verify-<hex>). */
const PROBE_PREFIX = 'ruvector-verify-';
const PROBE_RE = /^ruvector-verify-(?:([0-9a-z]+)-)?[0-9a-f]{8}$/;
/** A probe older than this was left by a verify that died (killed, or a cleanup that could not reach the service): swept. */
export const STALE_PROBE_MS = 15 * 60_000;
/** The cleanup's own budget per DELETE: it runs after the check's deadline may have passed. */
const CLEANUP_TIMEOUT_MS = 5000;
/** What the runner waits, after aborting the check, for its cleanup. */
export const PROBE_CLEANUP_MS = 2 * CLEANUP_TIMEOUT_MS + 1000;

const randomVector = (d: number): number[] => Array.from({ length: d }, () => Math.random() * 2 - 1);

export const probeName = (now = Date.now()): string => `${PROBE_PREFIX}${now.toString(36)}-${randomBytes(4).toString('hex')}`;

/** True for a probe collection a verify that is no longer running left behind. */
export function isStaleProbe(name: string, now = Date.now()): boolean {
  const m = PROBE_RE.exec(name);
  if (!m) return false;
  if (!m[1]) return true; // the old name carried no time: only a verify that died left one
  const at = parseInt(m[1], 36);
  return Number.isFinite(at) && now - at > STALE_PROBE_MS;
}

export async function measureSearches(base: string, o: { samples: number; timeoutMs: number; signal?: AbortSignal; apiKey?: string; concurrency?: number }): Promise<Outcome> {
  // Keep-alive: the figure is the search, not a TCP (or TLS) handshake per request.
  const agent = base.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>) =>
    request(`${base}${path}`, { method, body, headers, timeoutMs: o.timeoutMs, signal: o.signal, agent });
  let probe: string | undefined;
  const stale: string[] = [];
  let outcome: Outcome | undefined;
  try {
    outcome = await (async (): Promise<Outcome> => {
      const list = await call('GET', '/api/v1/collections');
      if (list.status !== 200) return fail(`GET /api/v1/collections: HTTP ${list.status}`);
      const all = (jsonOf(list.body)?.collections ?? []) as Collection[];
      // Another verify's probe is never the collection to measure; a dead one's is swept below.
      for (const c of all) if (isStaleProbe(c.name)) stale.push(c.name);
      const cols = all.filter((c) => c.count > 0 && !c.name.startsWith(PROBE_PREFIX));
      let target = cols.sort((a, b) => b.count - a.count)[0];
      if (!target) {
        if (!o.apiKey) return warn('no collection with points to search: latency not measured (load data, or pass --api-key for a probe collection)');
        // Named before the request: a create whose answer is lost (timeout, abort) may still have made it.
        probe = probeName();
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
    })();
  } finally {
    // Also after a failure, a timeout or an abort (the check's signal is spent by then, so the
    // cleanup has its own deadline), and for probes a dead verify left.
    const left: string[] = [];
    if (o.apiKey) {
      for (const name of [...(probe ? [probe] : []), ...stale]) {
        const why = await dropCollection(base, name, o.apiKey, agent);
        if (why && name === probe) left.push(`${name} (${why})`);
      }
    }
    agent.destroy();
    // Only reached with an outcome (a throw propagates as it is): say what stayed behind.
    if (outcome && left.length) {
      outcome = { ...outcome, verdict: outcome.verdict === 'pass' ? 'warn' : outcome.verdict, reason: `${outcome.reason}; probe collection left behind: ${left.join(', ')}` };
    }
  }
  return outcome!; // set whenever the try completed; a throw went on past the finally
}

/** DELETE a collection, twice at most; undefined when it is gone (404 included), else why not. */
async function dropCollection(base: string, name: string, apiKey: string, agent: http.Agent): Promise<string | undefined> {
  let why = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // A fresh agent on the retry: the first may have failed on a socket the service closed.
      const r = await request(`${base}/api/v1/collections/${encodeURIComponent(name)}`, { method: 'DELETE', headers: { 'api-key': apiKey }, timeoutMs: CLEANUP_TIMEOUT_MS, ...(attempt === 0 ? { agent } : {}) });
      if (r.status < 300 || r.status === 404) return undefined;
      why = `HTTP ${r.status}`;
      if (r.status < 500 && r.status !== 429) break; // refused (no key, read replica): asking again will not help
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
  }
  return why;
}

export function latencyChecks(v: VerifyContext, region: string): CheckDef[] {
  if (v.opts.samples <= 0) return [];
  return v.live.desired('run.Service', region).map((d) => ({
    group: 'latency' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: Math.max(v.opts.timeoutMs, v.opts.samples * 200),
    // With an API key it may have made a probe collection: time for its DELETE (two tries) after a timeout.
    ...(v.opts.apiKey ? { cleanupMs: PROBE_CLEANUP_MS } : {}),
    async run(signal) {
      const o = await v.live.get(d);
      const uri = typeof o?.raw.uri === 'string' ? o.raw.uri.replace(/\/$/, '') : undefined;
      if (!uri) return fail('the service has no URL');
      const out = await measureSearches(uri, { samples: v.opts.samples, timeoutMs: v.opts.timeoutMs, signal, apiKey: v.opts.apiKey });
      // The seed's targets are for Cloud Run in GCP; on a laptop's emulator a miss is information, not an outage.
      if (out.verdict === 'fail' && out.data?.p99Ms !== undefined && !v.session.clients.capabilities.latencyBudgetsApply) {
        return { ...out, verdict: 'warn', reason: `${out.reason} (local emulator: the targets apply to GCP)` };
      }
      return out;
    },
  }));
}
