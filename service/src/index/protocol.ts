import type { Metric } from '../vectors/metric.js';
import type { Payload } from '../vectors/filter.js';
import type { HnswBuild } from './hnswlib.js';

/** Messages between the main thread and the search workers (each holds a full index replica). */
export type WorkerRequest =
  | { op: 'create'; name: string; dimension: number; metric: Metric; m: number; efConstruction: number }
  | { op: 'drop'; name: string }
  /** labels[i] gets vectors[i*dim .. (i+1)*dim); an existing label is updated in place. */
  | { op: 'upsert'; name: string; labels: number[]; vectors: Float32Array; payloads: (Payload | null)[] }
  | { op: 'delete'; name: string; labels: number[] }
  /**
   * queries: the query vectors back to back, either in a block of the shared query arena
   * (QueryBlock) or, when they do not fit one or none is free, as plain numbers in the message.
   * Not typed arrays in the message: every ArrayBuffer costs the young-generation GC a sweep of
   * its backing store, which at thousands of searches a second was most of each scavenge's
   * pause (5 of 5.2 ms). Not plain arrays when avoidable either: a search is offered to every
   * worker, so its message is serialised once per worker and deserialised by each, a boxed
   * number per element (46 µs for a 16-query batch of 128-d, in the loser as in the winner).
   */
  | { op: 'search'; name: string; queries: number[] | QueryBlock; k: number; ef: number; filter?: unknown; withPayload: boolean; deadline?: number }
  | { op: 'stats' }
  /** Writes the collection's HNSW graph (hnswlib's own format) to a local file. */
  | { op: 'save'; name: string; path: string }
  /** Replaces the collection's replica with a graph written by 'save'. */
  /** payloads[label] is undefined for a label the graph never held. */
  | { op: 'load'; name: string; path: string; payloads: (Payload | null | undefined)[]; deleted: number[] };

/** What 'save' returns beside the file: per label, what the graph file does not hold. */
export interface SavedReplica {
  payloads: (Payload | null | undefined)[];
  deleted: number[];
}

/**
 * A search's answer as flat plain arrays (no ArrayBuffers, see 'search'): query i's hits are
 * labels/distances[offsets[i] .. offsets[i+1]), nearest first. `payloads` runs parallel to
 * `labels` when the request asked for them.
 */
export interface Hits {
  offsets: number[];
  labels: number[];
  distances: number[];
  payloads?: (Payload | null)[];
  /** Wall time spent in hnswlib's search for the whole batch, in microseconds. */
  searchMicros: number;
}

export interface WorkerStats {
  heapUsed: number;
  external: number;
  collections: Record<string, { count: number; capacity: number; deleted: number }>;
}

/** Query vectors written to the shared arena: `floats` numbers from arena[block * blockFloats]. */
export interface QueryBlock {
  block: number;
  floats: number;
}

/**
 * Given to each worker at start. claims[slot] holds the ticket of the search offered in that
 * slot until a worker takes it (0). `arena` holds offered searches' query vectors in blocks of
 * `blockFloats`; a block is written before its search is offered and reused only after the
 * search is answered.
 */
export interface WorkerData {
  claims: Int32Array;
  arena: Float32Array;
  blockFloats: number;
  hnswBuild: HnswBuild;
  /** halt[HALTED] is set once the process is stopping; halt[IN_SEARCH] counts workers inside searchKnn. */
  halt: Int32Array;
  /**
   * Two int32s per worker, at 2 * worker: 1 while it handles a message, and since when (ms
   * after `epoch`, wrapping), so the main thread sees a worker stuck on one message without
   * asking it.
   */
  busy: Int32Array;
  epoch: number;
  worker: number;
}

/** Indexes into WorkerData.halt. */
export const HALTED = 0;
export const IN_SEARCH = 1;

/** Why a worker refused a request: a bad filter (the client's 400) or a search past its deadline. */
export type WorkerErrorKind = 'filter' | 'deadline';

export type WorkerReply = { seq: number; ok: true; result?: unknown } | { seq: number; ok: false; error: string; kind?: WorkerErrorKind };
