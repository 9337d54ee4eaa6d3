/** The three metrics a collection can use, and how hnswlib distances become user-facing scores. */
export type Metric = 'l2' | 'cosine' | 'ip';

export const METRICS: readonly Metric[] = ['l2', 'cosine', 'ip'];

export function hnswSpace(metric: Metric): 'l2' | 'cosine' | 'ip' {
  return metric;
}

/**
 * hnswlib returns squared L2 for l2 and 1 - similarity for cosine/ip. Scores follow Qdrant:
 * Euclidean distance (smaller is closer) for l2, similarity (larger is closer) otherwise.
 */
export function scoreOf(metric: Metric, distance: number): number {
  if (metric === 'l2') return Math.sqrt(Math.max(0, distance));
  return 1 - distance;
}

const QDRANT: Record<string, Metric> = { Euclid: 'l2', Cosine: 'cosine', Dot: 'ip' };
const QDRANT_OUT: Record<Metric, string> = { l2: 'Euclid', cosine: 'Cosine', ip: 'Dot' };

export function fromQdrantDistance(d: string): Metric | undefined {
  return QDRANT[d];
}
export function toQdrantDistance(m: Metric): string {
  return QDRANT_OUT[m];
}

/** Accepts the spellings users actually type. */
export function parseMetric(v: string): Metric | undefined {
  const s = v.toLowerCase();
  if (s === 'l2' || s === 'euclid' || s === 'euclidean') return 'l2';
  if (s === 'cosine' || s === 'cos') return 'cosine';
  if (s === 'ip' || s === 'dot' || s === 'inner_product' || s === 'innerproduct') return 'ip';
  return undefined;
}
