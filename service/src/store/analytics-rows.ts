import type { QueryEvent } from './analytics.js';

/**
 * Query analytics rows waiting for their INSERT, stored column by column in typed arrays, with
 * strings (query type, user, error code) interned. A row costs no object on the JS heap: one
 * object per query, alive until the next flush (up to a second), was the largest share of what
 * the main thread's young-generation GC had to copy and promote under search load.
 */
export class AnalyticsRows {
  private readonly at: Float64Array;
  private readonly latency: Float64Array;
  /** -1 = null */
  private readonly results: Int32Array;
  /** -1 = null, 0 = false, 1 = true */
  private readonly hit: Int8Array;
  /** Indexes into `strings`; 0 = null. */
  private readonly type: Uint32Array;
  private readonly user: Uint32Array;
  private readonly error: Uint32Array;
  private readonly strings: (string | null)[] = [null];
  private readonly ids = new Map<string, number>();
  length = 0;
  /** Rows already written to Postgres (a flush that failed part way resumes here). */
  sent = 0;

  constructor(readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.latency = new Float64Array(capacity);
    this.results = new Int32Array(capacity);
    this.hit = new Int8Array(capacity);
    this.type = new Uint32Array(capacity);
    this.user = new Uint32Array(capacity);
    this.error = new Uint32Array(capacity);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  private intern(s: string | undefined): number {
    if (s === undefined) return 0;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** at: epoch ms. The caller checks `full` first. */
  push(e: QueryEvent, at: number): void {
    const i = this.length++;
    this.at[i] = at;
    this.latency[i] = e.latencyMs;
    this.results[i] = e.resultCount ?? -1;
    this.hit[i] = e.cacheHit === undefined ? -1 : e.cacheHit ? 1 : 0;
    this.type[i] = this.intern(e.type);
    this.user[i] = this.intern(e.user);
    this.error[i] = this.intern(e.errorCode);
  }

  /** Rows [from, to) as a JSON array of objects, for json_to_recordset. */
  json(from: number, to: number): string {
    const out = [];
    for (let i = from; i < to; i++) {
      out.push({
        at: this.at[i],
        user: this.strings[this.user[i]!],
        type: this.strings[this.type[i]!],
        latencyMs: this.latency[i],
        cacheHit: this.hit[i] === -1 ? null : this.hit[i] === 1,
        resultCount: this.results[i] === -1 ? null : this.results[i],
        errorCode: this.strings[this.error[i]!],
      });
    }
    return JSON.stringify(out);
  }
}
