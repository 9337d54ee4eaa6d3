/**
 * Cloud CDN for a backend service with enableCDN: GET/HEAD responses cached under the
 * backend's cdnPolicy — cacheKeyPolicy (protocol, host, query string with its whitelist or
 * blacklist, named headers), cacheMode (USE_ORIGIN_HEADERS, CACHE_ALL_STATIC,
 * FORCE_CACHE_ALL), defaultTtl / maxTtl / clientTtl and negative caching per status code.
 * A hit answers with `Age` and `X-Cache: HIT`, a fill or a pass with `X-Cache: MISS`.
 * Entries are bounded (count and bytes) and dropped oldest first.
 */
type Obj = Record<string, unknown>;

export interface CdnPolicy {
  cacheMode?: string;
  defaultTtl?: number;
  maxTtl?: number;
  clientTtl?: number;
  negativeCaching?: boolean;
  negativeCachingPolicy?: { code?: number; ttl?: number }[];
  cacheKeyPolicy?: {
    includeProtocol?: boolean;
    includeHost?: boolean;
    includeQueryString?: boolean;
    queryStringWhitelist?: string[];
    queryStringBlacklist?: string[];
    includeHttpHeaders?: string[];
  };
}

export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Entry extends CachedResponse {
  storedAt: number;
  ttlMs: number;
  clientTtl?: number;
}

const STATIC_TYPES = /^(text\/(css|javascript|plain)|application\/(javascript|x-javascript|wasm|pdf)|image\/|font\/|audio\/|video\/|application\/(font|vnd\.ms-fontobject|octet-stream))/;
/** Status codes Cloud CDN caches by default negative caching, with its default TTLs (seconds). */
const DEFAULT_NEGATIVE: Record<number, number> = { 300: 600, 301: 600, 308: 600, 404: 120, 405: 60, 410: 120, 421: 60, 451: 120, 501: 60 };
const CACHEABLE = new Set([200, 203, 204, 206, 300, 301, 302, 307, 308, 404, 405, 410, 421, 451, 501]);

export class CdnCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 10_000, private readonly maxBytes = 64 * 1024 * 1024) {}

  /** The cache key for a request, or undefined when the request is not cacheable (method). */
  key(backend: string, policy: CdnPolicy | undefined, req: { method: string; scheme: string; host: string; path: string; query: string; headers: Record<string, string> }): string | undefined {
    if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
    const k = policy?.cacheKeyPolicy ?? {};
    let query = '';
    if (k.includeQueryString !== false) {
      const params = [...new URLSearchParams(req.query)];
      const kept = k.queryStringWhitelist?.length
        ? params.filter(([n]) => k.queryStringWhitelist!.includes(n))
        : k.queryStringBlacklist?.length
          ? params.filter(([n]) => !k.queryStringBlacklist!.includes(n))
          : params;
      query = new URLSearchParams(kept).toString();
    }
    const headers = (k.includeHttpHeaders ?? []).map((h) => `${h.toLowerCase()}=${req.headers[h.toLowerCase()] ?? ''}`).join('&');
    return [backend, k.includeProtocol === false ? '' : req.scheme, k.includeHost === false ? '' : req.host.toLowerCase(), req.path, query, headers].join('\u0000');
  }

  lookup(key: string, now = Date.now()): (CachedResponse & { age: number; clientTtl?: number }) | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now - e.storedAt >= e.ttlMs) {
      this.remove(key);
      return undefined;
    }
    this.hits += 1;
    return { status: e.status, headers: e.headers, body: e.body, age: Math.floor((now - e.storedAt) / 1000), ...(e.clientTtl !== undefined ? { clientTtl: e.clientTtl } : {}) };
  }

  /**
   * Stores an origin response when the policy says it is cacheable. Returns the
   * Cache-Control header the client should see (clientTtl caps max-age), if any.
   */
  store(key: string, policy: CdnPolicy | undefined, res: CachedResponse, now = Date.now()): string | undefined {
    this.misses += 1;
    const ttl = ttlFor(policy, res);
    if (ttl === undefined || ttl <= 0) return undefined;
    const clientTtl = policy?.clientTtl;
    const headers = { ...res.headers };
    delete headers['set-cookie'];
    const entry: Entry = { ...res, headers, storedAt: now, ttlMs: ttl * 1000, ...(clientTtl !== undefined ? { clientTtl } : {}) };
    this.remove(key);
    this.entries.set(key, entry);
    this.bytes += res.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    return clientCacheControl(res.headers['cache-control'], clientTtl);
  }

  /** Drop everything cached for a backend service (or all of it). */
  invalidate(backend?: string): void {
    for (const k of [...this.entries.keys()]) if (!backend || k.startsWith(`${backend}\u0000`)) this.remove(k);
  }

  size(): number {
    return this.entries.size;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.body.length;
    this.entries.delete(key);
  }
}

/** Seconds to keep a response, or undefined when it must not be cached. */
export function ttlFor(policy: CdnPolicy | undefined, res: CachedResponse): number | undefined {
  const mode = policy?.cacheMode ?? 'CACHE_ALL_STATIC';
  const cc = parseCacheControl(res.headers['cache-control']);
  if (res.headers['set-cookie'] && mode !== 'FORCE_CACHE_ALL') return undefined;
  if (mode !== 'FORCE_CACHE_ALL' && (cc['no-store'] !== undefined || cc.private !== undefined || cc['no-cache'] !== undefined)) return undefined;

  const negative = negativeTtl(policy, res.status);
  if (negative !== undefined && cc['max-age'] === undefined && cc['s-maxage'] === undefined) return negative;
  if (!CACHEABLE.has(res.status)) return undefined;

  const originTtl = cc['s-maxage'] ?? cc['max-age'];
  const max = policy?.maxTtl ?? 86400;
  const def = policy?.defaultTtl ?? 3600;
  if (mode === 'FORCE_CACHE_ALL') return res.status === 200 ? def : negative;
  if (originTtl !== undefined) {
    const n = Number(originTtl);
    if (!Number.isFinite(n)) return undefined;
    return mode === 'CACHE_ALL_STATIC' ? Math.min(n, max) : n;
  }
  if (mode === 'CACHE_ALL_STATIC' && res.status === 200 && STATIC_TYPES.test(res.headers['content-type'] ?? '')) return def;
  return undefined;
}

function negativeTtl(policy: CdnPolicy | undefined, status: number): number | undefined {
  if (!policy?.negativeCaching) return undefined;
  const explicit = policy.negativeCachingPolicy ?? [];
  if (explicit.length) return explicit.find((p) => p.code === status)?.ttl;
  return DEFAULT_NEGATIVE[status];
}

function parseCacheControl(v: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (v ?? '').split(',')) {
    const [k, val] = part.trim().split('=');
    if (k) out[k.toLowerCase()] = (val ?? '').replace(/"/g, '');
  }
  return out;
}

function clientCacheControl(origin: string | undefined, clientTtl: number | undefined): string | undefined {
  if (clientTtl === undefined) return origin;
  const cc = parseCacheControl(origin);
  const maxAge = cc['max-age'] !== undefined ? Math.min(Number(cc['max-age']), clientTtl) : clientTtl;
  return `public, max-age=${maxAge}`;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
