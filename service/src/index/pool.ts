import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { HnswBuild } from './hnswlib.js';
import type { WorkerData, WorkerReply, WorkerRequest, Hits, WorkerStats } from './protocol.js';

export class WorkerError extends Error {
  constructor(message: string, readonly kind?: 'filter') {
    super(message);
  }
}

/** Searches that can wait for a worker at once (a slot each in the shared claim array). */
const CLAIM_SLOTS = 1 << 16;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** A worker's reply to a search every worker was offered: the pool, not the worker, awaits it. */
type SharedReply = WorkerReply & { shared: true };

class IndexWorker {
  readonly worker: Worker;
  private seq = 0;
  private pending = new Map<number, Pending>();
  searches = 0;
  lastError?: Error;

  constructor(url: URL, workerData: WorkerData, onShared: (r: SharedReply, from: IndexWorker) => void, onExit: (code: number, err?: Error) => void) {
    // Under vitest/tsx the sources are .ts: register tsx's loader inside the worker first
    // (Node 20 does not pass --import hooks on to workers).
    if (url.pathname.endsWith('.ts')) {
      // The ESM entry of tsx's API (its require() entry cannot be import()ed from a worker).
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
      const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
      this.worker = new Worker(boot, { eval: true, workerData });
    } else {
      this.worker = new Worker(fileURLToPath(url), { workerData });
    }
    this.worker.on('message', (r: WorkerReply | SharedReply) => {
      if ('shared' in r) return onShared(r, this);
      const p = this.pending.get(r.seq);
      if (!p) return;
      this.pending.delete(r.seq);
      settle(p, r);
    });
    this.worker.on('error', (e) => {
      this.lastError = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
    this.worker.on('exit', (code) => onExit(code, this.lastError));
  }

  send(req: WorkerRequest): Promise<unknown> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, req });
    });
  }

  offer(ticket: number, slot: number, req: WorkerRequest): void {
    this.worker.postMessage({ seq: ticket, req, claim: slot });
  }
}

function settle(p: Pending, r: WorkerReply): void {
  if (r.ok) p.resolve(r.result);
  else p.reject(new WorkerError(r.error, r.kind));
}

/**
 * N workers, each with a full replica. Writes go to every worker in the same order. A search
 * is offered to every worker and run by the first that claims it (a compare-and-swap on a
 * shared slot), so the workers drain one queue: a worker the OS deschedules holds up one
 * search, not the share of the queue pushed to it. hnswlib indexes are native objects that
 * cannot be shared between isolates, so replicas are the price of using every vCPU (see
 * service/README.md).
 */
export class IndexPool {
  private workers: IndexWorker[] = [];
  private closing = false;
  private readonly claims = new Int32Array(new SharedArrayBuffer(4 * CLAIM_SLOTS));
  /** Slot -> the offered search waiting in it. */
  private offered = new Map<number, Pending & { ticket: number }>();
  private ticket = 0;

  constructor(size: number, onCrash: (err: Error) => void, hnswBuild: HnswBuild = 'portable') {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./worker.${ext}`, import.meta.url);
    const data: WorkerData = { claims: this.claims, hnswBuild };
    for (let i = 0; i < size; i++) {
      const w = new IndexWorker(url, data, (r, from) => this.onShared(r, from), (code, err) => {
        // A claimed search dies with its worker; the process restarts on onCrash, but nothing waits forever.
        for (const p of this.offered.values()) p.reject(err ?? new Error(`index worker ${i} exited`));
        this.offered.clear();
        if (!this.closing) onCrash(new Error(`index worker ${i} exited with code ${code}${err ? `: ${err.message}` : ''}`));
      });
      this.workers.push(w);
    }
  }

  private onShared(r: SharedReply, from: IndexWorker): void {
    const slot = r.seq & (CLAIM_SLOTS - 1);
    const p = this.offered.get(slot);
    if (!p || p.ticket !== r.seq) return;
    this.offered.delete(slot);
    from.searches++;
    settle(p, r);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Applies a write to every replica; resolves when all have applied it. */
  async broadcast(req: WorkerRequest): Promise<void> {
    await Promise.all(this.workers.map((w) => w.send(req)));
  }

  search(req: Extract<WorkerRequest, { op: 'search' }>): Promise<Hits> {
    if (this.offered.size >= CLAIM_SLOTS) return Promise.reject(new Error('too many searches in flight'));
    // Tickets are positive int32s; the slot is the ticket's low bits, skipping slots still in use.
    let ticket: number;
    do ticket = this.ticket = this.ticket >= 0x7fffffff ? 1 : this.ticket + 1;
    while (this.offered.has(ticket & (CLAIM_SLOTS - 1)));
    const slot = ticket & (CLAIM_SLOTS - 1);
    return new Promise<Hits>((resolve, reject) => {
      this.offered.set(slot, { ticket, resolve: resolve as (v: unknown) => void, reject });
      Atomics.store(this.claims, slot, ticket);
      // Each worker in turn is offered first, so when idle they share the load rather than the first always winning.
      const n = this.workers.length;
      for (let i = 0; i < n; i++) this.workers[(ticket + i) % n]!.offer(ticket, slot, req);
    });
  }

  /** One request to the first replica (they are identical): e.g. writing its graph to a file. */
  async first(req: WorkerRequest): Promise<unknown> {
    return this.workers[0]!.send(req);
  }

  /** Searches served per worker since start (shows that every replica takes load). */
  searchCounts(): number[] {
    return this.workers.map((w) => w.searches);
  }

  async stats(): Promise<WorkerStats[]> {
    return (await Promise.all(this.workers.map((w) => w.send({ op: 'stats' })))) as WorkerStats[];
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
