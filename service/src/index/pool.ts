import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { HnswBuild } from './hnswlib.js';
import { HALTED, IN_SEARCH, type WorkerData, type WorkerReply, type WorkerRequest, type Hits, type WorkerStats } from './protocol.js';

type SearchRequest = Extract<WorkerRequest, { op: 'search' }>;
/** A search as the engine asks for it: the query vectors one by one. */
export type SearchCall = Omit<SearchRequest, 'queries'> & { queries: ArrayLike<number>[] };

export interface PoolOptions {
  /** Blocks in the shared query arena (searches in flight that can use it). */
  arenaBlocks?: number;
  /** Floats per block: a search whose queries take more goes in the message instead. */
  blockFloats?: number;
}

export class WorkerError extends Error {
  constructor(message: string, readonly kind?: 'filter') {
    super(message);
  }
}

/** Searches that can wait for a worker at once (a slot each in the shared claim array). */
const CLAIM_SLOTS = 1 << 16;
/**
 * 512 blocks of 16 KB (8 MB shared): a block holds one query of up to 4,096 dimensions or a
 * 16-query batch of 256. More in flight, or bigger, travel in the message.
 */
const ARENA_BLOCKS = 512;
const BLOCK_FLOATS = 4096;

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
  private readonly haltState = new Int32Array(new SharedArrayBuffer(4 * 2));
  /** Slot -> the offered search waiting in it, and the arena block its queries are in (-1: none). */
  private offered = new Map<number, Pending & { ticket: number; block: number }>();
  private ticket = 0;
  private readonly arena: Float32Array;
  private readonly blockFloats: number;
  /** Arena blocks not holding an offered search's queries. */
  private readonly freeBlocks: number[];

  constructor(size: number, onCrash: (err: Error) => void, hnswBuild: HnswBuild = 'portable', opts: PoolOptions = {}) {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./worker.${ext}`, import.meta.url);
    const blocks = opts.arenaBlocks ?? ARENA_BLOCKS;
    this.blockFloats = opts.blockFloats ?? BLOCK_FLOATS;
    this.arena = new Float32Array(new SharedArrayBuffer(4 * blocks * this.blockFloats));
    this.freeBlocks = Array.from({ length: blocks }, (_, i) => blocks - 1 - i);
    const data: WorkerData = { claims: this.claims, arena: this.arena, blockFloats: this.blockFloats, hnswBuild, halt: this.haltState };
    for (let i = 0; i < size; i++) {
      const w = new IndexWorker(url, data, (r, from) => this.onShared(r, from), (code, err) => {
        // A claimed search dies with its worker; the process restarts on onCrash, but nothing waits forever.
        for (const p of this.offered.values()) {
          if (p.block >= 0) this.freeBlocks.push(p.block);
          p.reject(err ?? new Error(`index worker ${i} exited`));
        }
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
    if (p.block >= 0) this.freeBlocks.push(p.block);
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

  search(call: SearchCall): Promise<Hits> {
    if (this.offered.size >= CLAIM_SLOTS) return Promise.reject(new Error('too many searches in flight'));
    let floats = 0;
    for (const q of call.queries) floats += q.length;
    let block = -1;
    let queries: SearchRequest['queries'];
    if (floats <= this.blockFloats && this.freeBlocks.length > 0) {
      block = this.freeBlocks.pop()!;
      let at = block * this.blockFloats;
      for (const q of call.queries) {
        this.arena.set(q, at);
        at += q.length;
      }
      queries = { block, floats };
    } else {
      const flat: number[] = [];
      for (const q of call.queries) for (let j = 0; j < q.length; j++) flat.push(q[j]!);
      queries = flat;
    }
    const req: SearchRequest = { ...call, queries };
    // Tickets are positive int32s; the slot is the ticket's low bits, skipping slots still in use.
    let ticket: number;
    do ticket = this.ticket = this.ticket >= 0x7fffffff ? 1 : this.ticket + 1;
    while (this.offered.has(ticket & (CLAIM_SLOTS - 1)));
    const slot = ticket & (CLAIM_SLOTS - 1);
    return new Promise<Hits>((resolve, reject) => {
      this.offered.set(slot, { ticket, block, resolve: resolve as (v: unknown) => void, reject });
      // Seq-cst: the arena writes above are visible to whichever worker's compare-and-swap takes the slot.
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

  /** Arena blocks free now: all of them whenever no search is in flight. */
  get arenaBlocksFree(): number {
    return this.freeBlocks.length;
  }

  /** Searches served per worker since start (shows that every replica takes load). */
  searchCounts(): number[] {
    return this.workers.map((w) => w.searches);
  }

  async stats(): Promise<WorkerStats[]> {
    return (await Promise.all(this.workers.map((w) => w.send({ op: 'stats' })))) as WorkerStats[];
  }

  /**
   * Before a hard exit: stops every search at its next filter call and starts no new one, and
   * resolves once no worker is inside hnswlib's search (true), or after maxWaitMs (false).
   * Exiting while a worker is in there aborts the process instead (see worker.ts).
   */
  async halt(maxWaitMs: number): Promise<boolean> {
    Atomics.store(this.haltState, HALTED, 1);
    const end = performance.now() + maxWaitMs;
    while (Atomics.load(this.haltState, IN_SEARCH) !== 0) {
      if (performance.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
