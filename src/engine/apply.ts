/**
 * Apply a plan as a DAG: creates/updates in dependency order, deletes in reverse, bounded per
 * API and region, every call retried with backoff, unknown-outcome creates observed before
 * any re-send, and a failure stopping only what depends on it.
 */
import { randomUUID } from 'node:crypto';
import { classify, describeError, GRPC, type ClassifiedError } from '../gcp/errors.js';
import type { Provider, ProviderContext } from '../providers/types.js';
import { runDag, type DagTask } from './dag.js';
import type { Journal } from './journal.js';
import { resolveResource, type RefSource } from './refs.js';
import type { Registry } from './plan.js';
import { DEFAULT_BACKOFF, pollUntil, withRetry, type BackoffOptions } from './retry.js';
import type { Action, Observed, Plan, PlanItem, Resource } from './types.js';

export type ApplyEvent =
  | { type: 'start'; name: string; kind: string; region?: string; action: Action }
  | { type: 'retry'; name: string; kind: string; region?: string; action: Action; attempt: number; delayMs: number; reason: string }
  /** The item waits on something other than its own request: what, in words. */
  | { type: 'wait'; name: string; kind: string; region?: string; action: Action; what: string }
  | { type: 'done'; name: string; kind: string; region?: string; action: Action; ms: number; retries: number }
  | { type: 'failed'; name: string; kind: string; region?: string; action: Action; ms: number; retries: number; error: string }
  | { type: 'skipped'; name: string; kind: string; region?: string; action: Action; blockedBy: string };

export interface ApplyOptions {
  journal: Journal;
  /** Max operations in flight per API and region. */
  concurrency?: number;
  /** Max operations in flight overall. */
  maxConcurrent?: number;
  backoff?: BackoffOptions;
  /** How long an unknown-outcome create may stay invisible before we re-send it (eventual consistency). */
  consistencyWaitMs?: number;
  onEvent?: (e: ApplyEvent) => void;
  /** What the plan observed (resolves references to objects outside the plan's resources). */
  observed?: Map<string, Observed>;
}

export interface ItemResult {
  name: string;
  kind: string;
  region?: string;
  action: Action;
  status: 'done' | 'failed' | 'skipped' | 'blocked' | 'deferred' | 'kept';
  error?: string;
  /** status 'kept': why protection keeps it. */
  kept?: string;
  blockedBy?: string;
  retries: number;
  ms?: number;
}

export interface ApplyResult {
  ok: boolean;
  results: ItemResult[];
  ms: number;
}

class ApplyError extends Error {}

const QUOTA_ATTEMPTS = 4;

