/**
 * What protection covers. A protected resource (the spec's preventDestroy / deletionProtection,
 * or deletion protection the API reports) is not the only thing a delete must spare: the data
 * in a protected Cloud SQL instance lives in its databases and users, its clients log in with
 * secrets a redeploy cannot mint again, and GCP refuses to delete what it still uses. So the
 * cover is derived from the desired graph (dependsOn edges and the GCP name hierarchy), the
 * same for every kind:
 *
 * 1. protected: the resource itself is protected;
 * 2. inside: its name lies under a covered resource's name (a database, a user of an instance);
 * 3. replica: it has the kind of a protected resource and depends on it (a read replica of a
 *    protected primary). Only where the caller keeps replicas (destroy, unless asked);
 * 4. needed: a covered resource depends on it (a kept user's password secret, the network a
 *    protected instance's private IP lives on);
 * 5. credential: a resource that uses a covered one (a client: the Cloud Run service of a
 *    protected database) reads it, and its value cannot be reproduced by a redeploy (a
 *    generated secret: the API key). Deleting it would lock every existing client out.
 *
 * Order-only edges (Resource.orderAfter) are not needs: they say when, not what.
 */
import type { PlanItem, Resource } from './types.js';

export interface Candidate {
  kind: string;
  name: string;
  /** The plan deletes or replaces it (else it stays, and counts only as a protected parent). */
  leaving: boolean;
  /** Protected itself (from the spec or the API). */
  protect: boolean;
  /** The API reports deletion protection on it (else the protection comes from the spec). */
  apiProtect?: boolean;
}

export interface CoverOptions {
  /** Keep the replicas of protected resources (rule 3). */
  keepReplicas: boolean;
  /** The resource holds a value a redeploy cannot reproduce (its provider says so). */
  minted: (r: Resource) => boolean;
}

/**
 * For each leaving candidate (something a plan would delete or replace) that protection
 * covers: why, in words a plan can print ("inside protected sql.Instance ruvector-db-us-central1").
 * A protected candidate that stays still covers what leaves from inside it.
 */
export function protectionCover(candidates: Candidate[], graph: Resource[], o: CoverOptions): Map<string, string> {
  const cand = new Map(candidates.map((c) => [c.name, c]));
  const byName = new Map(graph.map((r) => [r.name, r]));
  const needs = (r: Resource): string[] => r.dependsOn.filter((d) => !r.orderAfter?.includes(d));
  const kindOf = (n: string): string => cand.get(n)?.kind ?? byName.get(n)?.kind ?? '';
  const cover = new Map<string, string>();
  /** Covered because protected itself: what its reasons call it. */
  const roots = new Set<string>();
  const what = (n: string): string => `${roots.has(n) ? 'protected' : 'kept'} ${kindOf(n)} ${short(n)}`;

  for (const c of candidates) {
    if (!c.protect && !c.apiProtect) continue;
    cover.set(c.name, c.apiProtect ? 'protected: the API has deletion protection on' : 'protected by the spec (preventDestroy / deletionProtection)');
    roots.add(c.name);
  }
  const add = (name: string, reason: string): boolean => {
    if (cover.has(name) || !cand.get(name)?.leaving) return false;
    cover.set(name, reason);
    return true;
  };

  for (let changed = cover.size > 0; changed; ) {
    changed = false;
    // 2. inside: the nearest covered ancestor by name.
    for (const c of candidates) {
      if (cover.has(c.name) || !c.leaving) continue;
      const parent = ancestors(c.name).find((a) => cover.has(a));
      if (parent) changed = add(c.name, `inside ${what(parent)}`) || changed;
    }
    // 3. replica: same kind, depends on a protected one.
    if (o.keepReplicas) {
      for (const r of graph) {
        const of = needs(r).find((d) => roots.has(d) && kindOf(d) === r.kind);
        if (of) changed = add(r.name, `replica of ${what(of)} (--destroy-replicas deletes it)`) || changed;
      }
    }
    // 4. needed by a covered resource.
    for (const name of [...cover.keys()]) {
      const r = byName.get(name);
      if (!r) continue;
      for (const d of needs(r)) changed = add(d, `needed by ${what(name)}`) || changed;
    }
    // 5. a credential a client of a covered resource reads.
    for (const client of graph) {
      if (cover.has(client.name)) continue;
      const uses = needs(client).find((d) => roots.has(d)) ?? needs(client).find((d) => cover.has(d));
      if (!uses) continue;
      for (const d of needs(client)) {
        const dep = byName.get(d);
        if (dep && o.minted(dep)) changed = add(d, `read by ${client.kind} ${short(client.name)}, a client of ${what(uses)}; a redeploy would mint a new value`) || changed;
      }
    }
  }
  for (const c of candidates) if (!c.leaving) cover.delete(c.name);
  return cover;
}

/** Every proper prefix of a resource name at a path boundary, nearest first. */
function ancestors(name: string): string[] {
  const out: string[] = [];
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) out.push(name.slice(0, i));
  return out;
}

/** The name without project, location and the top collection: "ruvector-db-us-central1/users/ruvector". */
export function short(name: string): string {
  return name
    .replace(/^projects\/[^/]+\//, '')
    .replace(/^(global|regions\/[^/]+|locations\/[^/]+)\//, '')
    .replace(/^[a-zA-Z]+\//, '');
}

export interface GuardOptions {
  /** destroy: covered deletes are kept (not a failure); otherwise they are blocked. */
  destroy?: boolean;
  allowDestroyProtected?: boolean;
  /** destroy: delete the replicas of protected resources too. */
  destroyReplicas?: boolean;
  minted: (r: Resource) => boolean;
  /** The API reports deletion protection on this object. */
  apiProtected: (name: string) => boolean;
}

/**
 * Marks the plan's deletes and replaces that protection covers: `protection` says why; without
 * --allow-destroy-protected a destroy keeps them (`kept`) and any other plan blocks them.
 */
export function guardPlan(items: PlanItem[], graph: Resource[], o: GuardOptions): void {
  const candidates = items.map((i) => ({
    kind: i.kind,
    name: i.name,
    leaving: i.action === 'delete' || i.action === 'replace',
    protect: i.protect,
    apiProtect: o.apiProtected(i.name),
  }));
  const cover = protectionCover(candidates, graph, { keepReplicas: !!o.destroy && !o.destroyReplicas, minted: o.minted });
  for (const i of items) {
    const why = cover.get(i.name);
    if (!why || (i.action !== 'delete' && i.action !== 'replace')) continue;
    i.protection = why;
    if (o.allowDestroyProtected) continue;
    if (o.destroy && i.action === 'delete') i.kept = why;
    else i.blocked = `${why}: ${i.action === 'replace' ? 'replacing' : 'deleting'} it needs --allow-destroy-protected`;
  }
}
