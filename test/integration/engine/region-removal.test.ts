import { describe, expect, it } from 'vitest';
import { summarize } from '../../../src/engine/plan.js';
import { deployUntilOk, failures, sessionFor, templateSpec } from './helpers.js';
import { emulatorPerTest } from './per-test.js';

const world = emulatorPerTest();

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * templates/local.yaml without asia-northeast1: what an operator deploys to retire a region.
 * (It is the last region, so no other region's subnet index moves: see docs/runbooks.)
 */
function withoutAsia(d: Doc): void {
  d.regions.tier2 = [];
  delete d.regions.primaryFor;
  d.loadBalancer.clientRegionRoutes = d.loadBalancer.clientRegionRoutes.filter((r: { region: string }) => r.region !== 'asia-northeast1');
}

describe('retiring a region', () => {
  it('a deploy of the spec without the region rewrites the URL map first, then deletes the region, and converges', async () => {
    const emu = await world.start();
    const full = sessionFor(templateSpec('local'), emu, world.home());
    try {
      expect((await deployUntilOk(full)).result.ok).toBe(true);
    } finally {
      await full.close();
    }
    const s = sessionFor(templateSpec('local', withoutAsia), emu, world.home());
    try {
      const { plan, observed } = await s.plan();
      const sum = summarize(plan);
      expect(sum.delete).toBeGreaterThan(0);
      const urlMap = plan.items.find((i) => i.kind === 'compute.UrlMap' && i.action === 'update');
      expect(urlMap, JSON.stringify(plan.items.filter((i) => i.action !== 'noop').map((i) => [i.action, i.name]))).toBeDefined();
      const result = await s.apply(plan, observed);
      expect(result.ok, failures(result)).toBe(true);
      const again = await s.plan();
      expect(summarize(again.plan).noop).toBe(again.plan.items.length);
      const left = [...(await s.observe()).values()].filter((o) => o.region === 'asia-northeast1' && o.owner === 'ruvector-local');
      expect(left.map((o) => o.name)).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('destroy --regions', () => {
  it('reroutes the URL map away from the region, then deletes its backend and the rest of it; the other regions keep serving', async () => {
    const emu = await world.start();
    const spec = templateSpec('local');
    const full = sessionFor(spec, emu, world.home());
    try {
      expect((await deployUntilOk(full)).result.ok).toBe(true);
    } finally {
      await full.close();
    }
    // europe-west1 is a primary nobody replicates: it can go alone.
    const s = sessionFor(spec, emu, world.home(), ['europe-west1']);
    try {
      const { plan, observed } = await s.plan({ destroy: true });
      const urlMap = plan.items.find((i) => i.kind === 'compute.UrlMap');
      expect(urlMap?.action).toBe('update');
      expect(plan.items.filter((i) => i.action === 'delete').every((i) => i.region === 'europe-west1' || i.kind === 'compute.BackendService' || i.region === undefined)).toBe(true);
      const result = await s.apply(plan, observed);
      expect(result.ok, failures(result)).toBe(true);
    } finally {
      await s.close();
    }
    const after = sessionFor(spec, emu, world.home());
    try {
      const seen = [...(await after.observe()).values()].filter((o) => o.owner === 'ruvector-local');
      expect(seen.filter((o) => o.region === 'europe-west1').map((o) => o.name)).toEqual([]);
      expect(seen.some((o) => o.name.endsWith('backendServices/ruvector-backend-europe-west1'))).toBe(false);
      expect(seen.some((o) => o.name.endsWith('backendServices/ruvector-backend-us-central1'))).toBe(true);
      // A deploy of the whole spec brings the region back.
      expect((await deployUntilOk(after)).result.ok).toBe(true);
    } finally {
      await after.close();
    }
  });

  it('refuses to destroy a primary a remaining region replicates, before touching anything', async () => {
    const emu = await world.start();
    const s = sessionFor(templateSpec('local'), emu, world.home(), ['us-central1']);
    try {
      await expect(s.plan({ destroy: true })).rejects.toThrow(/asia-northeast1's database replicates us-central1's primary/);
    } finally {
      await s.close();
    }
  });
});
