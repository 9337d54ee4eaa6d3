import { operationError, toEmuError } from './errors.js';
import type { Collection, OperationRecord, Operations, Store } from './types.js';

type Completer = (op: OperationRecord) => unknown | Promise<unknown>;
type StoredOp = OperationRecord & { kind?: string };

const COLLECTION = '__operations';

/**
 * Long-running operations. The record is persisted; `complete` runs once, when the
 * timer fires or when a reader finds the operation due, whichever comes first. After a
 * restart the closure is gone, so the operation's registered `kind` completer runs
 * instead (operations due while the emulator was stopped complete right after load).
 */
export class OperationBook implements Operations {
  private readonly col: Collection<StoredOp>;
  private readonly closures = new Map<string, () => unknown | Promise<unknown>>();
  private readonly completers = new Map<string, Completer>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    store: Store,
    private readonly latencyScale: () => number,
    private readonly now: () => Date,
  ) {
    this.col = store.collection<StoredOp>(COLLECTION);
  }

  registerCompleter(kind: string, complete: Completer): void {
    this.completers.set(kind, complete);
  }

  start(opts: { name: string; api: string; baseMs: number; meta?: Record<string, unknown>; complete: () => unknown | Promise<unknown>; kind?: string }): OperationRecord {
    const delay = Math.max(0, Math.round(opts.baseMs * this.latencyScale()));
    const rec: StoredOp = {
      name: opts.name,
      api: opts.api,
      createdAt: this.now().toISOString(),
      doneAt: Date.now() + delay,
      done: false,
      meta: opts.meta ?? {},
      ...(opts.kind ? { kind: opts.kind } : {}),
    };
    this.col.put(opts.name, rec);
    this.closures.set(opts.name, opts.complete);
    this.schedule(rec);
    return structuredClone(rec);
  }

  private schedule(rec: StoredOp): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(rec.name);
      void this.complete(rec.name);
    }, Math.max(0, rec.doneAt - Date.now()));
    t.unref();
    this.timers.set(rec.name, t);
  }

  /** Runs the completion exactly once, even with a timer and several readers racing. */
  private complete(name: string): Promise<void> {
    const running = this.inflight.get(name);
    if (running) return running;
    const p = (async () => {
      const rec = this.col.peek(name);
      if (!rec || rec.done) return;
      const closure = this.closures.get(name);
      const completer = rec.kind ? this.completers.get(rec.kind) : undefined;
      try {
        let response: unknown;
        if (closure) response = await closure();
        else if (completer) response = await completer(rec);
        else throw new Error(`operation ${name} cannot be resumed after a restart: no completer registered for kind '${rec.kind ?? ''}'`);
        // The closure may have looked at the record; re-read in case it was deleted meanwhile.
        const latest = this.col.peek(name);
        if (!latest) return;
        latest.done = true;
        if (response !== undefined) latest.response = response;
        this.col.put(name, latest);
      } catch (e) {
        const latest = this.col.peek(name);
        if (!latest) return;
        latest.done = true;
        latest.error = operationError(toEmuError(e));
        this.col.put(name, latest);
      } finally {
        this.closures.delete(name);
        const t = this.timers.get(name);
        if (t) clearTimeout(t);
        this.timers.delete(name);
      }
    })();
    this.inflight.set(name, p);
    void p.finally(() => this.inflight.delete(name));
    return p;
  }

  async get(name: string): Promise<OperationRecord | undefined> {
    const rec = this.col.peek(name);
    if (!rec) return undefined;
    if (!rec.done && rec.doneAt <= Date.now()) await this.complete(name);
    else if (this.inflight.has(name)) await this.inflight.get(name);
    return this.col.peek(name);
  }

  async wait(name: string, timeoutMs: number): Promise<OperationRecord | undefined> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      const rec = await this.get(name);
      if (!rec || rec.done) return rec;
      const left = deadline - Date.now();
      if (left <= 0) return rec;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(left, rec.doneAt - Date.now(), 250))));
    }
  }

  async list(prefix: string): Promise<OperationRecord[]> {
    const out: OperationRecord[] = [];
    for (const rec of this.col.peekAll(prefix)) {
      const cur = await this.get(rec.name);
      if (cur) out.push(cur);
    }
    return out;
  }

  delete(name: string): boolean {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
    this.closures.delete(name);
    return this.col.delete(name);
  }

  /** After a load: finish what fell due while stopped, re-arm the rest. */
  resume(): void {
    this.stopped = false;
    for (const rec of this.col.peekAll()) {
      if (rec.done) continue;
      if (rec.doneAt <= Date.now()) void this.complete(rec.name);
      else this.schedule(rec);
    }
  }

  /** Pending completions (so stop() can let them land before the final flush). */
  async settle(): Promise<void> {
    await Promise.all([...this.inflight.values()]);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  clear(): void {
    this.stop();
    this.closures.clear();
    this.stopped = false;
  }
}
