import type { Spec } from '../spec/schema.js';
import { buildBucketIam, buildSecrets, buildServiceAccounts } from './build/iam.js';
import { buildRedis, buildSql, buildStorage } from './build/data.js';
import { buildArmor, buildLoadBalancer } from './build/lb.js';
import { buildNetwork } from './build/network.js';
import { buildPubSub } from './build/pubsub.js';
import { buildRun } from './build/run.js';
import { Ctx } from './context.js';
import { makeGraph } from './graph.js';
import type { Resource, ResourceGraph } from './types.js';

/**
 * Spec -> desired resource graph. Pure and deterministic: the same spec always gives the
 * same resources in the same order (network, identity, data, compute, messaging, edge).
 *
 * `regions` narrows the graph to those regions plus the global resources they need: see
 * selectRegions.
 */
export function expandTopology(spec: Spec, opts: { regions?: string[] } = {}): ResourceGraph {
  const ctx = new Ctx(spec);
  buildNetwork(ctx);
  buildServiceAccounts(ctx);
  buildRedis(ctx);
  buildSecrets(ctx);
  buildSql(ctx);
  buildStorage(ctx);
  buildBucketIam(ctx);
  buildRun(ctx);
  buildPubSub(ctx);
  const policy = buildArmor(ctx);
  buildLoadBalancer(ctx, policy);
  const full = makeGraph(ctx.resources);
  return opts.regions ? selectRegions(full, opts.regions) : full;
}

/** The region a resource belongs to for selection: its location, or the region it serves. */
export function regionOf(r: Resource): string | undefined {
  return r.region ?? r.homeRegion;
}

/**
 * Keep the resources of the selected regions and everything they depend on (a tier-2
 * replica keeps its primary, a service the secret it reads), plus every global resource
 * that serves no one region (network, firewalls, topics, the LB front end) and the global
 * resources those need. Global resources never pull other regions in; their edges to
 * resources left out are dropped, so the result is a closed graph. Order-only edges
 * (Resource.orderAfter) never pull anything in: selecting one replica region keeps its
 * primary, not the sibling replicas it is ordered after. A global resource like
 * the URL map still lists every backend in its spec, so applying a subset never rewrites
 * it to drop the other regions.
 */
export function selectRegions(g: ResourceGraph, regions: string[]): ResourceGraph {
  const wanted = new Set(regions);
  const keep = new Set<string>();
  const close = (seeds: Resource[], admit: (r: Resource) => boolean) => {
    const queue = seeds.map((r) => r.name);
    for (const n of queue) keep.add(n);
    while (queue.length > 0) {
      const r = g.byName.get(queue.pop()!)!;
      for (const d of r.dependsOn) {
        // An order-only edge (two writes on one Cloud SQL primary) is not a need: never follow it.
        if (r.orderAfter?.includes(d)) continue;
        const dep = g.byName.get(d);
        if (dep && !keep.has(d) && admit(dep)) {
          keep.add(d);
          queue.push(d);
        }
      }
    }
  };
  close(g.resources.filter((r) => { const home = regionOf(r); return home !== undefined && wanted.has(home); }), () => true);
  close(g.resources.filter((r) => regionOf(r) === undefined), (r) => regionOf(r) === undefined);
  const resources = g.resources
    .filter((r) => keep.has(r.name))
    .map((r) => {
      const out: Resource = { ...r, dependsOn: r.dependsOn.filter((d) => keep.has(d)) };
      if (!r.orderAfter) return out;
      const after = keptOrder(g, r.orderAfter, keep);
      const needs = out.dependsOn.filter((d) => !r.orderAfter!.includes(d));
      out.dependsOn = [...new Set([...needs, ...after])];
      if (after.length) out.orderAfter = after;
      else delete out.orderAfter;
      return out;
    });
  return makeGraph(resources);
}

/**
 * Order-only predecessors that survive a selection: a left-out one hands the order on to its
 * own order-only predecessors (a chain of replicas on one primary stays a chain, only shorter).
 */
function keptOrder(g: ResourceGraph, after: string[], keep: Set<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const queue = [...after];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (keep.has(n)) out.push(n);
    else queue.push(...(g.byName.get(n)?.orderAfter ?? []));
  }
  return out;
}
