import type { HierarchicalNSW } from 'hnswlib-node';
import type { Payload, Predicate } from '../vectors/filter.js';
import type { Metric } from '../vectors/metric.js';
import type { Hits } from './protocol.js';

/** What a search needs of a worker's replica of one collection. */
export interface SearchableReplica {
  index: HierarchicalNSW;
  dimension: number;
  metric: Metric;
  /** Sparse: undefined where the graph holds no such label. */
  payloads: (Payload | null | undefined)[];
  live: number;
  deleted: Set<number>;
}

/** The search ran past its deadline: it stopped, and its worker is free again. */
export class DeadlineExceeded extends Error {}

/** How often, in filter calls or points scanned, the clock is read: Date.now() is ~25 ns, a filter call ~100. */
const CLOCK_EVERY = 1024;
/**
 * Matching points whose vectors an exact search may copy out of hnswlib (16 MB of floats):
 * more than this and the filtered HNSW walk goes on, with the predicate reduced to a look-up.
 */
const EXACT_MAX_FLOATS = 1 << 22;

export interface SearchJob {
  queries: number;
  query: (i: number) => number[];
  k: number;
  ef: number;
  pred?: Predicate;
  /** Epoch ms past which the search gives up (DeadlineExceeded). */
  deadline: number;
  withPayload: boolean;
  /** True once the process is stopping: the filter then lets every point through, as when late. */
  halted?: () => boolean;
  /** Wraps each call into hnswlib's search (the worker counts who is inside it before a hard exit). */
  around?: <T>(search: () => T) => T;
}

/**
 * Runs a batch of queries with its work bounded.
 *
 * hnswlib's filtered search walks the graph until it has `ef` points that pass the filter, so
 * a filter that few points pass makes every query walk the whole graph, a predicate call per
 * point. Once the batch's filter calls reach half the collection's size (a walk or two, less
 * than one scan of every payload costs), the predicate is evaluated once per point instead,
 * and the rest of the batch searches the matching points exactly (a filter matching nothing
 * answers at once), or, when they are too many to copy, walks the graph with a bitmap look-up
 * for the predicate.
 *
 * The deadline is checked between queries and inside the filter callback. hnswlib cannot be
 * interrupted (a callback that throws leaves the walk running with an exception pending), so
 * once late the callback lets every point through, which ends the walk within `ef` points,
 * and the answer is discarded.
 */
export function boundedSearch(r: SearchableReplica, job: SearchJob): Hits {
  const { queries: n, pred, deadline } = job;
  const k = Math.min(job.k, r.live);
  const payloads: (Payload | null)[] | undefined = job.withPayload ? [] : undefined;
  if (k <= 0) return { offsets: new Array<number>(n + 1).fill(0), labels: [], distances: [], payloads, searchMicros: 0 };
  const offsets = [0];
  const labels: number[] = [];
  const distances: number[] = [];
  let searchMicros = 0;
  let late = false;
  let calls = 0;
  const tick = (): boolean => {
    if ((++calls & (CLOCK_EVERY - 1)) === 0 && Date.now() > deadline) late = true;
    return late;
  };
  let test: ((label: number) => boolean) | undefined = pred ? (label) => pred(r.payloads[label]) : undefined;
  const halted = job.halted ?? (() => false);
  const around = job.around ?? (<T>(search: () => T): T => search());
  const filterFn = test ? (label: number) => halted() || tick() || test!(label) : undefined;
  let exact: ExactSet | undefined;
  /** The predicate has been replaced by a look-up in the set of matching labels. */
  let reduced = false;
  r.index.setEf(Math.max(job.ef, k));
  for (let i = 0; i < n; i++) {
    if (Date.now() > deadline) throw new DeadlineExceeded('search deadline passed');
    const q = job.query(i);
    const t0 = performance.now();
    if (exact) {
      exact.search(q, k, deadline, (label, d) => {
        labels.push(label);
        distances.push(d);
        payloads?.push(r.payloads[label] ?? null);
      });
    } else {
      const res = around(() => r.index.searchKnn(q, k, filterFn));
      if (late) throw new DeadlineExceeded('search deadline passed');
      for (let j = 0; j < res.neighbors.length; j++) {
        const label = res.neighbors[j]!;
        labels.push(label);
        distances.push(res.distances[j]!);
        payloads?.push(r.payloads[label] ?? null);
      }
    }
    searchMicros += (performance.now() - t0) * 1000;
    offsets.push(labels.length);
    if (pred && !exact && !reduced && calls >= Math.max(r.live / 2, CLOCK_EVERY) && i + 1 < n) {
      const matching = matchingLabels(r, pred, deadline);
      if (matching.length * r.dimension <= EXACT_MAX_FLOATS) exact = new ExactSet(r, matching);
      else {
        const bits = new Uint8Array(r.payloads.length);
        for (const l of matching) bits[l] = 1;
        test = (label) => bits[label] === 1;
        reduced = true;
      }
    }
  }
  return { offsets, labels, distances, payloads, searchMicros };
}

