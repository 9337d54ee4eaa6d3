/**
 * A generic DAG executor: runs each task once all its dependencies succeeded, many at once,
 * bounded per bucket (API + region) and overall. A failure stops only the tasks downstream of
 * it; everything else goes on. Ready tasks start longest-remaining-path first, so a bounded
 * bucket never delays the critical path behind short side branches.
 */

export interface DagTask {
  id: string;
  /** Ids of tasks that must succeed first. Ids not in the task set count as already done. */
  deps: string[];
  /** Concurrency bucket, e.g. 'compute/global' or 'redis/us-central1'. */
  bucket: string;
  /** Expected duration (any unit) used only to prioritise; default 1. */
  weight?: number;
  run: () => Promise<void>;
}

export type TaskStatus = 'done' | 'failed' | 'skipped';

export interface TaskOutcome {
  status: TaskStatus;
  error?: unknown;
  /** For skipped tasks: the failed task that blocked it. */
  blockedBy?: string;
  startedAt?: number;
  endedAt?: number;
}

export type DagEvent =
  | { type: 'start'; id: string }
  | { type: 'done'; id: string; ms: number }
  | { type: 'failed'; id: string; ms: number; error: unknown }
  | { type: 'skipped'; id: string; blockedBy: string };

export interface DagOptions {
  /** Max tasks running at once per bucket. */
  perBucket: number | ((bucket: string) => number);
  /** Max tasks running at once overall. */
  maxConcurrent?: number;
  onEvent?: (e: DagEvent) => void;
}

export class CycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(' -> ')}`);
    this.name = 'CycleError';
  }
}

/** Throws CycleError when the graph (restricted to known ids) has a cycle. */
export function topoOrder(tasks: Pick<DagTask, 'id' | 'deps'>[]): string[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const state = new Map<string, 1 | 2>();
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    const s = state.get(id);
    if (s === 2) return;
    if (s === 1) throw new CycleError([...stack.slice(stack.indexOf(id)), id]);
    state.set(id, 1);
    stack.push(id);
    for (const d of byId.get(id)!.deps) if (byId.has(d)) visit(d);
    stack.pop();
    state.set(id, 2);
    order.push(id);
  };
  for (const t of tasks) visit(t.id);
  return order;
}

/** Longest weighted path from each task to any sink (its own weight included). */
export function remainingPath(tasks: Pick<DagTask, 'id' | 'deps' | 'weight'>[]): Map<string, number> {
  const order = topoOrder(tasks);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const dependents = new Map<string, string[]>();
  for (const t of tasks) for (const d of t.deps) if (byId.has(d)) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  const rest = new Map<string, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i]!;
    const downstream = Math.max(0, ...(dependents.get(id) ?? []).map((c) => rest.get(c) ?? 0));
    rest.set(id, (byId.get(id)!.weight ?? 1) + downstream);
  }
  return rest;
}

/** Length of the critical path (max over sources of remainingPath). */
export function criticalPath(tasks: Pick<DagTask, 'id' | 'deps' | 'weight'>[]): number {
  return Math.max(0, ...remainingPath(tasks).values());
}

export async function runDag(tasks: DagTask[], opts: DagOptions): Promise<Map<string, TaskOutcome>> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  if (byId.size !== tasks.length) throw new Error('duplicate task id');
  const priority = remainingPath(tasks);
  const limitOf = (b: string): number => Math.max(1, typeof opts.perBucket === 'function' ? opts.perBucket(b) : opts.perBucket);
  const maxAll = opts.maxConcurrent ?? Number.POSITIVE_INFINITY;

  const outcomes = new Map<string, TaskOutcome>();
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const t of tasks) {
    const deps = [...new Set(t.deps)].filter((d) => byId.has(d));
    waitingOn.set(t.id, deps.length);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  }
  const ready: DagTask[] = tasks.filter((t) => waitingOn.get(t.id) === 0);
  const running = new Map<string, number>();
  let active = 0;

  return new Promise((resolve) => {
    const skipDownstream = (failed: string): void => {
      const queue = [...(dependents.get(failed) ?? [])];
      while (queue.length) {
        const id = queue.shift()!;
        if (outcomes.has(id)) continue;
        outcomes.set(id, { status: 'skipped', blockedBy: failed });
        opts.onEvent?.({ type: 'skipped', id, blockedBy: failed });
        queue.push(...(dependents.get(id) ?? []));
      }
    };

    const pump = (): void => {
      ready.sort((a, b) => (priority.get(b.id) ?? 0) - (priority.get(a.id) ?? 0));
      for (let i = 0; i < ready.length && active < maxAll; ) {
        const t = ready[i]!;
        const inBucket = running.get(t.bucket) ?? 0;
        if (inBucket >= limitOf(t.bucket)) {
          i++;
          continue;
        }
        ready.splice(i, 1);
        running.set(t.bucket, inBucket + 1);
        active++;
        start(t);
      }
      if (active === 0 && ready.length === 0) {
        // Anything never reached (only possible via a skipped ancestor) is already recorded.
        resolve(outcomes);
      }
    };

    const start = (t: DagTask): void => {
      const startedAt = Date.now();
      opts.onEvent?.({ type: 'start', id: t.id });
      let p: Promise<void>;
      try {
        p = t.run();
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        () => {
          const endedAt = Date.now();
          outcomes.set(t.id, { status: 'done', startedAt, endedAt });
          opts.onEvent?.({ type: 'done', id: t.id, ms: endedAt - startedAt });
          for (const c of dependents.get(t.id) ?? []) {
            const n = waitingOn.get(c)! - 1;
            waitingOn.set(c, n);
            if (n === 0 && !outcomes.has(c)) ready.push(byId.get(c)!);
          }
        },
        (error: unknown) => {
          const endedAt = Date.now();
          outcomes.set(t.id, { status: 'failed', error, startedAt, endedAt });
          opts.onEvent?.({ type: 'failed', id: t.id, ms: endedAt - startedAt, error });
          skipDownstream(t.id);
        },
      ).finally(() => {
        running.set(t.bucket, running.get(t.bucket)! - 1);
        active--;
        pump();
      });
    };

    pump();
  });
}
