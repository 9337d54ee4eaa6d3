/**
 * Cloud Run data plane, end to end through the official clients: a service on the ruvector
 * image runs the real vector service wired to a real Redis and Postgres from the emulated
 * Memorystore, Cloud SQL and Secret Manager; kill -9 brings it back with its data; a
 * traffic split divides requests between revisions; an image that cannot run fails the
 * revision; deleting and stopping leave no process or port.
 */
import { createServer, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoreParts, createLocalDataPlane, type LocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { canConnect } from '../../../src/emulator/dataplane/ports.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { API_KEY, makeWorld, seedEnv as worldEnv, until as untilLogged, type RunStatus } from './run-helpers.js';

const REGION = 'us-central1';
const parent = `projects/${PROJECT}/locations/${REGION}`;
const SQL = `dp-run-${process.pid}`;
let t: TestEmulator;
let plane: LocalDataPlane;
const logs: string[] = [];
const runStatus = () => (plane.status() as { parts: { run: RunStatus } }).parts.run;
const until = <T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000) => untilLogged(what, f, ms, logs);
const seedEnv = (reported = REGION) => worldEnv({ region: REGION, sql: SQL, reportedRegion: reported });
const startupProbe = { httpGet: { path: '/health/startup' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 60 };

beforeAll(async () => {
  plane = createLocalDataPlane({ core: await createCoreParts(), log: (m) => logs.push(m) });
  t = await startTestEmulator({ dataPlane: plane, quotas: 'unlimited' });
  await makeWorld(t, { region: REGION, sql: SQL });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

describe('Cloud Run on the local data plane', () => {
  let uri = '';

  it('runs the vector service wired to the real Redis and Postgres, reachable at status.uri', async () => {
    const client = t.clients.runServices();
    const [op] = await client.createService({
      parent,
      serviceId: 'ruvector-streaming',
      service: { template: { scaling: { minInstanceCount: 1, maxInstanceCount: 2 }, containers: [{ image: 'gcr.io/emu-test-project/ruvector:v1', env: seedEnv(), startupProbe }] } },
    });
    await op.promise();
    const name = `${parent}/services/ruvector-streaming`;
    await plane.waitReady({ names: [name], timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs.slice(-20).join('\n')}\n${JSON.stringify(runStatus(), null, 1)}`);
    });
    const [svc] = await client.getService({ name });
    uri = svc.uri!;
    expect(uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ready = (await (await fetch(`${uri}/health/ready`)).json()) as { status: string; checks: Record<string, string>; region: string };
    expect(ready).toMatchObject({ status: 'ok', region: REGION, checks: { postgres: 'up', redis: 'up' } });

    const h = { 'content-type': 'application/json', 'api-key': API_KEY };
    expect((await fetch(`${uri}/api/v1/collections`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'docs', dimension: 3 }) })).status).toBe(201);
    const up = await fetch(`${uri}/api/v1/collections/docs/points`, { method: 'POST', headers: h, body: JSON.stringify({ points: [{ id: 1, vector: [1, 0, 0] }, { id: 2, vector: [0, 1, 0] }] }) });
    expect(up.status).toBe(200);
    const got = (await (await fetch(`${uri}/api/v1/collections/docs/points/2`)).json()) as { id: number; vector: number[] };
    expect(got.vector).toEqual([0, 1, 0]);
  }, 90_000);

  it('a killed instance is restarted, becomes ready again and still has its data', async () => {
    const before = runStatus().services[0]!.revisions[0]!.instances[0]!;
    expect(before.pid).toBeGreaterThan(0);
    process.kill(before.pid!, 'SIGKILL');
    await until('restart', () => {
      const i = runStatus().services[0]!.revisions[0]!.instances[0]!;
      return i.restarts >= 1 && i.inRotation && i.pid !== before.pid ? i : undefined;
    }, 60_000);
    const got = (await (await fetch(`${uri}/api/v1/collections/docs/points/1`)).json()) as { vector: number[] };
    expect(got.vector).toEqual([1, 0, 0]);
  }, 90_000);

  it('an instance whose port another listener took meanwhile restarts on a new port', async () => {
    const before = runStatus().services[0]!.revisions[0]!.instances[0]!;
    // What happened with the front door: it bound the port freePort had handed the instance.
    const squatter = createServer((_req, res) => res.end('{"status":"ok","region":"squatter"}'));
    process.kill(before.pid!, 'SIGKILL');
    await until('port taken', () =>
      new Promise<boolean>((resolve) => {
        squatter.once('error', () => resolve(false));
        squatter.listen(before.port, '127.0.0.1', () => resolve(true));
      }),
    );
    try {
      const now = await until('restart on another port', () => {
        const i = runStatus().services[0]!.revisions[0]!.instances[0]!;
        return i.pid !== before.pid && i.inRotation && i.port !== before.port ? i : undefined;
      }, 60_000);
      expect(now.port).not.toBe(before.port);
      const ready = (await (await fetch(`${uri}/health/ready`)).json()) as { region: string };
      expect(ready.region).toBe(REGION);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 90_000);

  it('a traffic split divides requests between two revisions by percent', async () => {
    const client = t.clients.runServices();
    const name = `${parent}/services/ruvector-streaming`;
    const [svc] = await client.getService({ name });
    const first = svc.latestReadyRevision!.split('/').pop()!;
    // Revision 2 reports a different region name, so each answer says which revision served it.
    svc.template!.containers![0]!.env = seedEnv('canary');
    svc.template!.revision = 'ruvector-streaming-canary';
    svc.traffic = [
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 75 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'ruvector-streaming-canary', percent: 25 },
    ];
    await (await client.updateService({ service: svc }))[0].promise();
    await until('both revisions serving', () => runStatus().services[0]!.revisions.filter((r) => r.instances.some((i) => i.inRotation)).length === 2);
    const seen: Record<string, number> = {};
    for (let n = 0; n < 20; n++) {
      const r = (await (await fetch(`${uri}/health/ready`)).json()) as { region: string };
      seen[r.region] = (seen[r.region] ?? 0) + 1;
    }
    expect(seen).toEqual({ [REGION]: 15, canary: 5 });
  }, 90_000);

  it('a traffic tag gets a URL that reaches only the tagged revision, even with no share of the traffic', async () => {
    const client = t.clients.runServices();
    const name = `${parent}/services/ruvector-streaming`;
    const [svc] = await client.getService({ name });
    const first = svc.traffic!.find((x) => x.revision !== 'ruvector-streaming-canary')!.revision!;
    svc.traffic = [
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 100 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'ruvector-streaming-canary', percent: 0, tag: 'canary' },
    ];
    await (await client.updateService({ service: svc }))[0].promise();
    const [after] = await client.getService({ name });
    const tagUri = after.trafficStatuses!.find((s) => s.tag === 'canary')?.uri;
    expect(tagUri).toBe(`http://canary---ruvector-streaming.localhost:${new URL(uri).port}`);
    // As curl sends it for that URL (*.localhost is loopback): the Host names the tag.
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: Number(new URL(uri).port), path: '/health/ready', headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const seen: Record<string, number> = {};
    for (let n = 0; n < 10; n++) {
      const r = JSON.parse((await get(new URL(tagUri!).host)).body) as { region: string };
      seen[r.region] = (seen[r.region] ?? 0) + 1;
    }
    expect(seen).toEqual({ canary: 10 });
    const plain: Record<string, number> = {};
    for (let n = 0; n < 10; n++) {
      const r = (await (await fetch(`${uri}/health/ready`)).json()) as { region: string };
      plain[r.region] = (plain[r.region] ?? 0) + 1;
    }
    expect(plain).toEqual({ [REGION]: 10 });
    const unknown = await get(`nosuchtag---ruvector-streaming.localhost:${new URL(uri).port}`);
    expect(unknown.status).toBe(404);
  }, 90_000);

  it('an image the emulator cannot run fails the revision with a clear condition', async () => {
    const client = t.clients.runServices();
    const [op] = await client.createService({ parent, serviceId: 'hello', service: { template: { containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] } } });
    // As Cloud Run's: the operation fails with code 9 (FAILED_PRECONDITION) and the revision's reason.
    const err = (await op.promise().then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: number; message?: string } | undefined;
    expect(err, 'the create operation should fail').toBeDefined();
    expect(err!.code).toBe(9);
    expect(err!.message).toMatch(/Revision 'hello-\S+' is not ready and cannot serve traffic\. Image 'us-docker.pkg.dev\/cloudrun\/container\/hello' not found/);
    const name = `${parent}/services/hello`;
    const [svc] = await client.getService({ name });
    expect(svc.terminalCondition?.state).toBe('CONDITION_FAILED');
    expect(svc.terminalCondition?.message).toMatch(/Image 'us-docker.pkg.dev\/cloudrun\/container\/hello' not found/);
    expect(svc.latestReadyRevision).toBeFalsy();
    const [rev] = await t.clients.runRevisions().getRevision({ name: svc.latestCreatedRevision! });
    const ready = rev.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.state).toBe('CONDITION_FAILED');
    expect(ready?.reason).toBe('CONTAINER_MISSING');
    await (await client.deleteService({ name }))[0].promise();
  }, 30_000);

  it('a container that exits at start fails its revision with the reason and its last output', async () => {
    const client = t.clients.runServices();
    const env = seedEnv().map((e) => (e.name === 'LOG_LEVEL' ? { name: 'LOG_LEVEL', value: 'loud' } : e));
    const [op] = await client.createService({ parent, serviceId: 'crasher', service: { template: { containers: [{ image: 'ruvector:local', env, startupProbe }] } } });
    // The operation does not wait for instances: it usually ends before the third exit, and
    // fails like Cloud Run's (code 9) when the revision failed first.
    await op.promise().catch((e: { code?: number }) => expect(e.code).toBe(9));
    const name = `${parent}/services/crasher`;
    const svc = await until('failed condition', async () => {
      const [s] = await client.getService({ name });
      return s.terminalCondition?.state === 'CONDITION_FAILED' ? s : undefined;
    }, 60_000);
    expect(svc.terminalCondition?.message).toMatch(/is not ready and cannot serve traffic\. The user-provided container failed to start and listen on the port .*exited \(\d+\) 3 times without listening/);
    expect(svc.terminalCondition?.message).toMatch(/LOG_LEVEL/);
    const [rev] = await t.clients.runRevisions().getRevision({ name: svc.latestCreatedRevision! });
    const ready = rev.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.state).toBe('CONDITION_FAILED');
    expect(ready?.revisionReason).toBe('HEALTH_CHECK_CONTAINER_ERROR');
    await (await client.deleteService({ name }))[0].promise();
    await until('crasher gone', () => !runStatus().services.some((s) => s.name === name));
  }, 90_000);

  it('deleting the service and stopping the emulator leave no process or port', async () => {
    const pids = runStatus().services.flatMap((s) => s.revisions.flatMap((r) => r.instances.map((i) => i.pid))).filter((p): p is number => !!p);
    const ports = runStatus().services.flatMap((s) => [Number(new URL(s.uri).port), ...s.revisions.flatMap((r) => r.instances.map((i) => i.port))]);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const client = t.clients.runServices();
    await (await client.deleteService({ name: `${parent}/services/ruvector-streaming` }))[0].promise();
    await until('service gone', () => runStatus().services.length === 0);
    const redisPorts = ((plane.status() as { parts: { redis: { instances: { port: number; pid: number }[] } } }).parts.redis.instances);
    await t.stop();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect([...pids, ...redisPorts.map((r) => r.pid)].filter(alive)).toEqual([]);
    for (const p of [...ports, ...redisPorts.map((r) => r.port)]) expect(await canConnect('127.0.0.1', p, 200)).toBe(false);
  }, 30_000);
});
