import type pg from 'pg';
import type { Logger } from 'pino';
import { AnalyticsRows } from './analytics-rows.js';

export interface QueryEvent {
  type: string;
  latencyMs: number;
  user?: string;
  cacheHit?: boolean;
  resultCount?: number;
  errorCode?: string;
}

const MAX_BUFFER = 20_000;
/** Rows per AnalyticsRows block; full blocks wait in `pending` for the next flush. */
const BLOCK_ROWS = 2048;
/**
 * Rows per statement. Building a statement's parameters is synchronous main-thread work that
 * every in-flight request waits behind: 1,000 rows (with JS Dates and UUIDs) stalled the event
 * loop for several ms each second under load, which was the p99 of a search.
 */
const FLUSH_ROWS = 250;

/**
 * Buffers query analytics and rate-limit counts in memory and writes them in multi-row
 * statements on a timer, so no request ever waits on an analytics insert.
 */
export class Analytics {
  /** Ids and timestamps are made by Postgres, not here: see FLUSH_ROWS. */
  private rows = new AnalyticsRows(BLOCK_ROWS);
  /** Blocks taken for writing, oldest first; a block stays until all its rows are written. */
  private pending: AnalyticsRows[] = [];
  private buffered = 0;
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private pool: pg.Pool,
    private region: string,
    private log: Logger,
    private onDrop: () => void,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  record(e: QueryEvent): void {
    if (this.buffered >= MAX_BUFFER) {
      this.onDrop();
      return;
    }
    if (this.rows.full) this.take();
    this.rows.push(e, Date.now());
    this.buffered++;
  }

  private take(): void {
    if (this.rows.length === 0) return;
    this.pending.push(this.rows);
    this.rows = new AnalyticsRows(BLOCK_ROWS);
  }

  /** Counts a rate-limited request against the user's minute (the seed's rate_limits table). */
  countRequest(user: string, windowStart: number): void {
    const key = `${user}\u0000${windowStart}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /**
   * A read replica cannot store analytics: keep counting in /metrics, drop the rows here
   * (the primary region's services record their own).
   */
  private readOnly = false;

  setReadOnly(): void {
    this.readOnly = true;
    this.log.info('database is a read replica: query analytics are not stored in this region');
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.doFlush()).catch((e: Error) => this.log.warn({ err: e.message }, 'analytics flush failed'));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    if (this.readOnly) {
      this.rows = new AnalyticsRows(BLOCK_ROWS);
      this.pending = [];
      this.buffered = 0;
      this.counts.clear();
      return;
    }
    this.take();
    while (this.pending.length > 0) {
      const block = this.pending[0]!;
      while (block.sent < block.length) {
        const to = Math.min(block.sent + FLUSH_ROWS, block.length);
        // One JSON parameter, not eight arrays: pg turns each array into its text form element
        // by element, which was ~5% of everything the main thread allocated under load.
        await this.pool.query(
          `INSERT INTO query_analytics_partitioned (query_id, timestamp, region, user_id, query_type, latency_ms, cache_hit, result_count, error_code)
           SELECT gen_random_uuid()::text, to_timestamp(u.at / 1000.0), $1, u."user", u.type, u."latencyMs", u."cacheHit", u."resultCount", u."errorCode"
           FROM json_to_recordset($2::json)
             AS u(at float8, "user" text, type text, "latencyMs" float8, "cacheHit" bool, "resultCount" int, "errorCode" text)`,
          [this.region, block.json(block.sent, to)],
        );
        this.buffered -= to - block.sent;
        block.sent = to;
      }
      this.pending.shift();
    }
    if (this.counts.size > 0) {
      const entries = [...this.counts];
      this.counts.clear();
      await this.pool.query(
        `INSERT INTO rate_limits (user_id, window_start, request_count)
         SELECT u.uid, to_timestamp(u.w), u.n FROM unnest($1::text[], $2::bigint[], $3::int[]) AS u(uid, w, n)
         ON CONFLICT (user_id, window_start) DO UPDATE SET request_count = rate_limits.request_count + EXCLUDED.request_count`,
        [entries.map(([k]) => k.split('\u0000')[0]), entries.map(([k]) => Number(k.split('\u0000')[1])), entries.map(([, n]) => n)],
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
