/** The world a local Cloud Run service needs (Memorystore, Cloud SQL, secrets), made through the official clients. */
import type { protos } from '@google-cloud/sql';
import { expect } from 'vitest';
import { PROJECT, type TestEmulator } from '../emulator/helpers.js';

export const API_KEY = 'local-test-key';

export async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000, logs: string[] = []): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function sqlDone(t: TestEmulator, op: protos.google.cloud.sql.v1.IOperation): Promise<void> {
  const ops = t.clients.sqlOperations();
  let cur = op;
  while (cur.status !== 'DONE') {
    await new Promise((r) => setTimeout(r, 20));
    [cur] = await ops.get({ project: PROJECT, operation: cur.name! });
  }
  expect(cur.error).toBeFalsy();
}

export async function secret(t: TestEmulator, id: string, value: string): Promise<void> {
  const sm = t.clients.secretManager();
  const [s] = await sm.createSecret({ parent: `projects/${PROJECT}`, secretId: id, secret: { replication: { automatic: {} } } });
  await sm.addSecretVersion({ parent: s.name!, payload: { data: Buffer.from(value) } });
}

/** Memorystore + Cloud SQL instance and database (+ user unless `withUser: false`) + the seed's secrets. */
export async function makeWorld(t: TestEmulator, opts: { region: string; sql: string; withUser?: boolean }): Promise<void> {
  const parent = `projects/${PROJECT}/locations/${opts.region}`;
  const redis = t.clients.redis();
  await (await redis.createInstance({ parent, instanceId: 'cache', instance: { tier: 'BASIC', memorySizeGb: 1 } }))[0].promise();
  const [inst] = await redis.getInstance({ name: `${parent}/instances/cache` });
  await sqlDone(t, (await t.clients.sqlInstances().insert({ project: PROJECT, body: { name: opts.sql, databaseVersion: 'POSTGRES_15', region: opts.region, settings: { tier: 'db-custom-1-3840' } } }))[0]);
  await sqlDone(t, (await t.clients.sqlDatabases().insert({ project: PROJECT, instance: opts.sql, body: { name: 'ruvector' } }))[0]);
  if (opts.withUser !== false) await addUser(t, opts.sql);
  await secret(t, `ruvector-redis-host-${opts.region}`, inst.host!);
  await secret(t, 'ruvector-db-user', 'ruvector');
  await secret(t, 'ruvector-db-password', 'Db-Passw0rd');
}

export async function addUser(t: TestEmulator, sql: string): Promise<void> {
  await sqlDone(t, (await t.clients.sqlUsers().insert({ project: PROJECT, instance: sql, body: { name: 'ruvector', password: 'Db-Passw0rd' } }))[0]);
}

/** The env the engine gives the service (the seed's wiring): addresses by name, credentials from secrets. */
export function seedEnv(opts: { region: string; sql: string; reportedRegion?: string }) {
  return [
    { name: 'REGION', value: opts.reportedRegion ?? opts.region },
    { name: 'REDIS_HOST', valueSource: { secretKeyRef: { secret: `ruvector-redis-host-${opts.region}`, version: 'latest' } } },
    { name: 'REDIS_PORT', value: '6379' },
    { name: 'DB_HOST', value: `/cloudsql/${PROJECT}:${opts.region}:${opts.sql}` },
    { name: 'DB_NAME', value: 'ruvector' },
    { name: 'DB_USER', valueSource: { secretKeyRef: { secret: 'ruvector-db-user', version: 'latest' } } },
    { name: 'DB_PASSWORD', valueSource: { secretKeyRef: { secret: 'ruvector-db-password', version: 'latest' } } },
    { name: 'RUVECTOR_API_KEY', value: API_KEY },
    { name: 'LOG_LEVEL', value: 'warn' },
  ];
}

export interface InstanceStatus { id: string; pid?: number; port: number; state: string; inRotation: boolean; restarts: number }
export interface RunStatus { services: { name: string; uri: string; ready: boolean; revisions: { name: string; failed?: string; instances: InstanceStatus[] }[] }[] }
