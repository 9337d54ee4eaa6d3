/**
 * What protection covers, one rule at a time, on the in-memory fake cloud: plan, apply, and
 * what is left. Then the rules on the shipped templates' real graphs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/engine/apply.js';
import { Journal } from '../../../src/engine/journal.js';
import { computePlan, hasChanges, observeAll, summarize } from '../../../src/engine/plan.js';
import { protectionCover } from '../../../src/engine/protection.js';
import type { Resource } from '../../../src/engine/types.js';
import { registry as realRegistry } from '../../../src/providers/index.js';
import { expandTopology } from '../../../src/topology/index.js';
import { templateSpec } from '../../integration/engine/helpers.js';
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
const R = 'r1';

/**
 * A database world in one region: a network with private service access, a primary with a
 * database and a user (whose password is a generated secret), two read replicas (the second
 * ordered after the first), a service that reads the user's password, a generated API key and
 * a derived host secret, and things around the network nobody keeps.
 */
function world(o: { protect?: 'spec' | 'api' } = { protect: 'spec' }): Resource[] {
  return [
    { kind: 'net', name: 'net', spec: {}, dependsOn: [] },
    { kind: 'psa', name: 'psa', spec: {}, dependsOn: ['net'] },
    { kind: 'fw', name: 'fw', spec: {}, dependsOn: ['net'] },
    {
      kind: 'inst',
      name: 'instances/db',
      region: R,
      spec: o.protect === 'api' ? { deletionProtection: true } : {},
      dependsOn: ['net', 'psa'],
      ...(o.protect === 'spec' ? { protect: true } : {}),
    },
    { kind: 'database', name: 'instances/db/databases/main', region: R, spec: {}, dependsOn: ['instances/db'] },
    { kind: 'secret', name: 'pw', spec: { generated: true }, dependsOn: [] },
    { kind: 'user', name: 'instances/db/users/app', region: R, spec: { passwordFrom: 'pw' }, dependsOn: ['instances/db', 'pw', 'instances/db/databases/main'], orderAfter: ['instances/db/databases/main'] },
    { kind: 'inst', name: 'instances/replica-1', region: R, spec: {}, dependsOn: ['instances/db', 'net'] },
    { kind: 'inst', name: 'instances/replica-2', region: R, spec: {}, dependsOn: ['instances/db', 'net', 'instances/replica-1'], orderAfter: ['instances/replica-1'] },
    { kind: 'secret', name: 'api-key', spec: { generated: true }, dependsOn: [] },
    { kind: 'secret', name: 'host', spec: { value: 'db-host' }, dependsOn: ['instances/db'] },
    { kind: 'conn', name: 'conn', region: R, spec: {}, dependsOn: ['net'] },
    { kind: 'svc', name: 'svc', region: R, spec: {}, dependsOn: ['conn', 'instances/db', 'pw', 'api-key', 'host'] },
    // A generated secret no client of the protected data reads.
    { kind: 'secret', name: 'unrelated-token', spec: { generated: true }, dependsOn: [] },
    { kind: 'tool', name: 'tool', region: R, spec: {}, dependsOn: ['unrelated-token', 'conn'] },
  ];
}
const KINDS = ['net', 'psa', 'fw', 'inst', 'database', 'user', 'secret', 'conn', 'svc', 'tool'];

function registryFor(cloud: FakeCloud, desired: Resource[]) {
  return registryOf(
    KINDS.map((k) => {
      const p = fakeProvider(cloud, k, () => desired);
      return k === 'secret' ? { ...p, minted: (r: Resource) => r.spec.generated === true } : p;
    }),
  );
}

async function deployed(desired: Resource[]) {
  const cloud = new FakeCloud();
  const registry = registryFor(cloud, desired);
  const ctx = ctxFor();
  const observed = await observeAll(ctx, registry, desired, { regions: [R], backoff });
  const plan = await computePlan(desired, observed, registry, ctx, { topology: 't1', project: 'p', target: 'fake' });
  expect((await applyPlan(plan, registry, ctx, { journal: journal(), backoff, observed })).ok).toBe(true);
  return { cloud, registry, ctx };
}

async function destroy(desired: Resource[], o: { allowDestroyProtected?: boolean; destroyReplicas?: boolean } = {}) {
  const { cloud, registry, ctx } = await deployed(desired);
  const observed = await observeAll(ctx, registry, desired, { regions: [R], backoff });
  const plan = await computePlan(desired, observed, registry, ctx, { topology: 't1', project: 'p', target: 'fake', destroy: true, allowDestroyProtected: o.allowDestroyProtected, destroyReplicas: o.destroyReplicas });
  const result = await applyPlan(plan, registry, ctx, { journal: journal(), backoff, observed });
  const kept = Object.fromEntries(plan.items.filter((i) => i.kept).map((i) => [i.name, i.kept!]));
  return { cloud, plan, result, kept, left: [...cloud.objects.keys()].sort() };
}

