import { describe, expect, it } from 'vitest';
import { expandTopology, graphProblems, regionOf } from '../../../src/topology/index.js';
import { get, P, production } from './helpers.js';

const { spec, graph } = production();

describe('region selection (--regions)', () => {
  it('keeps the selected regions and the global resources, and nothing of other regions', () => {
    const g = expandTopology(spec, { regions: ['us-central1', 'europe-west1'] });
    expect(graphProblems(g)).toEqual([]);
    const regions = new Set(g.resources.map(regionOf).filter(Boolean));
    expect([...regions].sort()).toEqual(['europe-west1', 'us-central1']);
    // every global resource of the full graph that serves no single region is kept
    for (const r of graph.resources.filter((x) => regionOf(x) === undefined)) expect(g.byName.has(r.name), r.name).toBe(true);
    expect(g.resources.filter((r) => r.kind === 'run.Service')).toHaveLength(2);
    expect(g.resources.filter((r) => r.kind === 'compute.BackendService')).toHaveLength(2);
  });

  it('a tier-2 region keeps the primary its replica follows, and the secret its service reads', () => {
    const g = expandTopology(spec, { regions: ['me-west1'] });
    expect(graphProblems(g)).toEqual([]);
    expect(g.byName.has(`${P}/instances/ruvector-db-me-west1-replica`)).toBe(true);
    expect(g.byName.has(`${P}/instances/ruvector-db-europe-west1`)).toBe(true);
    expect(g.byName.has(`${P}/secrets/ruvector-db-password-europe-west1`)).toBe(true);
    // ... but not the rest of europe-west1
    expect(g.byName.has(`${P}/locations/europe-west1/services/ruvector-streaming`)).toBe(false);
    expect(g.byName.has(`${P}/locations/europe-west1/instances/ruvector-redis-europe-west1`)).toBe(false);
  });

  it('the order of Cloud SQL writes on one primary never pulls another region in', () => {
    const replica = (r: string) => `${P}/instances/ruvector-db-${r}-replica`;
    // me-west1's replica is ordered after europe-north1's (same primary): selecting it keeps its primary only.
    expect(get(graph, replica('me-west1')).orderAfter).toEqual([replica('europe-north1')]);
    const one = expandTopology(spec, { regions: ['me-west1'] });
    expect(graphProblems(one)).toEqual([]);
    expect([...new Set(one.resources.map(regionOf).filter(Boolean))].sort()).toEqual(['europe-west1', 'me-west1']);
    for (const r of ['europe-west2', 'europe-west3', 'europe-north1']) expect(one.byName.has(replica(r)), r).toBe(false);
    const kept = get(one, replica('me-west1'));
    expect(kept.orderAfter).toBeUndefined();
    expect(kept.dependsOn).toContain(`${P}/instances/ruvector-db-europe-west1`);

    // A primary region alone: its database waits for no replica (they are not in the selection).
    const primary = expandTopology(spec, { regions: ['europe-west1'] });
    expect([...new Set(primary.resources.map(regionOf).filter(Boolean))]).toEqual(['europe-west1']);
    expect(primary.resources.filter((r) => r.kind === 'sql.Instance').map((r) => r.name)).toEqual([`${P}/instances/ruvector-db-europe-west1`]);
    expect(get(primary, `${P}/instances/ruvector-db-europe-west1/databases/ruvector`).dependsOn).toEqual([`${P}/instances/ruvector-db-europe-west1`]);

    // Two replicas of one primary with the ones between them left out stay in order.
    const two = expandTopology(spec, { regions: ['europe-west2', 'me-west1'] });
    expect(graphProblems(two)).toEqual([]);
    expect(get(two, replica('me-west1')).orderAfter).toEqual([replica('europe-west2')]);
    expect(get(two, replica('me-west1')).dependsOn).toContain(replica('europe-west2'));
    expect(two.byName.has(replica('europe-north1'))).toBe(false);
  });

  it('global resources keep their full spec; edges to left-out regions are dropped', () => {
    const g = expandTopology(spec, { regions: ['me-west1'] });
    const full = get(graph, `${P}/global/urlMaps/ruvector-url-map`);
    const sub = get(g, `${P}/global/urlMaps/ruvector-url-map`);
    expect(sub.spec).toEqual(full.spec);
    expect(sub.dependsOn).toEqual([]);
    expect(full.dependsOn.length).toBe(3);
  });

  it('selecting every region gives the full graph', () => {
    const all = [...spec.regions.tier1, ...spec.regions.tier2];
    expect(expandTopology(spec, { regions: all }).resources).toEqual(graph.resources);
  });
});
