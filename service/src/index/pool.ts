import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { WorkerReply, WorkerRequest, Hits, WorkerStats } from './protocol.js';

export class WorkerError extends Error {
  constructor(message: string, readonly kind?: 'filter') {
    super(message);
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class IndexWorker {
  readonly worker: Worker;
  private seq = 0;
  private pending = new Map<number, Pending>();
  inflight = 0;
  searches = 0;
  lastError?: Error;

  constructor(url: URL, onExit: (code: number, err?: Error) => void) {
    // Under vitest/tsx the sources are .ts: register tsx's loader inside the worker first
    // (Node 20 does not pass --import hooks on to workers).
    if (url.pathname.endsWith('.ts')) {
      // The ESM entry of tsx's API (its require() entry cannot be import()ed from a worker).
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
      const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
      this.worker = new Worker(boot, { eval: true });
    } else {
      this.worker = new Worker(fileURLToPath(url));
    }
    this.worker.on('message', (r: WorkerReply) => {
      const p = this.pending.get(r.seq);
      if (!p) return;
      this.pending.delete(r.seq);
      this.inflight--;
      if (r.ok) p.resolve(r.result);
      else p.reject(new WorkerError(r.error, r.kind));
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
    this.inflight++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, req });
    });
  }
}

/**
 * N workers, each with a full replica. Writes go to every worker in the same order; a search
 * goes to the least busy one. hnswlib indexes are native objects that cannot be shared
 * between isolates, so replicas are the price of using every vCPU (see service/README.md).
 */
export class IndexPool {
  private workers: IndexWorker[] = [];
  private closing = false;
  private rr = 0;

  constructor(size: number, onCrash: (err: Error) => void) {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./worker.${ext}`, import.meta.url);
    for (let i = 0; i < size; i++) {
      this.workers.push(
        new IndexWorker(url, (code, err) => {
          if (!this.closing) onCrash(new Error(`index worker ${i} exited with code ${code}${err ? `: ${err.message}` : ''}`));
        }),
      );
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Applies a write to every replica; resolves when all have applied it. */
  async broadcast(req: WorkerRequest): Promise<void> {
    await Promise.all(this.workers.map((w) => w.send(req)));
  }

  async search(req: Extract<WorkerRequest, { op: 'search' }>): Promise<Hits> {
    // Least busy, ties broken round robin so idle replicas share the load too.
    const n = this.workers.length;
    this.rr = (this.rr + 1) % n;
    let best = this.workers[this.rr]!;
    for (let i = 1; i < n; i++) {
      const w = this.workers[(this.rr + i) % n]!;
      if (w.inflight < best.inflight) best = w;
    }
    best.searches++;
    return (await best.send(req)) as Hits;
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
