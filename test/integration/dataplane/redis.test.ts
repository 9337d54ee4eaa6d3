/**
 * Memorystore data plane: an instance created through the official client is a real Redis
 * at the host/port the API reports (its own redis-server), AUTH when authEnabled, restarted
 * when it dies, gone when deleted; without the binary, a key prefix on the local Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { createRedisPart } from '../../../src/emulator/dataplane/redis.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild } from '../../../src/emulator/dataplane/child.js';
import { ChildLedger } from '../../../src/emulator/dataplane/orphans.js';
import { canConnect, freePort } from '../../../src/emulator/dataplane/ports.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';

const parent = `projects/${PROJECT}/locations/us-central1`;
const started: TestEmulator[] = [];
afterAll(async () => {
  for (const t of started) await t.stop();
});

async function emulatorWith(part: ReturnType<typeof createRedisPart>): Promise<TestEmulator> {
  const t = await startTestEmulator({ dataPlane: createLocalDataPlane({ core: { redis: part }, log: () => {} }) });
  started.push(t);
  return t;
}

async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Memorystore on real Redis', () => {
  it('serves each instance from its own redis-server at the reported address, with AUTH when enabled', async () => {
    const part = createRedisPart();
    const t = await emulatorWith(part);
    const client = t.clients.redis();
    const [op] = await client.createInstance({ parent, instanceId: 'cache', instance: { tier: 'BASIC', memorySizeGb: 1, authEnabled: true } });
    await op.promise();
    const name = `${parent}/instances/cache`;
    await until(() => part.endpoint(name));
    const [inst] = await client.getInstance({ name });
    expect(inst.host).toBe('127.0.0.1');
    expect(inst.port).not.toBe(6379);
    const [auth] = await client.getInstanceAuthString({ name });

    const anon = new Redis({ host: inst.host!, port: inst.port!, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    anon.on('error', () => {});
    await anon.connect();
    await expect(anon.get('k')).rejects.toThrow(/NOAUTH/);
    anon.disconnect();

    const r = new Redis({ host: inst.host!, port: inst.port!, password: auth.authString!, lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    await r.set('k', 'v');
    expect(await r.get('k')).toBe('v');
    r.disconnect();

    // AUTH turned off through the API: the running server stops asking.
    await (await client.updateInstance({ updateMask: { paths: ['auth_enabled'] }, instance: { name, authEnabled: false } }))[0].promise();
    await until(async () => {
      const open = new Redis({ host: inst.host!, port: inst.port!, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      open.on('error', () => {});
      try {
        await open.connect();
        return (await open.get('k').catch(() => undefined)) === 'v' ? true : undefined;
      } finally {
        open.disconnect();
      }
    });

    // Killed from outside: it comes back on the same port.
    const pid = (part.status!() as { instances: { pid: number }[] }).instances[0]!.pid;
    process.kill(pid, 'SIGKILL');
    await until(async () => ((part.status!() as { instances: { restarts: number }[] }).instances[0]!.restarts > 0 && (await canConnect('127.0.0.1', inst.port!)) ? true : undefined));

    await (await client.deleteInstance({ name }))[0].promise();
    await until(async () => (part.endpoint(name) === undefined && !(await canConnect('127.0.0.1', inst.port!)) ? true : undefined));
  });

  it('with no Redis at all, it says how to get one and services run with their cache off', async () => {
    const logs: string[] = [];
    const part = createRedisPart({ binary: false, shared: { host: '127.0.0.1', port: await freePort() } });
    const t = await startTestEmulator({ dataPlane: createLocalDataPlane({ core: { redis: part }, log: (m) => logs.push(m) }) });
    started.push(t);
    expect(part.unavailable()).toBe(true);
    expect(logs.join('\n')).toMatch(/cache off.*install Redis/);
  });

  it('without the redis-server binary, an instance is a key prefix on the local Redis, dropped with the instance', async () => {
    const part = createRedisPart({ binary: false });
    const t = await emulatorWith(part);
    const client = t.clients.redis();
    const [op] = await client.createInstance({ parent, instanceId: 'shared', instance: { tier: 'BASIC', memorySizeGb: 1 } });
    await op.promise();
    const name = `${parent}/instances/shared`;
    const ep = await until(() => part.endpoint(name));
    expect(ep).toMatchObject({ host: '127.0.0.1', port: 6379 });
    expect(ep.keyPrefix).toContain('shared');
    const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await r.connect();
    try {
      await r.set(`${ep.keyPrefix}x`, '1');
      await (await client.deleteInstance({ name }))[0].promise();
      await until(async () => ((await r.exists(`${ep.keyPrefix}x`)) === 0 ? true : undefined));
    } finally {
      r.disconnect();
    }
  });

  it('a redis-server an emulator left behind (it died without stopping) is reaped by the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-ledger-'));
    try {
      const port = await freePort();
      const child = spawnChild('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', ''], { env: { PATH: process.env.PATH ?? '' } });
      new ChildLedger(dir).add(child.pid, 'redis-server');
      await until(async () => ((await canConnect('127.0.0.1', port)) ? true : undefined));
      // The next emulator on the same state dir:
      expect(new ChildLedger(dir).reapLeftovers()).toBe(1);
      expect(await child.exited).toBe('SIGKILL');
      expect(new ChildLedger(dir).reapLeftovers()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
