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
   * queries: the query vectors back to back, as plain numbers. Plain arrays rather than typed
   * ones on the search path: every ArrayBuffer costs the young-generation GC a sweep of its
   * backing store, which at thousands of searches a second was most of each scavenge's
   * pause (5 of 5.2 ms), and searchKnn takes a plain array anyway.
   */
  | { op: 'search'; name: string; queries: number[]; k: number; ef: number; filter?: unknown; withPayload: boolean }
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

/** Given to each worker at start. claims[slot] holds the ticket of the search offered in that slot until a worker takes it (0). */
export interface WorkerData {
  claims: Int32Array;
  hnswBuild: HnswBuild;
}

export type WorkerReply = { seq: number; ok: true; result?: unknown } | { seq: number; ok: false; error: string; kind?: 'filter' };
