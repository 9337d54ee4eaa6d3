import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/engine/apply.js';
import { Journal } from '../../../src/engine/journal.js';
import { computePlan, hasChanges, observeAll, summarize } from '../../../src/engine/plan.js';
import type { Resource } from '../../../src/engine/types.js';
import { ctxFor, FakeCloud, fakeProvider, registryOf } from './fake-cloud.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function journal(): Journal {
  const d = mkdtempSync(join(tmpdir(), 'rv-journal-'));
  dirs.push(d);
  return new Journal(join(d, 'j.json'));
}

const backoff = { baseMs: 1, maxMs: 5, maxAttempts: 30 };

/** network -> subnet(r) -> connector(r) -> service(r); service(r) -> neg(r) -> backend(r) -> urlmap */
function graph(regions: string[]): Resource[] {
  const out: Resource[] = [{ kind: 'net', name: 'net', spec: { mtu: 1460 }, dependsOn: [] }];
  for (const r of regions) {
    out.push({ kind: 'sub', name: `sub-${r}`, region: r, spec: { cidr: '10.0.0.0/20' }, dependsOn: ['net'] });
    out.push({ kind: 'conn', name: `conn-${r}`, region: r, spec: { min: 2 }, dependsOn: [`sub-${r}`] });
    out.push({ kind: 'svc', name: `svc-${r}`, region: r, spec: { maxScale: 10 }, dependsOn: [`conn-${r}`] });
    out.push({ kind: 'neg', name: `neg-${r}`, region: r, spec: { service: `svc-${r}` }, dependsOn: [`svc-${r}`] });
  }
  out.push({ kind: 'map', name: 'urlmap', spec: { routes: regions.map((r) => `neg-${r}`) }, dependsOn: regions.map((r) => `neg-${r}`) });
  return out;
}

const KINDS = ['net', 'sub', 'conn', 'svc', 'neg', 'map'];

async function deploy(cloud: FakeCloud, desired: Resource[], j: Journal, extra: { destroy?: boolean; regions?: string[] } = {}) {
  const registry = registryOf(KINDS.map((k) => fakeProvider(cloud, k, () => desired)));
  const ctx = ctxFor();
  const regions = extra.regions ?? [...new Set(desired.map((r) => r.region).filter((r): r is string => !!r))];
  const observed = await observeAll(ctx, registry, desired, { regions, backoff });
  const plan = await computePlan(desired, observed, registry, ctx, { topology: 't1', project: 'p', target: 'fake', destroy: extra.destroy });
  const events: string[] = [];
  const result = await applyPlan(plan, registry, ctx, { journal: j, backoff, consistencyWaitMs: 200, observed, onEvent: (e) => events.push(`${e.type} ${e.name}`) });
  return { plan, result, events };
}