describe('destroy keeps what protection covers', () => {
  it('keeps a protected resource, and the keep is not a failure', async () => {
    const { kept, result, left, plan } = await destroy(world());
    expect(kept['instances/db']).toBe('protected by the spec (preventDestroy / deletionProtection)');
    expect(result.ok).toBe(true);
    expect(result.results.find((r) => r.name === 'instances/db')).toMatchObject({ status: 'kept' });
    expect(left).toContain('instances/db');
    // Kept items are not counted as deletes, and are no change on their own.
    const s = summarize(plan);
    expect(s.kept).toBe(Object.keys(kept).length);
    expect(s.delete + s.kept).toBe(world().length);
    expect(hasChanges({ items: plan.items.filter((i) => i.kept) })).toBe(false);
  });

  it('says when the protection is the API\'s own deletion protection', async () => {
    const { kept } = await destroy(world({ protect: 'api' }));
    expect(kept['instances/db']).toBe('protected: the API has deletion protection on');
    expect(kept['instances/db/databases/main']).toBe('inside protected inst db');
  });

  it('inside: keeps what lives under a protected resource\'s name (its databases and users)', async () => {
    const { kept, left } = await destroy(world());
    expect(kept['instances/db/databases/main']).toBe('inside protected inst db');
    expect(kept['instances/db/users/app']).toBe('inside protected inst db');
    expect(left).toEqual(expect.arrayContaining(['instances/db/databases/main', 'instances/db/users/app']));
  });

  it('replica: keeps the same-kind dependents of a protected resource unless asked', async () => {
    const kept = (await destroy(world())).kept;
    expect(kept['instances/replica-1']).toBe('replica of protected inst db (--destroy-replicas deletes it)');
    // Ordered after replica-1 (an order-only edge), but a replica of db all the same.
    expect(kept['instances/replica-2']).toBe('replica of protected inst db (--destroy-replicas deletes it)');

    const asked = await destroy(world(), { destroyReplicas: true });
    expect(asked.kept['instances/replica-1']).toBeUndefined();
    expect(asked.left).not.toContain('instances/replica-1');
    expect(asked.left).not.toContain('instances/replica-2');
    expect(asked.left).toContain('instances/db');
  });

  it('needed: keeps what a kept resource depends on', async () => {
    const { kept, left } = await destroy(world());
    expect(kept.pw).toBe('needed by kept user db/users/app');
    expect(kept.net).toBe('needed by protected inst db');
    expect(kept.psa).toBe('needed by protected inst db');
    // What merely uses the kept network goes.
    expect(left).not.toContain('fw');
    expect(left).not.toContain('conn');
  });

  it('credential: keeps a generated secret a client of the protected data reads, not a derived one', async () => {
    const { kept, left } = await destroy(world());
    expect(kept['api-key']).toBe('read by svc svc, a client of protected inst db; a redeploy would mint a new value');
    expect(left).toContain('api-key');
    // The host secret can be written again from the kept instance; the client itself goes.
    expect(left).not.toContain('host');
    expect(left).not.toContain('svc');
    // A generated secret read only by something unrelated to protected data goes.
    expect(left).not.toContain('unrelated-token');
    expect(left).not.toContain('tool');
  });

  it('needed: an order-only predecessor (a database ordered after the last replica) is not a need', () => {
    // As the topology has it: the database waits for the primary's replicas (one operation at
    // a time on an instance), which does not make the replicas something it needs.
    const graph = world().map((r) => (r.name === 'instances/db/databases/main' ? { ...r, dependsOn: ['instances/db', 'instances/replica-2'], orderAfter: ['instances/replica-2'] } : r));
    const candidates = graph.map((r) => ({ kind: r.kind, name: r.name, leaving: true, protect: !!r.protect }));
    const minted = (r: Resource) => r.spec.generated === true;
    expect(protectionCover(candidates, graph, { keepReplicas: false, minted }).has('instances/replica-2')).toBe(false);
    const withOrder = graph.map((r) => (r.name === 'instances/db/databases/main' ? { ...r, orderAfter: [] } : r));
    expect(protectionCover(candidates, withOrder, { keepReplicas: false, minted }).get('instances/replica-2')).toBe('needed by kept database db/databases/main');
  });

  it('keeps exactly the cover, deletes everything else', async () => {
    const { left } = await destroy(world());
    expect(left).toEqual(['api-key', 'instances/db', 'instances/db/databases/main', 'instances/db/users/app', 'instances/replica-1', 'instances/replica-2', 'net', 'psa', 'pw']);
  });

  it('--allow-destroy-protected deletes all of it, and the plan still says what was protected', async () => {
    const { left, plan, result } = await destroy(world(), { allowDestroyProtected: true });
    expect(result.ok).toBe(true);
    expect(left).toEqual([]);
    expect(plan.items.find((i) => i.name === 'instances/db/databases/main')).toMatchObject({ protection: 'inside protected inst db' });
    expect(plan.items.some((i) => i.kept || i.blocked)).toBe(false);
  });

  it('a deploy that would delete a protected resource\'s database blocks it, naming why', async () => {
    const { cloud, registry, ctx } = await deployed(world());
    // The spec no longer has the database (the instance is still protected).
    const next = world().filter((r) => r.name !== 'instances/db/databases/main').map((r) => (r.name === 'instances/db/users/app' ? { ...r, dependsOn: ['instances/db', 'pw'], orderAfter: [] } : r));
    const observed = await observeAll(ctx, registry, next, { regions: [R], backoff });
    const plan = await computePlan(next, observed, registry, ctx, { topology: 't1', project: 'p', target: 'fake' });
    const item = plan.items.find((i) => i.name === 'instances/db/databases/main')!;
    expect(item.blocked).toBe('inside protected inst db: deleting it needs --allow-destroy-protected');
    expect(item.kept).toBeUndefined();
    await applyPlan(plan, registry, ctx, { journal: journal(), backoff, observed });
    expect(cloud.objects.has('instances/db/databases/main')).toBe(true);
  });

  it('a deploy of a spec that dropped an instance with API deletion protection blocks it and what lives under it', async () => {
    const { cloud, registry, ctx } = await deployed(world({ protect: 'api' }));
    const gone = new Set(['instances/db', 'instances/db/databases/main', 'instances/db/users/app', 'instances/replica-1', 'instances/replica-2', 'host', 'svc']);
    const next = world({ protect: 'api' }).filter((r) => !gone.has(r.name));
    const observed = await observeAll(ctx, registry, next, { regions: [R], backoff });
    const plan = await computePlan(next, observed, registry, ctx, { topology: 't1', project: 'p', target: 'fake' });
    const blocked = Object.fromEntries(plan.items.filter((i) => i.blocked).map((i) => [i.name, i.blocked]));
    expect(blocked).toEqual({
      'instances/db': 'protected: the API has deletion protection on: deleting it needs --allow-destroy-protected',
      'instances/db/databases/main': 'inside protected inst db: deleting it needs --allow-destroy-protected',
      'instances/db/users/app': 'inside protected inst db: deleting it needs --allow-destroy-protected',
    });
    await applyPlan(plan, registry, ctx, { journal: journal(), backoff, observed });
    for (const n of Object.keys(blocked)) expect(cloud.objects.has(n)).toBe(true);
  });
});

