/**
 * Plan = observe everything the spec touches (list calls per kind), diff each desired resource
 * against what exists, and call out deletes of objects we own that the spec no longer has.
 */
import { createHash } from 'node:crypto';
import type { Provider, ProviderContext } from '../providers/types.js';
import { DEFAULT_BACKOFF, withRetry, type BackoffOptions } from './retry.js';
import type { ClassifiedError } from '../gcp/errors.js';
import { maskChanges } from '../providers/diff.js';
import { annotateChanges, resolveResource, type RefSource } from './refs.js';
import { guardPlan } from './protection.js';
import type { Observed, Plan, PlanItem, PlanSummary, Resource } from './types.js';

export interface Registry {
  get(kind: string): Provider | undefined;
  all(): Provider[];
}

export interface ObserveOptions {
  /** Regions to look in; global kinds are always listed. */
  regions: string[];
  /** Max list calls in flight. */
  parallel?: number;
  backoff?: BackoffOptions;
  onRetry?: ReadRetryHook;
}

/** A read being retried: what (a kind's list, or a resource), why, and when the next try is. */
export type ReadRetryHook = (what: string, c: ClassifiedError, attempt: number, delayMs: number) => void;

/** Observe every kind the registry knows (so orphans of any kind are found). */
export async function observeAll(ctx: ProviderContext, registry: Registry, desired: Resource[], o: ObserveOptions): Promise<Map<string, Observed>> {
  const byKind = new Map<string, Resource[]>();
  for (const r of desired) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  const providers = registry.all();
  const out = new Map<string, Observed>();
  const limit = o.parallel ?? 8;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < providers.length) {
      const p = providers[next++]!;
      // Each request (each page, region, parent) is retried on its own: retrying the whole
      // listing for one failed request needs every request of one try to succeed, which an API
      // failing 30% of calls never grants a listing that fans out over 15 regions.
      const read = <T>(request: () => Promise<T>): Promise<T> =>
        withRetry(request, o.backoff ?? DEFAULT_BACKOFF, { onRetry: (c, attempt, delayMs) => o.onRetry?.(`listing ${p.kind}`, c, attempt, delayMs) });
      const found = await p.list({ ...ctx, read }, o.regions, byKind.get(p.kind) ?? []);
      for (const ob of found) out.set(ob.name, ob);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, providers.length) }, worker));
  return out;
}

export interface PlanOptions {
  topology: string;
  project: string;
  target: string;
  regions?: string[];
  /** Names of every resource in the full (unfiltered) spec: with --regions, objects outside the
   * selection but still in the spec must not look like orphans. */
  allDesiredNames?: Set<string>;
  allowDestroyProtected?: boolean;
  /** destroy: delete the read replicas of protected primaries too (kept by default). */
  destroyReplicas?: boolean;
  backoff?: BackoffOptions;
  onRetry?: ReadRetryHook;
  /** destroy --regions: names the unselected regions still need (shared globals). */
  keep?: Set<string>;
  /** destroy: every object we own becomes a delete. */
  destroy?: boolean;
}

function inScope(o: Observed, regions: string[] | undefined): boolean {
  if (!regions) return true;
  return o.region !== undefined && regions.includes(o.region);
}

