import type { RequestLogEntry } from './types.js';

export interface RequestFilter {
  api?: string;
  write?: boolean;
  method?: string;
  /** Only entries whose path contains this. */
  path?: string;
  /** Entries after this sequence number. */
  since?: number;
}

/** In-memory ring of recent requests; tests and benchmarks count reads vs writes from it. */
export class RequestLog {
  private readonly items: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 20000) {}

  add(e: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const entry = { seq: ++this.seq, ...e };
    this.items.push(entry);
    if (this.items.length > this.capacity) this.items.shift();
    return entry;
  }

  entries(f: RequestFilter = {}): RequestLogEntry[] {
    return this.items.filter(
      (e) =>
        (f.api === undefined || e.api === f.api) &&
        (f.write === undefined || e.write === f.write) &&
        (f.method === undefined || e.method === f.method.toUpperCase()) &&
        (f.path === undefined || e.path.includes(f.path)) &&
        (f.since === undefined || e.seq > f.since),
    );
  }

  count(f: RequestFilter = {}): number {
    return this.entries(f).length;
  }

  /** Sequence number of the latest entry: pass it as `since` to count what follows. */
  mark(): number {
    return this.seq;
  }

  clear(): void {
    this.items.length = 0;
  }
}
