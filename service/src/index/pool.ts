import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { HnswBuild } from './hnswlib.js';
import { HALTED, IN_SEARCH, type WorkerData, type WorkerReply, type WorkerRequest, type Hits, type WorkerStats, type WorkerErrorKind } from './protocol.js';

type SearchRequest = Extract<WorkerRequest, { op: 'search' }>;
/** A search as the engine asks for it: the query vectors one by one; the pool sets the deadline. */
export type SearchCall = Omit<SearchRequest, 'queries' | 'deadline'> & { queries: ArrayLike<number>[] };

export interface PoolOptions {
  /** Blocks in the shared query arena (searches in flight that can use it). */
  arenaBlocks?: number;
  /** Floats per block: a search whose queries take more goes in the message instead. */
  blockFloats?: number;
  /** A search not answered this long after it was offered is answered 'timeout' and its slot freed (SEARCH_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Queries in flight past which a new search is refused 'overloaded' (SEARCH_QUEUE_QUERIES); one search alone is always let in. */
  queueQueries?: number;
  /**
   * A new search is refused 'overloaded' when the searches ahead of it would take this long by
   * recent worker time per query, or the oldest one no worker has taken has waited this long (SEARCH_QUEUE_WAIT_MS).
   */
  queueWaitMs?: number;
  /** A worker on one message this long, or a search in flight this long past its deadline, makes the pool wedged (POOL_WEDGED_MS). */
  wedgedMs?: number;
}

export class WorkerError extends Error {
  constructor(message: string, readonly kind?: WorkerErrorKind) {
    super(message);
  }
}

/**
 * A search the pool refused or gave up on, its slot and arena block already free:
 * 'overloaded' (the queue is past its bound), 'timeout' (not answered by its deadline).
 */
export class SearchRefused extends Error {
  constructor(message: string, readonly kind: 'overloaded' | 'timeout') {
    super(message);
  }
}

export interface PoolHealth {
  /** Searches offered and not yet answered by a worker (including those whose caller was already answered 'timeout'). */
  searches: number;
  /** Their queries. */
  queries: number;
  arenaBlocksFree: number;
  /** Why the pool cannot serve searches, when it cannot. */
  wedged?: string;
}

/** Searches that can wait for a worker at once (a slot each in the shared claim array). */
const CLAIM_SLOTS = 1 << 16;
const TIMEOUT_MS = 5_000;
const QUEUE_QUERIES = 20_000;
const QUEUE_WAIT_MS = 1_000;
const WEDGED_MS = 30_000;
/** How many of the oldest searches in flight are looked at to find the oldest not yet taken. */
const QUEUE_PROBE = 64;
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

/** A search offered to the workers, from its offer until a worker answers it or the pool withdraws it. */
interface Offered extends Pending {
  ticket: number;
  /** Arena block holding its queries (-1: none). */
  block: number;
  queries: number;
  /** Date.now() when offered, and its deadline. */
  at: number;
  deadline: number;
  /** The caller has been answered (timeout) while a worker still runs it: the slot and block stay taken until it answers. */
  abandoned: boolean;
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
      try {
        this.worker.postMessage({ seq, req });
      } catch (e) {
        this.pending.delete(seq);
        throw e;
      }
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
  /** Slot -> the offered search waiting in it, oldest first (a Map keeps insertion order). */
  private offered = new Map<number, Offered>();
  private ticket = 0;
  private readonly arena: Float32Array;
  private readonly blockFloats: number;
  /** Arena blocks not holding an offered search's queries. */
  private readonly freeBlocks: number[];
  /** Queries of the searches in `offered`. */
  private queries = 0;
  /** Recent worker time per query (µs, a moving average of answered searches): what the queue ahead of a new search will take. */
  private microsPerQuery = 100;
  private readonly busy: Int32Array;
  private readonly epoch = Date.now();
  private readonly sweeper: NodeJS.Timeout;
  readonly timeoutMs: number;
  readonly queueQueries: number;
  readonly queueWaitMs: number;
  readonly wedgedMs: number;

