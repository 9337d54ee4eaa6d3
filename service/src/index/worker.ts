import { parentPort, workerData } from 'node:worker_threads';
import { HALTED, IN_SEARCH, type WorkerData, type WorkerReply, type WorkerRequest, type Hits, type SavedReplica, type WorkerStats } from './protocol.js';
import { compileFilter, FilterError } from '../vectors/filter.js';
import { loadHnswlib } from './hnswlib.js';
import { boundedSearch, DeadlineExceeded, type SearchableReplica } from './search.js';

const { claims, arena, blockFloats, hnswBuild, halt, busy, epoch, worker } = workerData as WorkerData;
const hnswlib = loadHnswlib(hnswBuild);

/**
 * One search worker: a replica of every collection's HNSW index, fed by the main thread's
 * ordered write stream. Messages are handled strictly in order, so a search posted after a
 * write sees that write.
 */
type Replica = SearchableReplica;

const INITIAL_CAPACITY = 1024;
const replicas = new Map<string, Replica>();

/** One reused plain array per dimension to hand a query from the arena to searchKnn (which copies it). */
const scratch = new Map<number, number[]>();
function queryFromArena(start: number, d: number): number[] {
  let q = scratch.get(d);
  if (!q) scratch.set(d, (q = new Array<number>(d).fill(0)));
  for (let j = 0; j < d; j++) q[j] = arena[start + j]!;
  return q;
}

const halted = (): boolean => Atomics.load(halt, HALTED) !== 0;

/**
 * Runs one searchKnn counted in halt[IN_SEARCH]. The process must not exit while a worker is
 * inside it: hnswlib calls the filter back into JS, and a callback into an isolate being torn
 * down is a fatal N-API error (SIGABRT) instead of an exit. Counting first and checking the
 * flag second (both sequentially consistent) means the main thread, which sets the flag and
 * then waits for the count to reach 0, never misses a search that is about to start.
 */
function searchOutsideHalt<T>(fn: () => T): T {
  Atomics.add(halt, IN_SEARCH, 1);
  try {
    if (Atomics.load(halt, HALTED) !== 0) throw new Error('the server is stopping');
    const out = fn();
    if (Atomics.load(halt, HALTED) !== 0) throw new Error('the server is stopping');
    return out;
  } finally {
    Atomics.sub(halt, IN_SEARCH, 1);
  }
}

function replica(name: string): Replica {
  const r = replicas.get(name);
  if (!r) throw new Error(`collection ${name} not loaded`);
  return r;
}

/** hnswlib has a fixed capacity; grow it geometrically so users never see one. */
function ensureCapacity(r: Replica, maxLabel: number): void {
  const need = Math.max(r.index.getCurrentCount() + 1, maxLabel + 1);
  let cap = r.index.getMaxElements();
  if (need <= cap) return;
  while (cap < need) cap *= 2;
  r.index.resizeIndex(cap);
}

function handle(msg: WorkerRequest): unknown {
  switch (msg.op) {
    case 'create': {
      if (replicas.has(msg.name)) return undefined;
      const index = new hnswlib.HierarchicalNSW(msg.metric, msg.dimension);
      index.initIndex({ maxElements: INITIAL_CAPACITY, m: msg.m, efConstruction: msg.efConstruction, randomSeed: 100 });
      replicas.set(msg.name, { index, dimension: msg.dimension, metric: msg.metric, payloads: [], live: 0, deleted: new Set() });
      return undefined;
    }
    case 'drop':
      replicas.delete(msg.name);
      return undefined;
    case 'upsert': {
      const r = replica(msg.name);
      const d = r.dimension;
      let maxLabel = 0;
      for (const l of msg.labels) if (l > maxLabel) maxLabel = l;
      ensureCapacity(r, maxLabel);
      for (let i = 0; i < msg.labels.length; i++) {
        const label = msg.labels[i]!;
        const isNew = label >= r.payloads.length || r.payloads[label] === undefined;
        const wasDeleted = r.deleted.delete(label);
        // addPoint on an existing label updates it in place (and un-deletes it).
        r.index.addPoint(Array.from(msg.vectors.subarray(i * d, (i + 1) * d)), label);
        r.payloads[label] = msg.payloads[i] ?? null;
        if (isNew || wasDeleted) r.live++;
      }
      return undefined;
    }
    case 'delete': {
      const r = replica(msg.name);
      for (const label of msg.labels) {
        if (r.deleted.has(label) || r.payloads[label] === undefined) continue;
        r.index.markDelete(label);
        r.deleted.add(label);
        r.payloads[label] = null;
        r.live--;
      }
      return undefined;
    }
    case 'search': {
      const r = replica(msg.name);
      const d = r.dimension;
      const qs = msg.queries;
      const n = (Array.isArray(qs) ? qs.length : qs.floats) / d;
      const pred = msg.filter === undefined || msg.filter === null ? undefined : compileFilter(msg.filter);
      const query = (i: number) => (!Array.isArray(qs) ? queryFromArena(qs.block * blockFloats + i * d, d) : n === 1 ? qs : qs.slice(i * d, (i + 1) * d));
      return boundedSearch(r, { queries: n, query, k: msg.k, ef: msg.ef, pred, deadline: msg.deadline ?? Infinity, withPayload: msg.withPayload, halted, around: searchOutsideHalt }) satisfies Hits;
    }
    case 'save': {
      const r = replica(msg.name);
      r.index.writeIndexSync(msg.path);
      const saved: SavedReplica = { payloads: r.payloads, deleted: [...r.deleted] };
      return saved;
    }
    case 'load': {
      const r = replica(msg.name);
      const index = new hnswlib.HierarchicalNSW(r.metric, r.dimension);
      index.readIndexSync(msg.path);
      const deleted = new Set(msg.deleted);
      let live = 0;
      for (let l = 0; l < msg.payloads.length; l++) if (msg.payloads[l] !== undefined && !deleted.has(l)) live++;
      replicas.set(msg.name, { index, dimension: r.dimension, metric: r.metric, payloads: msg.payloads, live, deleted });
      return undefined;
    }
    case 'stats': {
      const mem = process.memoryUsage();
      const stats: WorkerStats = { heapUsed: mem.heapUsed, external: mem.external, collections: {} };
      for (const [name, r] of replicas) {
        stats.collections[name] = { count: r.live, capacity: r.index.getMaxElements(), deleted: r.deleted.size };
      }
      return stats;
    }
  }
}

const port = parentPort;
if (!port) throw new Error('index worker must run in a worker thread');
/**
 * A message with `claim` is a search offered to every worker: the one whose compare-and-swap
 * takes the slot runs it and answers; the others drop it. Writes come without one, to all.
 */
port.on('message', (m: { seq: number; req: WorkerRequest; claim?: number }) => {
  if (m.claim !== undefined && Atomics.compareExchange(claims, m.claim, m.seq, 0) !== m.seq) return;
  Atomics.store(busy, 2 * worker + 1, (Date.now() - epoch) | 0);
  Atomics.store(busy, 2 * worker, 1);
  let reply: WorkerReply;
  try {
    reply = { seq: m.seq, ok: true, result: handle(m.req) };
  } catch (e) {
    reply = { seq: m.seq, ok: false, error: e instanceof Error ? e.message : String(e), kind: e instanceof FilterError ? 'filter' : e instanceof DeadlineExceeded ? 'deadline' : undefined };
  }
  Atomics.store(busy, 2 * worker, 0);
  port.postMessage(m.claim === undefined ? reply : { ...reply, shared: true });
});
