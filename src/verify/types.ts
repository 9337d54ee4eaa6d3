/** What verify reports: one verdict per check, pass / warn / fail with the reason. */
export type Verdict = 'pass' | 'warn' | 'fail';

export type CheckGroup = 'run' | 'health' | 'redis' | 'sql' | 'pubsub' | 'storage' | 'lb' | 'drift' | 'latency';

export interface CheckResult {
  /** Stable id: `<group>:<region or global>[:<subject>]`. */
  id: string;
  group: CheckGroup;
  /** undefined = global. */
  region?: string;
  /** What was checked, short (a resource name or a URL). */
  subject: string;
  verdict: Verdict;
  reason: string;
  durationMs: number;
  /** Measurements a pipeline may want (latency percentiles, replica lag...). */
  data?: Record<string, unknown>;
}

/** A check's own answer; the runner adds timing and the id. */
export interface Outcome {
  verdict: Verdict;
  reason: string;
  data?: Record<string, unknown>;
}

export interface CheckDef {
  group: CheckGroup;
  region?: string;
  subject: string;
  /** Per-check budget: a slow region never stalls the others. */
  timeoutMs: number;
  /** Once aborted at its deadline, how long the check may take to undo what it made (a probe collection); default 0: not waited for. */
  cleanupMs?: number;
  run(signal: AbortSignal): Promise<Outcome>;
}

export const pass = (reason: string, data?: Record<string, unknown>): Outcome => ({ verdict: 'pass', reason, data });
export const warn = (reason: string, data?: Record<string, unknown>): Outcome => ({ verdict: 'warn', reason, data });
export const fail = (reason: string, data?: Record<string, unknown>): Outcome => ({ verdict: 'fail', reason, data });