  constructor(size: number, onCrash: (err: Error) => void, hnswBuild: HnswBuild = 'portable', opts: PoolOptions = {}) {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./worker.${ext}`, import.meta.url);
    const blocks = opts.arenaBlocks ?? ARENA_BLOCKS;
    this.blockFloats = opts.blockFloats ?? BLOCK_FLOATS;
    this.timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
    this.queueQueries = opts.queueQueries ?? QUEUE_QUERIES;
    this.queueWaitMs = opts.queueWaitMs ?? QUEUE_WAIT_MS;
    this.wedgedMs = opts.wedgedMs ?? WEDGED_MS;
    this.arena = new Float32Array(new SharedArrayBuffer(4 * blocks * this.blockFloats));
    this.freeBlocks = Array.from({ length: blocks }, (_, i) => blocks - 1 - i);
    this.busy = new Int32Array(new SharedArrayBuffer(8 * size));
    for (let i = 0; i < size; i++) {
      const data: WorkerData = { claims: this.claims, arena: this.arena, blockFloats: this.blockFloats, hnswBuild, halt: this.haltState, busy: this.busy, epoch: this.epoch, worker: i };
      const w = new IndexWorker(url, data, (r, from) => this.onShared(r, from), (code, err) => {
        // A claimed search dies with its worker; the process restarts on onCrash, but nothing waits forever.
        for (const slot of [...this.offered.keys()]) this.release(slot)?.reject(err ?? new Error(`index worker ${i} exited`));
        if (!this.closing) onCrash(new Error(`index worker ${i} exited with code ${code}${err ? `: ${err.message}` : ''}`));
      });
      this.workers.push(w);
    }
    // One timer for all deadlines rather than one per search (thousands a second).
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(5, Math.min(100, this.timeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Frees a search's slot and arena block; returns it unless its caller has already been answered. */
  private release(slot: number): Offered | undefined {
    const p = this.offered.get(slot);
    if (!p) return undefined;
    this.offered.delete(slot);
    if (p.block >= 0) this.freeBlocks.push(p.block);
    this.queries -= p.queries;
    return p.abandoned ? undefined : p;
  }

  /**
   * Takes back a search no worker has claimed (the claim slot still holds its ticket): every
   * worker will drop its offer, so the slot and block are free at once. False when a worker
   * has it: it answers by its deadline (the worker checks it too).
   */
  private withdraw(slot: number, ticket: number): boolean {
    return Atomics.compareExchange(this.claims, slot, ticket, 0) === ticket;
  }

  /** Answers searches past their deadline: withdrawn if no worker has them, else abandoned until their worker answers. */
  private expire(now: number): void {
    for (const [slot, p] of this.offered) {
      // Offered in deadline order (one timeout for all), so the first not yet due ends the sweep.
      if (p.deadline > now) break;
      if (p.abandoned) continue;
      const err = this.timedOut();
      if (this.withdraw(slot, p.ticket)) this.release(slot)?.reject(err);
      else {
        p.abandoned = true;
        p.reject(err);
      }
    }
  }

  private onShared(r: SharedReply, from: IndexWorker): void {
    const slot = r.seq & (CLAIM_SLOTS - 1);
    const p = this.offered.get(slot);
    if (!p || p.ticket !== r.seq) return;
    from.searches++;
    if (r.ok) {
      const { searchMicros, offsets } = r.result as Hits;
      const n = offsets.length - 1;
      if (n > 0) this.microsPerQuery += 0.05 * (searchMicros / n - this.microsPerQuery);
    }
    const caller = this.release(slot);
    if (!caller) return;
    // The worker gave up at the deadline before the sweep did: the same answer either way.
    if (!r.ok && r.kind === 'deadline') caller.reject(this.timedOut());
    else settle(caller, r);
  }

  private timedOut(): SearchRefused {
    return new SearchRefused(`search not answered within ${this.timeoutMs} ms (SEARCH_TIMEOUT_MS)`, 'timeout');
  }

  get size(): number {
    return this.workers.length;
  }

  /** Applies a write to every replica; resolves when all have applied it. */
  async broadcast(req: WorkerRequest): Promise<void> {
    await Promise.all(this.workers.map((w) => w.send(req)));
  }

  /** Why a search of `queries` queries would be refused now, if it would. */
  private overload(queries: number, now: number): string | undefined {
    if (this.offered.size >= CLAIM_SLOTS) return `${CLAIM_SLOTS} searches in flight`;
    if (this.queries === 0) return undefined;
    if (this.queries + queries > this.queueQueries) return `${this.queries} queries in flight, at most ${this.queueQueries} (SEARCH_QUEUE_QUERIES)`;
    // The wait ahead of it, from the queries in flight and what queries cost lately, so a queue of slow searches is cut short before it is long.
    const ahead = (this.queries * this.microsPerQuery) / 1000 / this.workers.length;
    if (ahead > this.queueWaitMs) return `the searches in flight would keep it waiting ~${Math.round(ahead)} ms, at most ${this.queueWaitMs} (SEARCH_QUEUE_WAIT_MS)`;
    let looked = 0;
    for (const [slot, p] of this.offered) {
      if (++looked > QUEUE_PROBE) break;
      if (Atomics.load(this.claims, slot) !== p.ticket) continue;
      const waited = now - p.at;
      if (waited > this.queueWaitMs) return `the oldest search waiting for a worker has waited ${waited} ms, at most ${this.queueWaitMs} (SEARCH_QUEUE_WAIT_MS)`;
      break;
    }
    return undefined;
  }

  /**
   * Offers a search to every worker. Refused ('overloaded') past the queue's bounds; answered
   * 'timeout' at its deadline. Whatever happens, its claim slot and arena block are freed:
   * when a worker answers, when it is withdrawn, or at once if offering it fails.
   */
  search(call: SearchCall): Promise<Hits> {
    const now = Date.now();
    const n = call.queries.length;
    const busy = this.overload(n, now);
    if (busy !== undefined) return Promise.reject(new SearchRefused(`search queue full: ${busy}`, 'overloaded'));
    let resolve!: (v: unknown) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<Hits>((res, rej) => {
      resolve = res as (v: unknown) => void;
      reject = rej;
    });
    // Tickets are positive int32s; the slot is the ticket's low bits, skipping slots still in use.
    let ticket: number;
    do ticket = this.ticket = this.ticket >= 0x7fffffff ? 1 : this.ticket + 1;
    while (this.offered.has(ticket & (CLAIM_SLOTS - 1)));
    const slot = ticket & (CLAIM_SLOTS - 1);
    let floats = 0;
    for (const q of call.queries) floats += q.length;
    const block = floats <= this.blockFloats && this.freeBlocks.length > 0 ? this.freeBlocks.pop()! : -1;
    const deadline = now + this.timeoutMs;
    this.offered.set(slot, { ticket, block, queries: n, at: now, deadline, abandoned: false, resolve, reject });
    this.queries += n;
    let stored = false;
    try {
      let queries: SearchRequest['queries'];
      if (block >= 0) {
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
      const req: SearchRequest = { ...call, queries, deadline };
      // Seq-cst: the arena writes above are visible to whichever worker's compare-and-swap takes the slot.
      Atomics.store(this.claims, slot, ticket);
      stored = true;
      // Each worker in turn is offered first, so when idle they share the load rather than the first always winning.
      const w = this.workers.length;
      for (let i = 0; i < w; i++) this.workers[(ticket + i) % w]!.offer(ticket, slot, req);
    } catch (e) {
      // E.g. a value the structured clone cannot copy. Unless a worker took an earlier worker's
      // offer, nothing will ever answer this search: take it back now.
      const err = e instanceof Error ? e : new Error(String(e));
      if (!stored || this.withdraw(slot, ticket)) this.release(slot)?.reject(err);
      else {
        this.offered.get(slot)!.abandoned = true;
        reject(err);
      }
    }
    return done;
  }

  /** One request to the first replica (they are identical): e.g. writing its graph to a file. */
  async first(req: WorkerRequest): Promise<unknown> {
    return this.workers[0]!.send(req);
  }

  /** Arena blocks free now: all of them whenever no search is in flight. */
  get arenaBlocksFree(): number {
    return this.freeBlocks.length;
  }

  /**
   * Whether the pool can serve: wedged when a worker has been on one message for wedgedMs
   * (it takes no searches meanwhile), when a search is still held wedgedMs past its deadline
   * (its worker never answered), or when every claim slot is taken.
   */
  health(now = Date.now()): PoolHealth {
    const out: PoolHealth = { searches: this.offered.size, queries: this.queries, arenaBlocksFree: this.freeBlocks.length };
    const rel = (now - this.epoch) | 0;
    for (let i = 0; i < this.workers.length; i++) {
      if (Atomics.load(this.busy, 2 * i) !== 1) continue;
      const age = (rel - Atomics.load(this.busy, 2 * i + 1)) | 0;
      if (age > this.wedgedMs) out.wedged = `index worker ${i} has been on one task for ${age} ms (POOL_WEDGED_MS=${this.wedgedMs})`;
    }
    const oldest = this.offered.values().next().value;
    if (oldest && now - oldest.deadline > this.wedgedMs) out.wedged ??= `a search has been in flight ${now - oldest.at} ms, ${now - oldest.deadline} ms past its deadline (POOL_WEDGED_MS=${this.wedgedMs})`;
    if (this.offered.size >= CLAIM_SLOTS) out.wedged ??= `all ${CLAIM_SLOTS} search slots are taken`;
    return out;
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
    clearInterval(this.sweeper);
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
