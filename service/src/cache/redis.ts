import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';

/** The seed's TTLs (infrastructure-design.md 2.2). */
export const TTL = { vector: 3600, meta: 3600, search: 60, hnsw: 7200 } as const;

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
  private localCounts = new Map<string, number>();
  private localWindow = 0;
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
   * One round trip: count this request against the user's window, and read the search cache
   * entry and the collection's write generation (the cached entry is valid only if the
   * generation it was computed at is still current: that is how writes invalidate it).
   */
  async searchGate(
    user: string,
    limit: number,
    windowSec: number,
    searchKey: string | undefined,
    genKey: string | undefined,
  ): Promise<{ rate: RateDecision; cached?: string; gen: string }> {
    const nowSec = Math.floor(Date.now() / 1000);
    const window = nowSec - (nowSec % windowSec);
    const retryAfterSec = window + windowSec - nowSec;
    if (this.up) {
      try {
        const p = this.redis.multi();
        const rk = `ratelimit:${user}:${window}`;
        p.incr(rk);
        p.expire(rk, windowSec, 'NX');
        if (searchKey && genKey) {
          p.get(searchKey);
          p.get(genKey);
        }
        const res = await p.exec();
        if (res) {
          const count = Number(res[0]?.[1] ?? 0);
          const cached = searchKey ? (res[2]?.[1] as string | null) : null;
          const gen = searchKey ? ((res[3]?.[1] as string | null) ?? '0') : '0';
          return {
            rate: { allowed: count <= limit, remaining: Math.max(0, limit - count), retryAfterSec, local: false },
            cached: cached ?? undefined,
            gen,
          };
        }
      } catch {
        // fall through to the local decision
      }
    }
    return { rate: this.localRate(user, limit, window, retryAfterSec), gen: 'offline' };
  }

  /** Per-instance fixed window used while Redis is away: looser (per instance) but never unlimited. */
  private localRate(user: string, limit: number, window: number, retryAfterSec: number): RateDecision {
    if (window !== this.localWindow) {
      this.localWindow = window;
      this.localCounts.clear();
    }
    const n = (this.localCounts.get(user) ?? 0) + 1;
    this.localCounts.set(user, n);
    return { allowed: n <= limit, remaining: Math.max(0, limit - n), retryAfterSec, local: true };
  }

  /** Fire and forget: a failed cache write is only a future miss. */
  set(key: string, value: string | Buffer, ttl: number): void {
    if (!this.up) return;
    this.redis.set(key, value, 'EX', ttl).catch(() => {});
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
    this.redis.disconnect();
  }
}
