/**
 * Cloud Run probes on the local data plane: a revision whose startup probe cannot pass is
 * failed with Cloud Run's condition and recovers once what it waits for exists; a failing
 * readiness probe keeps an instance out of rotation (the router answers 503); a failing
 * liveness probe restarts the instance.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDataPlane, type LocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { createRedisPart } from '../../../src/emulator/dataplane/redis.js';
import { createRunPart } from '../../../src/emulator/dataplane/run/index.js';
import { createSqlPart } from '../../../src/emulator/dataplane/sql.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { addUser, makeWorld, seedEnv, until as untilLogged, type RunStatus } from './run-helpers.js';

const REGION = 'europe-west1';
const parent = `projects/${PROJECT}/locations/${REGION}`;
const SQL = `dp-probes-${process.pid}`;
let t: TestEmulator;
let plane: LocalDataPlane;
const logs: string[] = [];
const runStatus = () => (plane.status() as { parts: { run: RunStatus } }).parts.run;
const until = <T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000) => untilLogged(what, f, ms, logs);
const env = () => seedEnv({ region: REGION, sql: SQL });

beforeAll(async () => {
  plane = createLocalDataPlane({ core: { redis: createRedisPart(), sql: createSqlPart(), run: createRunPart({ holdMs: 500 }) }, log: (m) => logs.push(m) });
  t = await startTestEmulator({ dataPlane: plane, quotas: 'unlimited' });
  // No database user yet: the service cannot migrate, so it never reports started.
  await makeWorld(t, { region: REGION, sql: SQL, withUser: false });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

describe('Cloud Run probes, locally', () => {
  it('a startup probe that cannot pass fails the revision; it recovers when the database user appears', async () => {
    const client = t.clients.runServices();
    const name = `${parent}/services/waits`;
    const startupProbe = { httpGet: { path: '/health/startup' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 };
    await (await client.createService({ parent, serviceId: 'waits', service: { template: { containers: [{ image: 'ruvector:local', env: env(), startupProbe }] } } }))[0].promise();
    const failed = await until('failed condition', async () => {
      const [s] = await client.getService({ name });
      return s.terminalCondition?.state === 'CONDITION_FAILED' ? s : undefined;
    });
    expect(failed.terminalCondition?.message).toMatch(/failed to start and listen on the port .* startup probe GET \/health\/startup/);
    expect(failed.latestReadyRevision).toBeFalsy();
    const [r] = await client.getService({ name });
    expect((await fetch(`${r.uri}/health/live`)).status).toBe(503);

    await addUser(t, SQL);
    const ok = await until('recovery', async () => {
      const [s] = await client.getService({ name });
      return s.terminalCondition?.state === 'CONDITION_SUCCEEDED' ? s : undefined;
    }, 60_000);
    expect(ok.latestReadyRevision).toBe(ok.latestCreatedRevision);
    await plane.waitReady({ names: [name], timeoutMs: 30_000 });
    expect((await fetch(`${ok.uri}/health/live`)).status).toBe(200);
  }, 90_000);

  it('a failing readiness probe keeps the instance out of rotation; a failing liveness probe restarts it', async () => {
    const client = t.clients.runServices();
    const name = `${parent}/services/waits`;
    const [svc] = await client.getService({ name });
    // Readiness on a path the service does not have: started, but never routable.
    svc.template!.containers![0]!.readinessProbe = { httpGet: { path: '/not-here' }, periodSeconds: 1, failureThreshold: 1 };
    svc.template!.containers![0]!.livenessProbe = { httpGet: { path: '/not-here-either' }, periodSeconds: 1, failureThreshold: 2 };
    svc.traffic = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
    await (await client.updateService({ service: svc }))[0].promise();
    const [after] = await client.getService({ name });
    const latest = after.latestCreatedRevision!.split('/').pop()!;
    const rev = () => runStatus().services.find((s) => s.name === name)?.revisions.find((x) => x.name === latest);
    await until('liveness restart', () => (rev()?.instances[0]?.restarts ?? 0) >= 1);
    expect(rev()!.instances.every((i) => !i.inRotation)).toBe(true);
    // The old revision keeps serving LATEST until the new one is routable (no gap in a rollout).
    expect((await fetch(`${after.uri}/health/live`)).status).toBe(200);
    await (await client.deleteService({ name }))[0].promise();
  }, 60_000);

  it('after all the restarts, stopping leaves no service process behind', async () => {
    await t.stop();
    // Scan every process, not only the ones the data plane knows: a leaked child would not be in its status.
    const ours = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').some((kv) => kv.startsWith('DB_NAME=') && kv.includes(SQL.replace(/-/g, '_')));
        } catch {
          return false;
        }
      });
    expect(ours).toEqual([]);
  });
});
