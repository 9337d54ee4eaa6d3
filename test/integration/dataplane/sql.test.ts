/**
 * Cloud SQL data plane: instances, databases and users created through the official client
 * become real Postgres databases and roles; a read replica reads its primary and refuses writes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { protos, SqlDatabasesServiceClient, SqlInstancesServiceClient, SqlOperationsServiceClient, SqlUsersServiceClient } from '@google-cloud/sql';
import { createLocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { createSqlPart } from '../../../src/emulator/dataplane/sql.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';

type Op = protos.google.cloud.sql.v1.IOperation;
let t: TestEmulator;
let instances: SqlInstancesServiceClient;
let ops: SqlOperationsServiceClient;
let dbs: SqlDatabasesServiceClient;
let users: SqlUsersServiceClient;
const sqlPart = createSqlPart();
const instancePrefix = (key: string) => sqlPart.prefixOf(key);
const suffix = `${process.pid}`;
const primary = `dp-sql-${suffix}`;
const replica = `dp-sql-${suffix}-replica`;

async function done(op: Op): Promise<void> {
  let cur = op;
  for (let i = 0; i < 400 && cur.status !== 'DONE'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    [cur] = await ops.get({ project: PROJECT, operation: cur.name! });
  }
  expect(cur.status).toBe('DONE');
  expect(cur.error).toBeFalsy();
}

const settled = () => sqlPart.settled();

beforeAll(async () => {
  t = await startTestEmulator({ dataPlane: createLocalDataPlane({ core: { sql: sqlPart }, log: () => {} }) });
  instances = t.clients.sqlInstances();
  ops = t.clients.sqlOperations();
  dbs = t.clients.sqlDatabases();
  users = t.clients.sqlUsers();
});
afterAll(async () => {
  await t?.stop();
});

async function connect(database: string, user: string, password: string): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, database, user, password });
  await c.connect();
  return c;
}

describe('Cloud SQL on the local Postgres', () => {
  it('a database and user become a real database and a login role with the given password', async () => {
    await done((await instances.insert({ project: PROJECT, body: { name: primary, databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-custom-1-3840' } } }))[0]);
    await done((await dbs.insert({ project: PROJECT, instance: primary, body: { name: 'ruvector' } }))[0]);
    await done((await users.insert({ project: PROJECT, instance: primary, body: { name: 'ruvector', password: 'pw-One!' } }))[0]);
    await settled();

    const [inst] = await instances.get({ project: PROJECT, instance: primary });
    expect((inst.ipAddresses ?? []).some((a) => a.ipAddress === '127.0.0.1')).toBe(true);

    const key = `projects/${PROJECT}/instances/${primary}`;
    const conn = sqlPart.connection(key, 'ruvector', 'ruvector')!;
    expect(conn.database.startsWith(instancePrefix(key))).toBe(true);
    const c = await connect(conn.database, conn.user, 'pw-One!');
    await c.query('CREATE TABLE items (id int PRIMARY KEY, v text)');
    await c.query("INSERT INTO items VALUES (1, 'one')");
    await c.end();

    // The wrong password is refused only when the server checks passwords; with trust auth it is not, so check the stored hash instead.
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    const r = await admin.query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [conn.user]);
    expect(r.rows[0]?.rolpassword).toMatch(/^SCRAM-SHA-256\$/);
    await admin.end();
  });

  it('a read replica sees the primary\'s rows and refuses writes', async () => {
    await done((await instances.insert({ project: PROJECT, body: { name: replica, region: 'asia-northeast1', masterInstanceName: primary, settings: { tier: 'db-custom-1-3840' } } }))[0]);
    await settled();
    const rkey = `projects/${PROJECT}/instances/${replica}`;
    expect(sqlPart.resolve(PROJECT, 'asia-northeast1', `/cloudsql/${PROJECT}:asia-northeast1:${replica}`)).toBe(rkey);
    const conn = sqlPart.connection(rkey, 'ruvector', 'ruvector')!;
    const c = await connect(conn.database, conn.user, 'pw-One!');
    try {
      expect((await c.query('SELECT v FROM items WHERE id = 1')).rows[0]).toEqual({ v: 'one' });
      const w = await c.query("INSERT INTO items VALUES (2, 'two')").catch((e: Error) => e);
      expect(String(w)).toMatch(/read-only transaction/);
    } finally {
      await c.end();
    }

    // A row written on the primary shows on the replica at once.
    const p = sqlPart.connection(`projects/${PROJECT}/instances/${primary}`, 'ruvector', 'ruvector')!;
    const pc = await connect(p.database, p.user, 'pw-One!');
    await pc.query("INSERT INTO items VALUES (3, 'three')");
    await pc.end();
    const c2 = await connect(conn.database, conn.user, 'pw-One!');
    expect((await c2.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 });
    await c2.end();
  });

  it('a promoted replica gets its own writable copy of the data', async () => {
    await done((await instances.promoteReplica({ project: PROJECT, instance: replica }))[0]);
    await settled();
    const rkey = `projects/${PROJECT}/instances/${replica}`;
    const conn = sqlPart.connection(rkey, 'ruvector', 'ruvector')!;
    expect(conn.database.startsWith(instancePrefix(rkey))).toBe(true);
    const c = await connect(conn.database, conn.user, 'pw-One!');
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 });
      await c.query("INSERT INTO items VALUES (4, 'four')");
    } finally {
      await c.end();
    }
    // The old primary does not see what the promoted instance writes.
    const p = sqlPart.connection(`projects/${PROJECT}/instances/${primary}`, 'ruvector', 'ruvector')!;
    const pc = await connect(p.database, p.user, 'pw-One!');
    try {
      expect((await pc.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 });
    } finally {
      await pc.end();
    }
  });

  it('a second emulator on this machine with the same instance name gets its own database; deleting it leaves ours', async () => {
    const part2 = createSqlPart();
    const t2 = await startTestEmulator({ dataPlane: createLocalDataPlane({ core: { sql: part2 }, log: () => {} }) });
    try {
      const i2 = t2.clients.sqlInstances();
      const waitOp = async (op: Op) => {
        let cur = op;
        while (cur.status !== 'DONE') {
          await new Promise((r) => setTimeout(r, 10));
          [cur] = await t2.clients.sqlOperations().get({ project: PROJECT, operation: cur.name! });
        }
      };
      await waitOp((await i2.insert({ project: PROJECT, body: { name: primary, databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-custom-1-3840' } } }))[0]);
      await waitOp((await t2.clients.sqlDatabases().insert({ project: PROJECT, instance: primary, body: { name: 'ruvector' } }))[0]);
      await part2.settled();
      const key = `projects/${PROJECT}/instances/${primary}`;
      expect(part2.connection(key, 'ruvector', 'ruvector')!.database).not.toBe(sqlPart.connection(key, 'ruvector', 'ruvector')!.database);
      await waitOp((await i2.delete({ project: PROJECT, instance: primary }))[0]);
      await part2.settled();
    } finally {
      await t2.stop();
    }
    const p = sqlPart.connection(`projects/${PROJECT}/instances/${primary}`, 'ruvector', 'ruvector')!;
    const c = await connect(p.database, p.user, 'pw-One!');
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM items')).rows[0]).toEqual({ n: 2 });
    } finally {
      await c.end();
    }
  });

  it('deleting the instances drops their databases and roles', async () => {
    const key = `projects/${PROJECT}/instances/${primary}`;
    await done((await instances.delete({ project: PROJECT, instance: replica }))[0]);
    await done((await instances.delete({ project: PROJECT, instance: primary }))[0]);
    await settled();
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    const left = await admin.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR starts_with(datname, $2)', [instancePrefix(key), instancePrefix(`projects/${PROJECT}/instances/${replica}`)]);
    const roles = await admin.query('SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) OR starts_with(rolname, $2)', [instancePrefix(key), instancePrefix(`projects/${PROJECT}/instances/${replica}`)]);
    await admin.end();
    expect(left.rows).toEqual([]);
    expect(roles.rows).toEqual([]);
  });
});
