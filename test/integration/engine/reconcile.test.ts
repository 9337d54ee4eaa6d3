import { describe, expect, it } from 'vitest';
import { hasChanges, summarize } from '../../../src/engine/plan.js';
import { expandTopology } from '../../../src/topology/index.js';
import { deployUntilOk, failures, sessionFor, templateSpec } from './helpers.js';
import { emulatorPerTest } from './per-test.js';

const world = emulatorPerTest();

type Doc = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

describe('reconcile on the emulator (templates/local.yaml)', () => {
  it('plans maxScale, Redis memory and a Cloud Armor rule as in-place updates of those resources alone', async () => {
    const emu = await world.start();
    const base = templateSpec('local');
    const s = sessionFor(base, emu, world.home());
    expect((await deployUntilOk(s)).result.ok).toBe(true);
    await s.close();

    const cases: { name: string; mutate: (d: Doc) => void; kind: string; path: RegExp }[] = [
      { name: 'maxScale', mutate: (d) => void (d.tiers!.tier2!.run!.maxInstances = 3), kind: 'run.Service', path: /maxInstanceCount/ },
      { name: 'redis memory', mutate: (d) => void (d.tiers!.tier2!.redis!.memorySizeGb = 2), kind: 'redis.Instance', path: /^memorySizeGb$/ },
      { name: 'armor rule', mutate: (d) => void ((d as Record<string, Record<string, unknown>>).armor ??= {}, ((d as Record<string, Record<string, Record<string, unknown>>>).armor!.rateLimit ??= {}).count = 250), kind: 'compute.SecurityPolicy', path: /^rules\[priority=1000\]\.(rateLimitOptions\.rateLimitThreshold\.count|description)$/ },
    ];
    for (const [n, c] of cases.entries()) {
      // Cumulative: each case keeps the changes already applied.
      const spec = templateSpec('local', (d) => cases.slice(0, n + 1).forEach((x) => x.mutate(d as unknown as Doc)));
      const session = sessionFor(spec, emu, world.home());
      try {
        const { plan, observed } = await session.plan();
        const changing = plan.items.filter((i) => i.action !== 'noop');
        expect(changing.map((i) => `${i.action} ${i.kind}`), `${c.name}: ${JSON.stringify(changing.map((i) => [i.name, i.changes]))}`).toEqual([`update ${c.kind}`]);
        expect(changing[0]!.changes.every((ch) => c.path.test(ch.path)), JSON.stringify(changing[0]!.changes)).toBe(true);
        const mark = emu.requestLog.mark();
        const result = await session.apply(plan, observed);
        expect(result.ok, failures(result)).toBe(true);
        // In place: no delete and no create of the resource.
        expect(emu.requestLog.count({ since: mark, method: 'DELETE' })).toBe(0);
        expect(hasChanges((await session.plan()).plan), c.name).toBe(false);
      } finally {
        await session.close();
      }
    }
  });

  it('converges under 20% injected 429/503 and eventual consistency, with no duplicates, on several seeds', async () => {
    const spec = templateSpec('local');
    const names = expandTopology(spec).resources.map((r) => r.name);
    for (const seed of [11, 22, 33]) {
      const emu = await world.start({ faultRate: 0.2, consistencyDelayMs: 30, seed });
      const s = sessionFor(spec, emu, world.home());
      try {
        const { result, runs } = await deployUntilOk(s, 4);
        expect(result.ok, `seed ${seed} after ${runs} runs: ${failures(result)}`).toBe(true);
        // A resource created in the last instant may still be invisible to list calls (that
        // is the eventual consistency under test): let the 30 ms window pass before judging.
        await new Promise((r) => setTimeout(r, 100));
        const after = await s.plan();
        const left = after.plan.items.filter((i) => i.action !== 'noop');
        expect(hasChanges(after.plan), `seed ${seed}: ${JSON.stringify(left.map((i) => [i.action, i.name, i.changes]))}`).toBe(false);
        // No duplicates: every name exactly once, and convergence never deleted to re-create.
        for (const n of names) expect(after.observed.has(n)).toBe(true);
        expect(emu.requestLog.count({ method: 'DELETE' })).toBe(0);
        // The faults really happened.
        expect(emu.requestLog.entries({}).filter((e) => e.fault === '429' || e.fault === '503').length).toBeGreaterThan(10);
      } finally {
        await s.close();
        await world.stop(emu);
      }
    }
  }, 180_000);

  it('plan tells of the reads it retries, and why', async () => {
    const emu = await world.start({ faultRate: 0.3, seed: 5 });
    const told: { what: string; status: string; attempt: number }[] = [];
    const s = sessionFor(templateSpec('local'), emu, world.home(), undefined, {
      onReadRetry: (what, c, attempt) => told.push({ what, status: String(c.httpStatus), attempt }),
    });
    try {
      await s.plan();
      const faulted = emu.requestLog.entries({}).filter((e) => e.fault === '429' || e.fault === '503');
      expect(faulted.length).toBeGreaterThan(3);
      // A report per retried read, naming the list and the status the API answered (a list that
      // fans out over regions meets several faults in one try, so there can be fewer reports).
      expect(told.length).toBeGreaterThan(3);
      expect(told.length).toBeLessThanOrEqual(faulted.length);
      for (const t of told) expect(['429', '503']).toContain(t.status);
      for (const t of told) expect(t.what).toMatch(/^(listing [a-z]+\.[A-Za-z]+|reading a referenced resource)$/);
    } finally {
      await s.close();
      await world.stop(emu);
    }
  }, 60_000);

  it('--regions touches only those regions and the global resources they need', async () => {
    const emu = await world.start();
    const s = sessionFor(templateSpec('local'), emu, world.home());
    expect((await deployUntilOk(s)).result.ok).toBe(true);
    await s.close();
    // A change that reaches every region (tier 1: us-central1, europe-west1; tier 2: asia-northeast1) ...
    const changed = templateSpec('local', (d) => {
      const tiers = d.tiers as Doc['tiers'];
      tiers!.tier1!.run!.maxInstances = 4;
      tiers!.tier2!.run!.maxInstances = 4;
    });
    // ... rolled out to two regions first.
    const selected = ['us-central1', 'europe-west1'];
    const partial = sessionFor(changed, emu, world.home(), selected);
    try {
      const { plan, observed } = await partial.plan();
      expect(plan.items.filter((i) => i.action !== 'noop').map((i) => i.region).sort()).toEqual([...selected].sort());
      expect(plan.items.some((i) => i.region === 'asia-northeast1')).toBe(false);
      const mark = emu.requestLog.mark();
      const result = await partial.apply(plan, observed);
      expect(result.ok, failures(result)).toBe(true);
      const writes = emu.requestLog.entries({ since: mark, write: true });
      expect(writes.length).toBeGreaterThan(0);
      expect(writes.filter((w) => !selected.some((r) => w.path.includes(r))).map((w) => w.path)).toEqual([]);
    } finally {
      await partial.close();
    }
    // The rest of the rollout is exactly the region left out.
    const full = sessionFor(changed, emu, world.home());
    const { plan } = await full.plan();
    await full.close();
    expect(plan.items.filter((i) => i.action !== 'noop').map((i) => `${i.action} ${i.kind} ${i.region}`)).toEqual(['update run.Service asia-northeast1']);
  });

  it('--regions on a fresh project defers the shared globals that name the other regions, then a full deploy completes them', async () => {
    const emu = await world.start();
    const spec = templateSpec('local');
    const selected = ['us-central1', 'europe-west1'];
    const partial = sessionFor(spec, emu, world.home(), selected);
    try {
      const { plan, observed } = await partial.plan();
      const deferred = plan.items.filter((i) => i.deferred).map((i) => i.kind);
      expect(deferred).toContain('compute.UrlMap');
      expect(deferred).toContain('compute.GlobalForwardingRule');
      const result = await partial.apply(plan, observed);
      expect(result.ok, failures(result)).toBe(true);
      expect(emu.requestLog.entries({ write: true }).filter((w) => /asia-northeast1|asne1/.test(w.path)).map((w) => w.path)).toEqual([]);
    } finally {
      await partial.close();
    }
    const full = sessionFor(spec, emu, world.home());
    try {
      const { result } = await deployUntilOk(full);
      expect(result.ok, failures(result)).toBe(true);
      expect(hasChanges((await full.plan()).plan)).toBe(false);
    } finally {
      await full.close();
    }
  });

  it('destroy removes everything it owns, in reverse order, and nothing else', async () => {
    const emu = await world.start();
    const spec = templateSpec('local');
    const s = sessionFor(spec, emu, world.home());
    try {
      expect((await deployUntilOk(s)).result.ok).toBe(true);
      // Someone else's objects in the same project: no ownership labels / marker.
      const net = s.clients.compute('NetworksClient');
      const [op] = await net.insert({ project: spec.project, networkResource: { name: 'team-vpc', autoCreateSubnetworks: false } });
      await s.clients.compute('GlobalOperationsClient').wait({ project: spec.project, operation: op.latestResponse.name });
      await s.clients.storage.createBucket('someone-elses-bucket', { location: 'US' } as never);
      await s.clients.publisher.createTopic({ name: `projects/${spec.project}/topics/not-ours`, labels: { team: 'x' } });
      // A bucket of ours holding data: templates/local.yaml sets forceDestroy, so it goes too.
      await s.clients.storage.bucket('ruvector-vectors-us-central1').file('replication/batch.bin').save(Buffer.from('x'));

      const { plan, observed } = await s.plan({ destroy: true });
      expect(plan.items.every((i) => i.action === 'delete')).toBe(true);
      const result = await s.apply(plan, observed);
      expect(result.ok, failures(result)).toBe(true);

      const after = await s.observe();
      const ours = [...after.values()].filter((o) => o.owner === spec.metadata.name);
      expect(ours.map((o) => o.name)).toEqual([]);
      expect(after.has(`projects/${spec.project}/global/networks/team-vpc`)).toBe(true);
      expect(after.has('projects/_/buckets/someone-elses-bucket')).toBe(true);
      expect(after.has(`projects/${spec.project}/topics/not-ours`)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('destroy stops at a bucket that holds data unless its spec says forceDestroy, and the data survives', async () => {
    const emu = await world.start();
    const spec = templateSpec('local', (d) => {
      d.storage = { vectors: { forceDestroy: false } };
    });
    const s = sessionFor(spec, emu, world.home());
    try {
      expect((await deployUntilOk(s)).result.ok).toBe(true);
      const file = s.clients.storage.bucket('ruvector-vectors-us-central1').file('vectors/2026/11/28/shard-00000.bin');
      await file.save(Buffer.from('snapshot'));
      const { plan, observed } = await s.plan({ destroy: true });
      const result = await s.apply(plan, observed);
      expect(result.ok).toBe(false);
      const failed = result.results.filter((r) => r.status === 'failed');
      expect(failed.map((r) => r.name)).toEqual(['projects/_/buckets/ruvector-vectors-us-central1']);
      expect(failures(result)).toMatch(/not empty/);
      expect((await file.exists())[0]).toBe(true);
      // The empty bucket of the other region went.
      expect((await s.clients.storage.bucket('ruvector-vectors-europe-west1').exists())[0]).toBe(false);
    } finally {
      await s.close();
    }
  });
});