/** Every live label whose payload passes `pred`, in label order. */
function matchingLabels(r: SearchableReplica, pred: Predicate, deadline: number): number[] {
  const out: number[] = [];
  const ps = r.payloads;
  for (let l = 0; l < ps.length; l++) {
    if ((l & (CLOCK_EVERY - 1)) === 0 && Date.now() > deadline) throw new DeadlineExceeded('search deadline passed');
    const p = ps[l];
    if (p === undefined || r.deleted.has(l)) continue;
    if (pred(p)) out.push(l);
  }
  return out;
}

/**
 * The matching points' vectors, copied once per batch, searched by brute force with
 * hnswlib's distances: squared L2 for l2, 1 - dot for ip, and for cosine 1 - dot of the
 * normalised vectors (hnswlib stores cosine vectors normalised, so getPoint returns them so).
 */
class ExactSet {
  private readonly vectors: Float32Array;
  private readonly dim: number;
  private readonly top: TopK;

  constructor(private r: SearchableReplica, private labels: number[]) {
    this.dim = r.dimension;
    this.vectors = new Float32Array(labels.length * this.dim);
    labels.forEach((l, i) => this.vectors.set(r.index.getPoint(l), i * this.dim));
    this.top = new TopK();
  }

  search(query: number[], k: number, deadline: number, emit: (label: number, distance: number) => void): void {
    const d = this.dim;
    const q = Float32Array.from(query);
    if (this.r.metric === 'cosine') {
      let norm = 0;
      for (let j = 0; j < d; j++) norm += q[j]! * q[j]!;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let j = 0; j < d; j++) q[j] = q[j]! / norm;
    }
    const l2 = this.r.metric === 'l2';
    const v = this.vectors;
    this.top.reset(k);
    for (let i = 0; i < this.labels.length; i++) {
      if ((i & (CLOCK_EVERY - 1)) === CLOCK_EVERY - 1 && Date.now() > deadline) throw new DeadlineExceeded('search deadline passed');
      let s = 0;
      const at = i * d;
      if (l2) {
        for (let j = 0; j < d; j++) {
          const x = v[at + j]! - q[j]!;
          s += x * x;
        }
      } else {
        for (let j = 0; j < d; j++) s += v[at + j]! * q[j]!;
        s = 1 - s;
      }
      this.top.offer(s, this.labels[i]!);
    }
    this.top.drain(emit);
  }
}

/** The k smallest distances seen: a max-heap, so each offer is O(log k). */
class TopK {
  private dist = new Float64Array(0);
  private label = new Int32Array(0);
  private size = 0;
  private k = 0;

  reset(k: number): void {
    if (this.dist.length < k) {
      this.dist = new Float64Array(k);
      this.label = new Int32Array(k);
    }
    this.size = 0;
    this.k = k;
  }

  offer(d: number, label: number): void {
    const { dist, label: lab } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const up = (i - 1) >> 1;
        if (dist[up]! >= d) break;
        dist[i] = dist[up]!;
        lab[i] = lab[up]!;
        i = up;
      }
      dist[i] = d;
      lab[i] = label;
      return;
    }
    if (d >= dist[0]!) return;
    this.siftDown(d, label);
  }

  private siftDown(d: number, label: number): void {
    const { dist, label: lab } = this;
    const n = this.size;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && dist[c + 1]! > dist[c]!) c++;
      if (dist[c]! <= d) break;
      dist[i] = dist[c]!;
      lab[i] = lab[c]!;
      i = c;
    }
    dist[i] = d;
    lab[i] = label;
  }

  /** Emits the kept points nearest first, and empties the heap. */
  drain(emit: (label: number, distance: number) => void): void {
    const out: [number, number][] = [];
    while (this.size > 0) {
      out.push([this.label[0]!, this.dist[0]!]);
      const n = --this.size;
      if (n > 0) this.siftDown(this.dist[n]!, this.label[n]!);
    }
    for (let i = out.length - 1; i >= 0; i--) emit(out[i]![0], out[i]![1]);
  }
}