describe('applyPlan', () => {
  it('creates in dependency order and a second plan is a no-op with zero writes', async () => {
    const cloud = new FakeCloud();
    const desired = graph(['a', 'b']);
    const j = journal();
    const { result } = await deploy(cloud, desired, j);
    expect(result.ok).toBe(true);
    expect([...cloud.inserts].sort()).toEqual(desired.map((r) => r.name).sort());
    expect(cloud.inserts.indexOf('net')).toBeLessThan(cloud.inserts.indexOf('sub-a'));
    expect(cloud.inserts.indexOf('svc-b')).toBeLessThan(cloud.inserts.indexOf('neg-b'));
    const writes = cloud.writes;
    const again = await deploy(cloud, desired, j);
    expect(hasChanges(again.plan)).toBe(false);
    expect(cloud.writes).toBe(writes);
    expect(j.all()).toEqual({});
  });

  it('plans a changed field as one in-place update', async () => {
    const cloud = new FakeCloud();
    const desired = graph(['a']);
    await deploy(cloud, desired, journal());
    const changed = desired.map((r) => (r.name === 'svc-a' ? { ...r, spec: { maxScale: 20 } } : r));
    const { plan, result } = await deploy(cloud, changed, journal());
    expect(summarize(plan)).toMatchObject({ update: 1, create: 0, delete: 0, replace: 0 });
    expect(plan.items.find((i) => i.action === 'update')).toMatchObject({ name: 'svc-a', changes: [{ path: 'maxScale', before: 10, after: 20 }] });
    expect(result.ok).toBe(true);
    expect(cloud.updates).toEqual(['svc-a']);
  });

  it('converges under faults, lost responses and eventual consistency without duplicates', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const cloud = new FakeCloud({ seed, faultRate: 0.2, lostResponseRate: 0.2, consistencyMs: 20 });
      const desired = graph(['a', 'b', 'c']);
      const j = journal();
      let result = (await deploy(cloud, desired, j)).result;
      for (let i = 0; i < 3 && !result.ok; i++) result = (await deploy(cloud, desired, j)).result;
      expect(result.ok, `seed ${seed}: ${JSON.stringify(result.results.filter((r) => r.status !== 'done'))}`).toBe(true);
      expect(new Set(cloud.inserts).size).toBe(cloud.inserts.length);
      expect(cloud.inserts.length).toBe(desired.length);
    }
  });

  it('observes an unknown-outcome create from a crashed run before re-sending it', async () => {
    const cloud = new FakeCloud({ consistencyMs: 0 });
    const desired = graph(['a']);
    const j = journal();
    // The crashed run: marker written, create landed, process died before clearing it.
    await j.mark('net', { kind: 'net', requestId: 'req-1', startedAt: new Date().toISOString() });
    await cloud.insert(desired[0]!, ctxFor().ownerLabels, 'req-1');
    cloud.objects.get('net')!.visibleAt = Date.now() + 50; // still invisible when the next run plans
    const { result, plan } = await deploy(cloud, desired, j);
    expect(plan.items.find((i) => i.name === 'net')!.action).toBe('create');
    expect(result.ok).toBe(true);
    expect(cloud.inserts.filter((n) => n === 'net')).toHaveLength(1);
    expect(j.pending('net')).toBeUndefined();
  });

  it('clears the marker of a crashed create that landed and is already visible (planned as no change)', async () => {
    const cloud = new FakeCloud({ consistencyMs: 0 });
    const desired = graph(['a']);
    const j = journal();
    await j.mark('net', { kind: 'net', requestId: 'req-2', startedAt: new Date().toISOString() });
    await cloud.insert(desired[0]!, ctxFor().ownerLabels, 'req-2');
    const { result, plan } = await deploy(cloud, desired, j);
    expect(plan.items.find((i) => i.name === 'net')!.action).toBe('noop');
    expect(result.ok).toBe(true);
    expect(j.pending('net')).toBeUndefined();
  });

  it('re-uses the journaled requestId when the crashed create never landed', async () => {
    const cloud = new FakeCloud();
    const desired = graph(['a']);
    const j = journal();
    await j.mark('net', { kind: 'net', requestId: 'req-7', startedAt: new Date().toISOString() });
    const { result } = await deploy(cloud, desired, j);
    expect(result.ok).toBe(true);
    expect(cloud.requestIds.get('net')).toBe('req-7');
  });

  it('stops only the dependents of a failure and reports it', async () => {
    const cloud = new FakeCloud({ failCreate: new Set(['conn-a']) });
    const desired = graph(['a', 'b']);
    const { result } = await deploy(cloud, desired, journal());
    expect(result.ok).toBe(false);
    const by = new Map(result.results.map((r) => [r.name, r]));
    expect(by.get('conn-a')).toMatchObject({ status: 'failed' });
    expect(by.get('conn-a')!.error).toContain('bad spec for conn-a');
    expect(by.get('svc-a')).toMatchObject({ status: 'skipped', blockedBy: 'conn-a' });
    expect(by.get('urlmap')).toMatchObject({ status: 'skipped' });
    expect(by.get('svc-b')!.status).toBe('done');
    // Running again after the cause is fixed resumes and converges.
    cloud.o.failCreate!.clear();
    const again = await deploy(cloud, desired, journal());
    expect(again.result.ok).toBe(true);
    expect(summarize(again.plan).create).toBe(4); // conn-a, svc-a, neg-a, urlmap
  });

  it('deletes what the spec dropped, dependents first, and only what we own', async () => {
    const cloud = new FakeCloud();
    const desired = graph(['a', 'b']);
    await deploy(cloud, desired, journal());
    cloud.objects.set('foreign', { name: 'foreign', kind: 'svc', region: 'b', spec: {}, labels: { team: 'x' }, visibleAt: 0 });
    // Drop region b: its chain goes, and since the graph no longer knows it, kind depth orders the deletes.
    const smaller = graph(['a']);
    const { plan, result } = await deploy(cloud, smaller, journal(), { regions: ['a', 'b'] });
    expect(plan.items.filter((i) => i.action === 'delete').map((i) => i.name).sort()).toEqual(['conn-b', 'neg-b', 'sub-b', 'svc-b']);
    expect(result.ok).toBe(true);
    expect(cloud.objects.has('foreign')).toBe(true);
    const order = cloud.deletes;
    expect(order.indexOf('neg-b')).toBeLessThan(order.indexOf('svc-b'));
    expect(order.indexOf('svc-b')).toBeLessThan(order.indexOf('conn-b'));
    expect(order.indexOf('conn-b')).toBeLessThan(order.indexOf('sub-b'));
  });

  it('destroy removes everything we own in reverse order and keeps protected objects with what they need', async () => {
    const cloud = new FakeCloud();
    const desired = graph(['a']).map((r) => (r.name === 'sub-a' ? { ...r, protect: true } : r));
    await deploy(cloud, desired, journal());
    const { plan, result } = await deploy(cloud, desired, journal(), { destroy: true });
    expect(plan.items.find((i) => i.name === 'sub-a')!.kept).toMatch(/^protected/);
    // The network is not tried and refused: the kept subnet needs it.
    expect(plan.items.find((i) => i.name === 'net')!.kept).toBe('needed by protected sub sub-a');
    expect(result.ok).toBe(true);
    expect([...cloud.objects.keys()].sort()).toEqual(['net', 'sub-a']);
    expect(cloud.deletes.indexOf('urlmap')).toBeLessThan(cloud.deletes.indexOf('neg-a'));
  });
});

describe('quota', () => {
  it('fails a create whose quota is exhausted after a few tries, naming the quota', async () => {
    const cloud = new FakeCloud();
    const desired = graph(['a']);
    const registry = registryOf(KINDS.map((k) => fakeProvider(cloud, k, () => desired)));
    const net = registry.get('net')!;
    let tries = 0;
    net.create = async () => {
      tries++;
      throw Object.assign(new Error(JSON.stringify({ error: { code: 403, message: "Quota 'NETWORKS' exceeded. Limit: 5.0 globally.", errors: [{ reason: 'quotaExceeded' }] } })), { code: 403 });
    };
    const ctx = ctxFor();
    const observed = await observeAll(ctx, registry, desired, { regions: ['a'], backoff });
    const plan = await computePlan(desired, observed, registry, ctx, { topology: 't1', project: 'p', target: 'fake' });
    const result = await applyPlan(plan, registry, ctx, { journal: journal(), backoff, consistencyWaitMs: 50, observed });
    expect(result.ok).toBe(false);
    expect(tries).toBe(4);
    expect(result.results.find((r) => r.name === 'net')!.error).toContain("Quota 'NETWORKS' exceeded");
  });
});