/** Kind depth in the desired graph: deeper kinds (forwarding rules) are deleted before shallower ones (networks). */
function kindDepths(resources: Resource[]): Map<string, number> {
  const byName = new Map(resources.map((r) => [r.name, r]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const d = (n: string): number => {
    const cached = depth.get(n);
    if (cached !== undefined) return cached;
    if (visiting.has(n)) return 0;
    visiting.add(n);
    const r = byName.get(n)!;
    const v = 1 + Math.max(-1, ...r.dependsOn.filter((x) => byName.has(x)).map(d));
    visiting.delete(n);
    depth.set(n, v);
    return v;
  };
  const out = new Map<string, number>();
  for (const r of resources) out.set(r.kind, Math.max(out.get(r.kind) ?? 0, d(r.name)));
  return out;
}

function deleteDeps(deletes: PlanItem[], resources: Resource[], updates: string[]): Map<string, string[]> {
  const inGraph = new Map(resources.map((r) => [r.name, r]));
  const depth = kindDepths(resources);
  const deps = new Map<string, string[]>(deletes.map((i) => [i.name, [...updates]]));
  const names = new Set(deletes.map((i) => i.name));
  for (const x of deletes) {
    const rx = inGraph.get(x.name);
    for (const y of deletes) {
      if (x === y) continue;
      const ry = inGraph.get(y.name);
      let yFirst: boolean;
      if (rx && ry) yFirst = ry.dependsOn.includes(x.name);
      else {
        // Not in the spec any more: order by kind depth, within a region or against globals.
        const sameScope = x.region === y.region || x.region === undefined || y.region === undefined;
        yFirst = sameScope && (depth.get(y.kind) ?? 0) > (depth.get(x.kind) ?? 0);
      }
      if (yFirst && names.has(y.name)) deps.get(x.name)!.push(y.name);
    }
  }
  return deps;
}

export async function applyPlan(plan: Plan, registry: Registry, ctx: ProviderContext, o: ApplyOptions): Promise<ApplyResult> {
  const t0 = Date.now();
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const consistencyWaitMs = o.consistencyWaitMs ?? 10_000;
  const byName = new Map(plan.resources.map((r) => [r.name, registry.get(r.kind)?.prepare?.(r) ?? r]));
  const results = new Map<string, ItemResult>();
  const retries = new Map<string, number>();

  // A create an earlier (killed) run sent and that landed shows up here as an existing
  // resource: its pending-create marker has served its purpose.
  for (const i of plan.items) if (i.action !== 'create' && o.journal.pending(i.name)) await o.journal.clear(i.name);
  const work = plan.items.filter((i) => (i.action !== 'noop' || i.waitReady) && !i.blocked && !i.deferred && !i.kept);
  for (const i of plan.items.filter((x) => x.kept)) {
    results.set(i.name, { name: i.name, kind: i.kind, region: i.region, action: i.action, status: 'kept', kept: i.kept, retries: 0 });
  }
  for (const i of plan.items.filter((x) => x.deferred)) {
    results.set(i.name, { name: i.name, kind: i.kind, region: i.region, action: i.action, status: 'deferred', error: i.deferred, retries: 0 });
  }
  for (const i of plan.items.filter((x) => x.blocked)) {
    results.set(i.name, { name: i.name, kind: i.kind, region: i.region, action: i.action, status: 'blocked', error: i.blocked, retries: 0 });
  }
  const workIds = new Set(work.map((i) => i.name));
  const deletes = work.filter((i) => i.action === 'delete');
  const updates = work.filter((i) => i.action === 'update' || i.action === 'replace').map((i) => i.name);
  const delDeps = deleteDeps(deletes, plan.resources, updates);

  const refs: RefSource = {
    // Always fresh: the referenced object may have been created a moment ago in this run.
    observed: async (name) => {
      const kind = byName.get(name)?.kind ?? o.observed?.get(name)?.kind;
      const p = kind ? registry.get(kind) : undefined;
      if (!p) return o.observed?.get(name);
      return withRetry(() => p.get(ctx, byName.get(name) ?? { name, kind: kind!, region: o.observed?.get(name)?.region }), backoff);
    },
    provider: (k) => registry.get(k),
    ctx,
    call: (fn) => withRetry(fn, backoff),
  };
  const lastWait = new Map<string, string>();
  const wait = (item: PlanItem, what: string): void => {
    // A wait retried many times is told once, not once per try.
    if (lastWait.get(item.name) === what) return;
    lastWait.set(item.name, what);
    o.onEvent?.({ type: 'wait', name: item.name, kind: item.kind, region: item.region, action: item.action, what });
  };
  const secs = (ms: number): string => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 100) / 10}s`);

  /**
   * References resolved, waiting (bounded) for those not readable yet: an object this run
   * created a moment ago may take a while to show in reads (eventual consistency).
   */
  const resolved = async (item: PlanItem, r: Resource): Promise<Resource> => {
    const first = await resolveResource(r, refs);
    if (!first.unresolved) return first.resource;
    const pending = (x: Resource): string[] => [...new Set(JSON.stringify(x.spec).match(/\$\{ref:[^}]+\}/g) ?? [])];
    wait(item, `${pending(first.resource).join(', ')} to be readable (a resource created moments ago takes a while to show)`);
    const out = await pollUntil(
      async () => {
        const x = await resolveResource(r, refs);
        return x.unresolved ? undefined : x;
      },
      { initialMs: backoff.baseMs, maxMs: backoff.maxMs, timeoutMs: consistencyWaitMs },
    );
    if (!out) {
      const left = pending((await resolveResource(r, refs)).resource);
      throw new ApplyError(`${r.name}: a referenced value is still not available after ${secs(consistencyWaitMs)} (${left.join(', ') || pending(first.resource).join(', ')})`);
    }
    return out.resource;
  };

  const providerOf = (kind: string): Provider => {
    const p = registry.get(kind);
    if (!p) throw new ApplyError(`no provider for kind ${kind}`);
    return p;
  };

  /** When each create or replace of this run finished: what depends on it may not see it yet. */
  const createdAt = new Map<string, number>();
  /** Dependencies this run created less than the visibility window ago. */
  const freshDeps = (item: PlanItem): string[] =>
    item.dependsOn.filter((d) => {
      const t = createdAt.get(d);
      return t !== undefined && Date.now() - t < consistencyWaitMs;
    });
  /**
   * A write refused because something it names is missing ("does not exist", a 404), when this
   * run created one of its dependencies moments ago, or a create met a 404: the API has not
   * caught up (IAM is known for it: a binding for a service account created a second ago is
   * refused). Retried, for as long as the visibility window from the first refusal lasts.
   */
  const unseenSince = new Map<string, number>();
  const notVisibleYet = (item: PlanItem, c: ClassifiedError): { eligible: boolean; named: string[] } => {
    const missing = c.kind === 'notFound' || (c.kind === 'fatal' && (c.httpStatus === 400 || c.grpcCode === GRPC.INVALID_ARGUMENT || c.grpcCode === GRPC.FAILED_PRECONDITION) && /does not exist|not found/i.test(c.message));
    if (item.action === 'delete' || !missing) return { eligible: false, named: [] };
    const fresh = freshDeps(item);
    const creating = c.kind === 'notFound' && (item.action === 'create' || item.action === 'replace');
    return { eligible: fresh.length > 0 || creating, named: fresh.filter((d) => c.message.includes(d.slice(d.lastIndexOf('/') + 1))) };
  };
  const windowOpen = (item: PlanItem): boolean => {
    const since = unseenSince.get(item.name) ?? Date.now();
    unseenSince.set(item.name, since);
    return Date.now() - since < consistencyWaitMs;
  };

  const retryHooks = (item: PlanItem, extra?: (c: ClassifiedError, attempt: number) => boolean) => ({
    // An exhausted quota rarely frees itself: a few tries (a racing delete may release it), then
    // fail with the quota named rather than spend the whole retry budget.
    shouldRetry: (c: ClassifiedError, _e: unknown, attempt: number) =>
      c.kind === 'quota' ? attempt < QUOTA_ATTEMPTS - 1 : c.retryable || (extra?.(c, attempt) ?? false) || (notVisibleYet(item, c).eligible && windowOpen(item)),
    // Visibility is a matter of time, not of tries: waiting for it must not use up the attempts
    // the throttled or failed calls around it need (a fast retry loop would give up first).
    uncounted: (c: ClassifiedError) => notVisibleYet(item, c).eligible && windowOpen(item),
    onRetry: (c: ClassifiedError, attempt: number, delayMs: number) => {
      retries.set(item.name, (retries.get(item.name) ?? 0) + 1);
      const unseen = notVisibleYet(item, c);
      const why = `up to ${secs(consistencyWaitMs)}: ${c.message.slice(0, 160)}`;
      if (unseen.named.length) wait(item, `${unseen.named.map(short).join(', ')} to become visible to the API (created by this run moments ago), ${why}`);
      else if (unseen.eligible) wait(item, `what the API reports missing to become visible (new resources take a while to show), ${why}`);
      o.onEvent?.({ type: 'retry', name: item.name, kind: item.kind, region: item.region, action: item.action, attempt, delayMs, reason: c.grpcStatus ?? c.kind });
    },
  });
  /** The context a provider gets for one item: what it waits for is told as that item's progress. */
  const ctxFor = (item: PlanItem): ProviderContext => ({ ...ctx, onWait: (what) => wait(item, what) });

  const observeSoon = (p: Provider, r: Pick<Resource, 'name' | 'region' | 'kind'>, waitMs: number): Promise<Observed | undefined> =>
    pollUntil(() => withRetry(() => p.get(ctx, r), backoff), { initialMs: Math.max(5, backoff.baseMs / 4), maxMs: backoff.maxMs, timeoutMs: waitMs });

  const doCreate = async (item: PlanItem, r: Resource, p: Provider): Promise<void> => {
    const pending = o.journal.pending(r.name);
    if (pending) {
      // A previous run sent this create and never saw it finish: look before sending again.
      wait(item, `${short(r.name)} to show up (an earlier run sent its create at ${pending.startedAt}), up to ${secs(consistencyWaitMs)} before sending it again`);
      const seen = await observeSoon(p, r, consistencyWaitMs);
      if (seen) {
        await settleExisting(item, r, p, seen);
        await o.journal.clear(r.name);
        return;
      }
    }
    const requestId = pending?.requestId ?? randomUUID();
    await o.journal.mark(r.name, { kind: r.kind, requestId, startedAt: new Date().toISOString() });
    let lastErr: ClassifiedError | undefined;
    await withRetry(
      async () => {
        if (lastErr && lastErr.kind !== 'notFound' && lastErr.kind !== 'quota') {
          // The last send may have landed: observe before re-sending.
          const seen = await withRetry(() => p.get(ctx, r), backoff);
          if (seen) return settleExisting(item, r, p, seen);
        }
        try {
          await p.create(ctxFor(item), r, requestId);
        } catch (err) {
          const c = classify(err);
          if (c.kind === 'alreadyExists') {
            wait(item, `${short(r.name)} to show up (the API says it already exists), up to ${secs(consistencyWaitMs)}`);
            const seen = await observeSoon(p, r, consistencyWaitMs);
            if (seen) return settleExisting(item, r, p, seen);
          }
          lastErr = c;
          throw err;
        }
      },
      backoff,
      // A 404 on create is a dependency not visible yet (eventual consistency): wait, do not give up.
      retryHooks(item, (c) => c.kind === 'notFound' || c.kind === 'alreadyExists'),
    );
    await o.journal.clear(r.name);
  };

  /** The object exists (maybe created by our own unknown-outcome send): converge it. */
  const settleExisting = async (item: PlanItem, r: Resource, p: Provider, seen: Observed): Promise<void> => {
    if (seen.owner !== undefined && seen.owner !== plan.topology) {
      throw new ApplyError(`${r.name} exists and belongs to topology ${seen.owner}`);
    }
    if (seen.pending) await waitReady(item, r, p);
    const changes = p.diff(r, seen, ctx);
    if (changes.length) await doUpdate(item, r, p, seen);
  };

  const doUpdate = async (item: PlanItem, r: Resource, p: Provider, first?: Observed): Promise<void> => {
    await withRetry(
      async (attempt) => {
        // A stale etag/fingerprint means someone (or our own earlier attempt) moved it: re-read.
        const cur = attempt === 0 && first ? first : await p.get(ctx, r);
        if (!cur) throw new ApplyError(`${r.name} disappeared during update`);
        const changes = p.diff(r, cur, ctx);
        if (changes.length === 0) return;
        await p.update(ctxFor(item), r, cur, changes);
      },
      backoff,
      retryHooks(item, (c) => c.kind === 'stale'),
    );
  };

  const waitReady = async (item: PlanItem, r: Pick<Resource, 'name' | 'region' | 'kind'>, p: Provider): Promise<void> => {
    wait(item, `${short(r.name)} to be ready (an operation on it is still running), up to ${secs(ctx.poll.timeoutMs)}`);
    const ready = await pollUntil(
      async () => {
        const cur = await withRetry(() => p.get(ctx, r), backoff, retryHooks(item));
        return cur && !cur.pending ? cur : undefined;
      },
      { initialMs: ctx.poll.initialMs, maxMs: ctx.poll.maxMs, timeoutMs: ctx.poll.timeoutMs },
    );
    if (!ready) throw new ApplyError(`${r.name} did not become ready in ${Math.round(ctx.poll.timeoutMs / 1000)}s`);
  };

  const doDelete = async (item: PlanItem, p: Provider): Promise<void> => {
    // The desired resource when the spec has it: some kinds need its spec to know what is ours.
    const target = byName.get(item.name) ?? { name: item.name, kind: item.kind, region: item.region };
    await withRetry(
      async () => {
        const cur = await p.get(ctx, target);
        if (!cur) return;
        try {
          await p.delete(ctxFor(item), cur);
        } catch (err) {
          if (classify(err).kind === 'notFound') return;
          throw err;
        }
      },
      backoff,
      retryHooks(item, (c) => c.kind === 'inUse'),
    );
  };

  const runItem = async (item: PlanItem): Promise<void> => {
    const p = providerOf(item.kind);
    const r = byName.get(item.name);
    switch (item.action) {
      case 'create':
        return doCreate(item, await resolved(item, r!), p);
      case 'update':
        return doUpdate(item, await resolved(item, r!), p);
      case 'replace':
        await doDelete(item, p);
        return doCreate(item, await resolved(item, r!), p);
      case 'delete':
        return doDelete(item, p);
      case 'noop':
        return waitReady(item, r ?? item, p);
    }
  };

  const tasks: DagTask[] = work.map((item) => {
    const p = registry.get(item.kind);
    const deps = item.action === 'delete' ? delDeps.get(item.name)! : item.dependsOn.filter((d) => workIds.has(d));
    return {
      id: item.name,
      deps,
      bucket: p?.bucket?.({ name: item.name, region: item.region, spec: byName.get(item.name)?.spec }) ?? `${p?.api ?? item.kind}/${item.region ?? 'global'}`,
      weight: item.action === 'create' || item.action === 'replace' ? (p?.createSeconds ?? 5) : 1,
      run: async () => {
        o.onEvent?.({ type: 'start', name: item.name, kind: item.kind, region: item.region, action: item.action });
        await runItem(item);
        if (item.action === 'create' || item.action === 'replace') createdAt.set(item.name, Date.now());
      },
    };
  });

  const itemOf = new Map(work.map((i) => [i.name, i]));
  const outcomes = await runDag(tasks, {
    perBucket: (b) => (b.startsWith('serial:') ? 1 : (o.concurrency ?? 8)),
    maxConcurrent: o.maxConcurrent,
    onEvent: (e) => {
      const item = itemOf.get(e.id)!;
      const base = { name: item.name, kind: item.kind, region: item.region, action: item.action };
      if (e.type === 'done') o.onEvent?.({ type: 'done', ...base, ms: e.ms, retries: retries.get(e.id) ?? 0 });
      if (e.type === 'failed') o.onEvent?.({ type: 'failed', ...base, ms: e.ms, retries: retries.get(e.id) ?? 0, error: errorText(e.error) });
      if (e.type === 'skipped') o.onEvent?.({ type: 'skipped', ...base, blockedBy: e.blockedBy });
    },
  });

  for (const [id, out] of outcomes) {
    const item = itemOf.get(id)!;
    results.set(id, {
      name: id,
      kind: item.kind,
      region: item.region,
      action: item.action,
      status: out.status,
      retries: retries.get(id) ?? 0,
      ...(out.error !== undefined ? { error: errorText(out.error) } : {}),
      ...(out.blockedBy ? { blockedBy: out.blockedBy } : {}),
      ...(out.startedAt && out.endedAt ? { ms: out.endedAt - out.startedAt } : {}),
    });
  }
  const list = [...results.values()];
  return { ok: list.every((r) => r.status === 'done' || r.status === 'deferred' || r.status === 'kept'), results: list, ms: Date.now() - t0 };
}

const short = (name: string): string => name.replace(/^projects\/[^/]+\//, '');

function errorText(err: unknown): string {
  if (err instanceof ApplyError) return err.message;
  return describeError(err);
}
