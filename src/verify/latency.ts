/** Latency percentiles (HdrHistogram, microsecond resolution) judged against the seed's targets. */
import * as hdr from 'hdr-histogram-js';
import type { Outcome } from './types.js';

/** The seed's search targets: p50 < 10 ms, p99 < 50 ms. */
export const LATENCY_TARGETS = { p50Ms: 10, p99Ms: 50 } as const;

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencyStats(samplesMs: number[]): LatencyStats {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  try {
    for (const ms of samplesMs) h.recordValue(Math.max(1, Math.round(ms * 1000)));
    const at = (p: number) => h.getValueAtPercentile(p) / 1000;
    return { count: samplesMs.length, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: h.maxValue / 1000 };
  } finally {
    h.destroy();
  }
}

const f = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

export function describeLatency(s: LatencyStats): string {
  return `p50 ${f(s.p50Ms)} ms, p95 ${f(s.p95Ms)} ms, p99 ${f(s.p99Ms)} ms over ${s.count} searches`;
}

/** pass within both targets; fail past p99's; warn when only p50 is over. */
export function judgeLatency(s: LatencyStats, targets: { p50Ms: number; p99Ms: number } = LATENCY_TARGETS): Outcome {
  const data = { ...s };
  const text = describeLatency(s);
  if (s.p99Ms >= targets.p99Ms) return { verdict: 'fail', reason: `${text}: p99 over the ${targets.p99Ms} ms target`, data };
  if (s.p50Ms >= targets.p50Ms) return { verdict: 'warn', reason: `${text}: p50 over the ${targets.p50Ms} ms target`, data };
  return { verdict: 'pass', reason: `${text} (targets p50 < ${targets.p50Ms} ms, p99 < ${targets.p99Ms} ms)`, data };
}