export async function computePlan(desired: Resource[], observed: Map<string, Observed>, registry: Registry, ctx: ProviderContext, opts: PlanOptions): Promise<Plan> {
  const refs: RefSource = { observed: async (n) => observed.get(n), provider: (k) => registry.get(k), ctx, call: (fn) => withRetry(fn, opts.backoff ?? DEFAULT_BACKOFF, { onRetry: (c, attempt, delayMs) => opts.onRetry?.('reading a referenced resource', c, attempt, delayMs) }) };
  const items: PlanItem[] = [];
  desired = desired.map((r) => registry.get(r.kind)?.prepare?.(r) ?? r);
  const desiredNames = new Set(desired.map((r) => r.name));
  const known = opts.allDesiredNames ?? desiredNames;

  if (!opts.destroy) {
    for (const r of desired) {
      const p = registry.get(r.kind);
      if (!p) throw new Error(`no provider for kind ${r.kind} (${r.name})`);
      const o = observed.get(r.name);
      const base = { kind: r.kind, name: r.name, region: r.region, protect: !!r.protect, dependsOn: r.dependsOn.filter((d) => desiredNames.has(d)) };
      if (!o) {
        items.push({ ...base, action: 'create', changes: [] });
        continue;
      }
      const resolved = (await resolveResource(r, refs)).resource;
      const changes = maskChanges(annotateChanges(r, p.diff(resolved, o, ctx)));
      const adopt = o.owner !== opts.topology ? true : undefined;
      if (changes.length === 0) {
        items.push({ ...base, action: 'noop', changes: [], ...(o.pending ? { waitReady: true } : {}) });
        continue;
      }
      const replace = p.requiresReplace?.(changes) || changes.some((c) => p.immutable?.some((f) => c.path === f || c.path.startsWith(`${f}.`)));
      const protect = base.protect || !!o.protect;
      items.push({ ...base, protect, action: replace ? 'replace' : 'update', changes, ...(adopt ? { adopt } : {}) });
    }
  }

  const byName = new Map(desired.map((r) => [r.name, r]));
  for (const o of observed.values()) {
    if (o.owner !== opts.topology) continue;
    if (!opts.destroy && known.has(o.name)) continue;
    if (opts.destroy) {
      // destroy with --regions: the selected regions, and the globals only they need.
      if (opts.regions) {
        if (o.region !== undefined ? !opts.regions.includes(o.region) : !desiredNames.has(o.name)) continue;
        if (opts.keep?.has(o.name)) continue;
      }
    } else if (opts.regions && !inScope(o, opts.regions)) continue;
    const r = byName.get(o.name);
    const protect = !!r?.protect || !!o.protect;
    items.push({ action: 'delete', kind: o.kind, name: o.name, region: o.region, changes: [], protect, dependsOn: [] });
  }
  guardPlan(items, desired, {
    destroy: opts.destroy,
    allowDestroyProtected: opts.allowDestroyProtected,
    destroyReplicas: opts.destroyReplicas,
    minted: (r) => registry.get(r.kind)?.minted?.(r) ?? false,
    apiProtected: (n) => observed.get(n)?.protect === true,
  });

  items.sort((a, b) => (a.region ?? '').localeCompare(b.region ?? '') || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return {
    version: 1,
    topology: opts.topology,
    project: opts.project,
    target: opts.target,
    ...(opts.regions ? { regions: opts.regions } : {}),
    createdAt: new Date().toISOString(),
    fingerprint: fingerprint(items),
    items,
    resources: desired,
  };
}

/** What the plan was computed from: existence and the owned fields that differ. */
export function fingerprint(items: PlanItem[]): string {
  const h = createHash('sha256');
  for (const i of [...items].sort((a, b) => a.name.localeCompare(b.name))) {
    h.update(JSON.stringify([i.name, i.action, i.changes.map((c) => [c.path, c.before, c.after])]));
    h.update('\n');
  }
  return h.digest('hex').slice(0, 32);
}

export function summarize(plan: Pick<Plan, 'items'>): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0, blocked: 0, deferred: 0, kept: 0 };
  for (const i of plan.items) {
    if (i.kept) s.kept++;
    else s[i.action]++;
    if (i.blocked) s.blocked++;
    if (i.deferred) s.deferred++;
  }
  return s;
}

export function hasChanges(plan: Pick<Plan, 'items'>): boolean {
  return plan.items.some((i) => (i.action !== 'noop' && !i.deferred && !i.kept) || i.waitReady);
}

const last = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/**
 * With --regions on a project where other regions were never deployed, a shared global
 * resource (the URL map, the project's IAM members) may name resources of the regions left
 * out. Those items (and what depends on them) are deferred: said in the plan, skipped by
 * apply, not a failure. A name counts only when no selected resource shares its last segment.
 */
export function deferOutOfSelection(plan: Plan, selected: Resource[], all: Resource[], observed: Map<string, Observed>): void {
  const inSelection = new Set(selected.map((r) => r.name));
  const selectedTokens = new Set(selected.map((r) => last(r.name)));
  const missing = all.filter((r) => !inSelection.has(r.name) && !observed.has(r.name) && !selectedTokens.has(last(r.name)));
  if (!missing.length) return;
  const specOf = new Map(selected.map((r) => [r.name, JSON.stringify(r.spec)]));
  const deferred = new Map<string, string>();
  for (const i of plan.items) {
    if (i.action === 'noop' || i.action === 'delete' || i.region !== undefined) continue;
    const text = specOf.get(i.name) ?? '';
    const refs = missing.filter((m) => text.includes(last(m.name)));
    if (refs.length) {
      const regions = [...new Set(refs.map((m) => m.region ?? m.homeRegion).filter(Boolean))].join(', ');
      deferred.set(i.name, `references ${last(refs[0]!.name)}${refs.length > 1 ? ` and ${refs.length - 1} more` : ''} of regions not deployed yet (${regions}): deploy without --regions to complete it`);
    }
  }
  // What depends on a deferred item waits with it.
  for (let changed = true; changed; ) {
    changed = false;
    for (const i of plan.items) {
      if (deferred.has(i.name) || i.action === 'noop' || i.action === 'delete') continue;
      const d = i.dependsOn.find((x) => deferred.has(x));
      if (d) {
        deferred.set(i.name, `waits for ${last(d)} (deferred)`);
        changed = true;
      }
    }
  }
  for (const i of plan.items) if (deferred.has(i.name)) i.deferred = deferred.get(i.name);
  plan.fingerprint = fingerprint(plan.items);
}
