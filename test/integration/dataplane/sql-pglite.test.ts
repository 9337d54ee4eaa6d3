/**
 * Cloud SQL without a PostgreSQL server: each primary gets an embedded Postgres (PGlite)
 * behind its own socket server, reported as the instance's address; a replica reads its
 * primary's; deleting the instance stops it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { canConnect, freePort } from '../../../src/emulator/dataplane/ports.js';
import { createSqlPart } from '../../../src/emulator/dataplane/sql.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { sqlDone, until } from './run-helpers.js';

let t: TestEmulator;
const logs: string[] = [];
let part: ReturnType<typeof createSqlPart>;

beforeAll(async () => {
  // A port nothing listens on stands in for "no PostgreSQL on this machine".
  part = createSqlPart({ admin: { host: '127.0.0.1', port: await freePort(), user: 'postgres' } });
  t = await startTestEmulator({ dataPlane: createLocalDataPlane({ core: { sql: part }, log: (m) => logs.push(m) }) });
});
afterAll(async () => {
  await t?.stop();
});

describe('Cloud SQL on embedded Postgres', () => {
  it('says so, serves the primary and its replica, and stops with the instance', async () => {
    expect(logs.join('\n')).toMatch(/no PostgreSQL at .*embedded Postgres \(PGlite\)/);
    const instances = t.clients.sqlInstances();
    await sqlDone(t, (await instances.insert({ project: PROJECT, body: { name: 'lite', databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-custom-1-3840' } } }))[0]);
    await sqlDone(t, (await instances.insert({ project: PROJECT, body: { name: 'lite-replica', region: 'us-east1', masterInstanceName: 'lite', settings: { tier: 'db-custom-1-3840' } } }))[0]);
    const key = `projects/${PROJECT}/instances/lite`;
    const ep = await until('embedded server', () => part.endpoint(key), 30_000, logs);
    expect(part.endpoint(`projects/${PROJECT}/instances/lite-replica`)).toEqual(ep);
    const [inst] = await instances.get({ project: PROJECT, instance: 'lite' });
    expect(inst.ipAddresses?.some((a) => a.ipAddress === '127.0.0.1')).toBe(true);

    const conn = part.connection(key, 'ruvector', 'ruvector')!;
    const c = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, database: conn.database });
    await c.connect();
    try {
      await c.query('CREATE TABLE t (id int PRIMARY KEY)');
      await c.query('INSERT INTO t VALUES (1), (2)');
      expect((await c.query('SELECT count(*)::int AS n FROM t')).rows[0]).toEqual({ n: 2 });
    } finally {
      await c.end();
    }

    await sqlDone(t, (await instances.delete({ project: PROJECT, instance: 'lite-replica' }))[0]);
    await sqlDone(t, (await instances.delete({ project: PROJECT, instance: 'lite' }))[0]);
    await until('server stopped', async () => (!(await canConnect('127.0.0.1', ep.port, 200)) ? true : undefined), 10_000, logs);
    expect(part.endpoint(key)).toBeUndefined();
  }, 60_000);
});
