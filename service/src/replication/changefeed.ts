import type { Logger } from 'pino';
import type { Engine } from '../engine.js';
import type { Seq } from '../store/vectors.js';

const PAGE = 5000;
/** A cold start replaying fewer rows than this inserts them into every replica directly. */
const BULK_MIN_ROWS = 1000;

/**
 * Tails vector_metadata by seq. Used three ways: the cold start (snapshot watermark -> now),
 * keeping every instance of a region in step (they share one Postgres and one search
 * endpoint, but Pub/Sub pushes each message to only one of them), and as the safety net
 * for lost replication messages. Applying is idempotent (last writer wins), so re-reading
 * rows is harmless; the watermark only moves past rows old enough that no transaction that
 * took a lower seq can still be in flight.
 */
export class ChangeFeed {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private engine: Engine,
    private log: Logger,
    /** Told, per page, how many rows were already held here and how many were fetched. */
    private counted: (known: number, fetched: number) => void = () => {},
    public watermark: Seq = 0n,
  ) {}

  /**
   * The cold start's replay, nothing served meanwhile. When it is large against what the
   * index already holds (a tenth or more: no snapshot, or an old one) one replica builds it
   * and the others load a copy (Engine.bulkLoad); a short replay after a snapshot's graphs
   * goes to every replica, which is cheaper than copying the whole graph.
   */
  async coldStart(): Promise<number> {
    const behind = await this.engine.store.countSince(this.watermark);
    const held = Object.values(this.engine.indexSizes()).reduce((a, b) => a + b, 0);
    if (behind >= BULK_MIN_ROWS && behind * 10 >= held) return this.engine.bulkLoad(() => this.catchUp(false));
    return this.catchUp(false);
  }

  async catchUp(invalidate: boolean): Promise<number> {
    let cursor = this.watermark;
    let settledUpTo = this.watermark;
    let blocked = false;
    let total = 0;
    for (;;) {
      const rows = await this.engine.store.changesSince(cursor, PAGE);
      if (rows.length === 0) break;
      const news = new Map<string, string[]>();
      for (const r of rows) {
        if (!this.engine.isNews(r)) continue;
        const ids = news.get(r.collection);
        if (ids) ids.push(r.id);
        else news.set(r.collection, [r.id]);
      }
      let fetched = 0;
      for (const [collection, ids] of news) {
        fetched += ids.length;
        total += await this.engine.applyRows(await this.engine.store.get(collection, ids, true), invalidate);
      }
      this.counted(rows.length - fetched, fetched);
      for (const r of rows) {
        if (!r.settled) blocked = true;
        if (!blocked) settledUpTo = r.seq;
      }
      cursor = rows[rows.length - 1]!.seq;
      if (rows.length < PAGE) break;
    }
    this.watermark = settledUpTo;
    return total;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const tick = () => {
      this.running = this.engine
        .syncCollections()
        .then(() => this.catchUp(true))
        .then((n) => {
          if (n > 0) this.log.debug({ applied: n }, 'change feed applied rows');
        })
        .catch((e: Error) => this.log.warn({ err: e.message }, 'change feed poll failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.running;
  }
}
