import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protos } from '@google-cloud/redis';
import type { OperationRecord } from '../../../src/emulator/core/types.js';
import { errorBody, lro, PROJECT, REGION, startTestEmulator, type TestEmulator } from './helpers.js';

const parent = `projects/${PROJECT}/locations/${REGION}`;
const inst = (id: string) => `${parent}/instances/${id}`;

const State = protos.google.cloud.redis.v1.Instance.State;
/** LRO results are decoded protobuf messages (numeric enums); plain reads give names. */
const stateName = (v: unknown) => (typeof v === 'number' ? State[v] : v);

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(async () => {
  await t.stop();
});

async function expectError(p: Promise<unknown>, http: number, status: string) {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'call should fail').toBeDefined();
  const body = errorBody(e);
  expect(body.code).toBe(http);
  expect(body.status).toBe(status);
  return body;
}

describe('Memorystore Redis v1 through @google-cloud/redis', () => {
  it('creates an instance: CREATING, then READY with server-filled fields', async () => {
    const client = t.clients.redis();
    const [op] = await client.createInstance({ parent, instanceId: 'cache', instance: { tier: 'STANDARD_HA', memorySizeGb: 16, redisVersion: 'REDIS_7_0', displayName: 'vector cache' } });
    expect(op.done).toBe(false);
    const [during] = await client.getInstance({ name: inst('cache') });
    expect(during.state).toBe('CREATING');
    const [ready] = await op.promise();
    expect(stateName(ready.state)).toBe('READY');
    expect(ready.host).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(ready.port).toBe(6379);
    expect(ready.currentLocationId).toBe(`${REGION}-a`);
    expect(ready.alternativeLocationId).toBe(`${REGION}-b`);
    expect(ready.persistenceIamIdentity).toMatch(/^serviceAccount:service-\d{12}@cloud-redis\.iam\.gserviceaccount\.com$/);
    expect(ready.authorizedNetwork).toBe(`projects/${PROJECT}/global/networks/default`);
    expect(ready.nodes).toHaveLength(2);
    const meta = op.metadata as { verb?: string; target?: string } | null;
    expect(meta?.target).toBe(inst('cache'));
    expect(meta?.verb).toBe('create');
    await expectError(client.createInstance({ parent, instanceId: 'cache', instance: { tier: 'BASIC', memorySizeGb: 1 } }), 409, 'ALREADY_EXISTS');
  });

  it('validates ids and bodies', async () => {
    const client = t.clients.redis();
    await expectError(client.createInstance({ parent, instanceId: '1bad', instance: { tier: 'BASIC', memorySizeGb: 1 } }), 400, 'INVALID_ARGUMENT');
    const e = await expectError(client.createInstance({ parent, instanceId: 'nomem', instance: { tier: 'BASIC' } }), 400, 'INVALID_ARGUMENT');
    expect(JSON.stringify(e.details)).toContain('memory_size_gb');
    await expectError(client.getInstance({ name: inst('nope') }), 404, 'NOT_FOUND');
    const noNet = await expectError(client.createInstance({ parent, instanceId: 'nonet', instance: { tier: 'BASIC', memorySizeGb: 1, authorizedNetwork: `projects/${PROJECT}/global/networks/missing` } }), 400, 'INVALID_ARGUMENT');
    expect(noNet.message).toContain('authorized network');
  });

  it('updates with a required updateMask, fails over and upgrades', async () => {
    const client = t.clients.redis();
    await expectError(client.updateInstance({ instance: { name: inst('cache'), memorySizeGb: 20 } }), 400, 'INVALID_ARGUMENT');
    const [op] = await client.updateInstance({ instance: { name: inst('cache'), memorySizeGb: 20, labels: { tier: 'hot' } }, updateMask: { paths: ['memory_size_gb', 'labels'] } });
    const [mid] = await client.getInstance({ name: inst('cache') });
    expect(mid.state).toBe('UPDATING');
    await expectError(client.failoverInstance({ name: inst('cache') }), 400, 'FAILED_PRECONDITION');
    const [updated] = await op.promise();
    expect(updated.memorySizeGb).toBe(20);
    expect(updated.labels).toEqual({ tier: 'hot' });
    expect(updated.displayName).toBe('vector cache');
    expect(t.emu.ctx.quotas.usage(REGION, 'REDIS_GB')).toBe(20);

    const [fo] = await client.failoverInstance({ name: inst('cache') });
    const [after] = await fo.promise();
    expect(after.currentLocationId).toBe(`${REGION}-b`);
    const [up] = await client.upgradeInstance({ name: inst('cache'), redisVersion: 'REDIS_7_2' });
    expect((await up.promise())[0].redisVersion).toBe('REDIS_7_2');
  });

  it('refuses capacity past the region quota (1 TB default)', async () => {
    const client = t.clients.redis();
    for (let i = 0; i < 3; i++) await (await client.createInstance({ parent, instanceId: `big${i}`, instance: { tier: 'BASIC', memorySizeGb: 300 } }))[0].promise();
    const e = await expectError(client.createInstance({ parent, instanceId: 'toomuch', instance: { tier: 'BASIC', memorySizeGb: 100 } }), 429, 'RESOURCE_EXHAUSTED');
    expect(e.message).toContain('REDIS_GB');
    // Another region has its own quota.
    const [op] = await client.createInstance({ parent: `projects/${PROJECT}/locations/europe-west1`, instanceId: 'eu', instance: { tier: 'BASIC', memorySizeGb: 100 } });
    await op.promise();
  });

  it('lists (one region and all), deletes with an Empty response, and serves operations', async () => {
    const client = t.clients.redis();
    const [regional] = await client.listInstances({ parent });
    expect(regional.map((i) => i.name!.split('/').pop())).toEqual(['big0', 'big1', 'big2', 'cache']);
    const [all] = await client.listInstances({ parent: `projects/${PROJECT}/locations/-` });
    expect(all).toHaveLength(5);
    // Deleting an instance that is still being created: it never shows READY again.
    // Slower operations here (create 3 s, delete 0.9 s) so the delete surely lands first.
    t.emu.ctx.latencyScale = 0.01;
    const [creating] = await client.createInstance({ parent, instanceId: 'shortlived', instance: { tier: 'BASIC', memorySizeGb: 1 } });
    const [del] = await client.deleteInstance({ name: inst('shortlived') });
    t.emu.ctx.latencyScale = 0.001;
    expect((await client.getInstance({ name: inst('shortlived') }))[0].state).toBe('DELETING');
    await del.promise();
    const aborted = (await creating.promise().then(() => undefined, (e: unknown) => e)) as { code?: number } | undefined;
    expect(aborted?.code).toBe(10);
    await expectError(client.getInstance({ name: inst('shortlived') }), 404, 'NOT_FOUND');
    const [op] = await client.deleteInstance({ name: inst('big0') });
    const [gone] = await client.getInstance({ name: inst('big0') });
    expect(gone.state).toBe('DELETING');
    await op.promise();
    await expectError(client.getInstance({ name: inst('big0') }), 404, 'NOT_FOUND');
    expect(t.emu.ctx.quotas.usage(REGION, 'REDIS_GB')).toBe(620);
    const ops = await lro(client).list(parent);
    expect(ops.length).toBeGreaterThanOrEqual(8);
    const one = await lro(client).get(op.name!);
    expect(one.done).toBe(true);
    await lro(client).cancel(op.name!);
    await lro(client).delete(op.name!);
    await expectError(lro(client).get(op.name!), 404, 'NOT_FOUND');
  });

  it('an instance still CREATING when the emulator stops becomes READY after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-redis-'));
    try {
      // latencyScale 1: the 5-minute create is nowhere near done when we stop.
      const a = await startTestEmulator({ stateDir: dir, latencyScale: 1 });
      const [op] = await a.clients.redis().createInstance({ parent, instanceId: 'survivor', instance: { tier: 'BASIC', memorySizeGb: 2 } });
      await a.stop();

      const b = await startTestEmulator({ stateDir: dir, latencyScale: 1 });
      const client = b.clients.redis();
      expect((await client.getInstance({ name: inst('survivor') }))[0].state).toBe('CREATING');
      expect(b.emu.ctx.quotas.usage(REGION, 'REDIS_GB')).toBe(2);
      // Let the five minutes pass while it runs: the persisted operation completes through its completer.
      const ops = b.emu.ctx.store.collection<OperationRecord>('__operations');
      const rec = ops.peek(op.name!)!;
      ops.put(rec.name, { ...rec, doneAt: Date.now() - 1 });
      const done = await lro(client).get(op.name!);
      expect(done.done).toBe(true);
      expect(done.error).toBeFalsy();
      expect((await client.getInstance({ name: inst('survivor') }))[0].state).toBe('READY');
      await b.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