describe('protection on the shipped templates', () => {
  const real = realRegistry();
  const cover = (name: 'local' | 'production', keepReplicas: boolean, mutate?: (d: Record<string, unknown>) => void) => {
    const graph = expandTopology(templateSpec(name, mutate)).resources.map((r) => real.get(r.kind)?.prepare?.(r) ?? r);
    const c = protectionCover(graph.map((r) => ({ kind: r.kind, name: r.name, leaving: true, protect: !!r.protect })), graph, { keepReplicas, minted: (r) => real.get(r.kind)?.minted?.(r) ?? false });
    const kinds: Record<string, number> = {};
    for (const n of c.keys()) {
      const k = graph.find((r) => r.name === n)!.kind;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    return { c, kinds };
  };
  const protectAll = (d: Record<string, unknown>) => {
    Object.assign(d.sql as object, { deletionProtection: true, preventDestroy: true });
    Object.assign(d.redis as object, { preventDestroy: true });
  };

  it('local.yaml with protection on: the primaries with their data, the replica, Redis, the passwords, the API key, the network under them', () => {
    const { c, kinds } = cover('local', true, protectAll);
    expect(kinds).toEqual({
      'sql.Instance': 3,
      'sql.Database': 2,
      'sql.User': 2,
      'redis.Instance': 3,
      'secretmanager.Secret': 3,
      'compute.Network': 1,
      'servicenetworking.Connection': 1,
      'compute.GlobalAddress': 2,
    });
    const secrets = [...c.keys()].filter((n) => n.includes('/secrets/')).sort();
    expect(secrets).toEqual(['projects/ruvector-local/secrets/ruvector-api-key', 'projects/ruvector-local/secrets/ruvector-db-password-europe-west1', 'projects/ruvector-local/secrets/ruvector-db-password-us-central1']);
  });

  it('local.yaml as shipped (no protection): nothing is kept', () => {
    expect(cover('local', true).c.size).toBe(0);
  });

  it('production.yaml: 5 primaries, 10 replicas (unless --destroy-replicas), 15 Redis, 6 secrets', () => {
    expect(cover('production', true).kinds).toMatchObject({ 'sql.Instance': 15, 'sql.Database': 5, 'sql.User': 5, 'redis.Instance': 15, 'secretmanager.Secret': 6 });
    expect(cover('production', false).kinds).toMatchObject({ 'sql.Instance': 5, 'sql.Database': 5, 'sql.User': 5 });
  });
});
