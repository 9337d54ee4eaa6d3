import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';

/** The seed's TTLs (infrastructure-design.md 2.2). */
export const TTL = { vector: 3600, meta: 3600, search: 60, hnsw: 7200 } as const;

const FLUSH_MS = 50;

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSec: number;
  /** True when Redis was unreachable and the in-process counter decided. */
  local: boolean;
}

/**
 * Redis as a cache only: every call has a short timeout and failures fall back (cache miss,
 * in-process rate counter), so Redis being down slows the service but never stops it.
 * ioredis reconnects forever in the background; `up` tracks whether it is usable now.
 */
export class Cache {
  readonly redis: Redis;
  private rates = new Map<string, { window: number; windowSec: number; pending: number; global: number }>();
  private dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout;
  private closed = false;

  constructor(cfg: ServiceConfig['redis'], private log: Logger) {
    this.redis = new Redis({
      host: cfg.host,
      port: cfg.port,
      password: cfg.password,
      keyPrefix: cfg.keyPrefix,
      lazyConnect: false,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      connectTimeout: 1000,
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    this.redis.on('error', () => {});
    this.flushTimer = setInterval(() => void this.flushRates(), FLUSH_MS);
    this.flushTimer.unref();
    this.redis.on('ready', () => this.log.info('redis connected'));
    let wasUp = false;
    this.redis.on('ready', () => (wasUp = true));
    this.redis.on('close', () => {
      if (wasUp && !this.closed) this.log.warn('redis connection lost; serving without cache until it returns');
      wasUp = false;
    });
  }

  get up(): boolean {
    return this.redis.status === 'ready';
  }

  async ping(): Promise<boolean> {
    if (!this.up) return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /**
   * Per-user fixed-window rate limit, decided locally and synchronously: counts are pushed to
   * the shared ratelimit:{user}:{window} keys every FLUSH_MS and the global totals read back.
   * A request never waits on Redis; across N instances the limit can be overshot by at most
   * what N instances admit in one flush interval. With Redis down each instance enforces the
   * limit on its own traffic. `cost` is what the request spends of the limit (its queries, or
   * the ids it reads): a request that would take the count past the limit is refused whole.
   */
  rateLimit(user: string, limit: number, windowSec: number, cost = 1): RateDecision {
    const nowSec = Math.floor(Date.now() / 1000);
    const window = nowSec - (nowSec % windowSec);
    const retryAfterSec = window + windowSec - nowSec;
    let st = this.rates.get(user);
    if (!st || st.window !== window) {
      st = { window, windowSec, pending: 0, global: 0 };
      this.rates.set(user, st);
    }
    const used = st.global + st.pending;
    if (used + cost > limit) return { allowed: false, remaining: Math.max(0, limit - used), retryAfterSec, local: !this.up };
    st.pending += cost;
    this.dirty.add(user);
    return { allowed: true, remaining: limit - used - cost, retryAfterSec, local: !this.up };
  }

  private async flushRates(): Promise<void> {
    const nowSec = Math.floor(Date.now() / 1000);
    for (const [u, st] of this.rates) if (st.window + st.windowSec <= nowSec && !this.dirty.has(u)) this.rates.delete(u);
    if (!this.up || this.dirty.size === 0) return;
    const users = [...this.dirty];
    this.dirty.clear();
    const sent = users.map((u) => this.rates.get(u)!);
    const deltas = sent.map((st) => st.pending);
    const p = this.redis.pipeline();
    users.forEach((u, i) => {
      const key = `ratelimit:${u}:${sent[i]!.window}`;
      p.incrby(key, deltas[i]!);
      p.expire(key, sent[i]!.windowSec, 'NX');
    });
    try {
      const res = await p.exec();
      users.forEach((_u, i) => {
        const st = sent[i]!;
        const total = Number(res?.[i * 2]?.[1]);
        st.pending -= deltas[i]!;
        if (Number.isFinite(total)) st.global = total;
      });
    } catch {
      for (const u of users) this.dirty.add(u); // retry the same deltas next flush
    }
  }

  /** Reads a cached search and the collection's write generation in one round trip. */
  async lookupSearch(searchKey: string, genKey: string): Promise<{ cached?: string; gen: string }> {
    if (!this.up) return { gen: 'offline' };
    try {
      const [cached, gen] = await this.redis.mget(searchKey, genKey);
      return { cached: cached ?? undefined, gen: gen ?? '0' };
    } catch {
      return { gen: 'offline' };
    }
  }

  /** Fire and forget: a failed cache write is only a future miss. */
  set(key: string, value: string | Buffer, ttl: number): void {
    if (!this.up) return;
    this.redis.set(key, value, 'EX', ttl).catch(() => {});
  }

  /**
   * Writes many expiring keys, `chunk` per pipeline, awaiting each so a large batch never
   * queues more than one chunk in memory or on the socket. Stops at the first failed chunk
   * (Redis gone): the rest would only fail too. Returns how many keys were written.
   */
  async setMany(entries: Iterable<[key: string, value: string | Buffer]>, ttl: number, chunk = 1000): Promise<{ written: number; complete: boolean }> {
    let written = 0;
    let batch: [string, string | Buffer][] = [];
    const flush = async (): Promise<boolean> => {
      if (!this.up) return false;
      const p = this.redis.pipeline();
      for (const [k, v] of batch) p.set(k, v, 'EX', ttl);
      try {
        const res = await p.exec();
        if (!res || res.some(([err]) => err)) return false;
      } catch {
        return false;
      }
      written += batch.length;
      batch = [];
      return true;
    };
    for (const e of entries) {
      batch.push(e);
      if (batch.length >= chunk && !(await flush())) return { written, complete: false };
    }
    if (batch.length && !(await flush())) return { written, complete: false };
    return { written, complete: true };
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (!this.up || keys.length === 0) return keys.map(() => null);
    try {
      return await this.redis.mget(keys);
    } catch {
      return keys.map(() => null);
    }
  }

  async mgetBuffer(keys: string[]): Promise<(Buffer | null)[]> {
    if (!this.up || keys.length === 0) return keys.map(() => null);
    try {
      return await this.redis.mgetBuffer(keys);
    } catch {
      return keys.map(() => null);
    }
  }

  /**
   * Invalidates the collection's cached searches (bumps its generation) and drops the written
   * ids' vector:/meta: entries. If Redis is down the generation cannot move, so entries written
   * before the outage could be served after it: they expire within the seed's 60 s search TTL,
   * and `gen` is read as 'offline' meanwhile so nothing new is cached against a stale one.
   */
  async invalidate(genKey: string, idKeys: string[]): Promise<void> {
    if (!this.up) return;
    try {
      const p = this.redis.multi();
      p.incr(genKey);
      if (idKeys.length) p.unlink(...idKeys);
      await p.exec();
    } catch {
      // nothing to do: TTLs bound staleness
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    this.redis.disconnect();
  }
}
