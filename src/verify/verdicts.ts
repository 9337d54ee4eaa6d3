import type { CheckResult, Verdict } from './types.js';

const RANK: Record<Verdict, number> = { pass: 0, warn: 1, fail: 2 };

export function worst(verdicts: Iterable<Verdict>): Verdict {
  let w: Verdict = 'pass';
  for (const v of verdicts) if (RANK[v] > RANK[w]) w = v;
  return w;
}

export interface VerifySummary {
  verdict: Verdict;
  pass: number;
  warn: number;
  fail: number;
  /** Regions with at least one failed check. */
  failedRegions: string[];
  /** 1 on any failure: warnings alone never fail a pipeline. */
  exitCode: 0 | 1;
}

export function summarize(results: CheckResult[]): VerifySummary {
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  const failedRegions = [...new Set(results.filter((r) => r.verdict === 'fail' && r.region).map((r) => r.region!))].sort();
  const verdict = worst(results.map((r) => r.verdict));
  return { verdict, pass: count('pass'), warn: count('warn'), fail: count('fail'), failedRegions, exitCode: verdict === 'fail' ? 1 : 0 };
}

/** Per region (and 'global'): the worst verdict of its checks. */
export function byRegion(results: CheckResult[]): Record<string, Verdict> {
  const out: Record<string, Verdict> = {};
  for (const r of results) {
    const k = r.region ?? 'global';
    out[k] = worst([out[k] ?? 'pass', r.verdict]);
  }
  return out;
}
