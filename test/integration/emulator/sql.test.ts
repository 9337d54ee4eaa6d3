/**
 * Cloud SQL Admin v1 conformance, driven through @google-cloud/sql's v1 clients in REST
 * mode (enums travel as integers; the emulator must answer in kind).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { protos, SqlDatabasesServiceClient, SqlInstancesServiceClient, SqlOperationsServiceClient, SqlUsersServiceClient } from '@google-cloud/sql';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

type Op = protos.google.cloud.sql.v1.IOperation;
type Instance = protos.google.cloud.sql.v1.IDatabaseInstance;

let t: TestEmulator;
let instancesClient: SqlInstancesServiceClient;
let ops: SqlOperationsServiceClient;
let dbs: SqlDatabasesServiceClient;
let users: SqlUsersServiceClient;

beforeAll(async () => {
  t = await startTestEmulator();
  instancesClient = t.clients.sqlInstances();
  ops = t.clients.sqlOperations();
  dbs = t.clients.sqlDatabases();
  users = t.clients.sqlUsers();
});
afterAll(async () => {
  await t?.stop();
});

/** The client does not poll Cloud SQL operations: loop on operations.get as callers must. */
async function done(op: Op): Promise<Op> {
  let cur = op;
  for (let i = 0; i < 400 && cur.status !== 'DONE'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    [cur] = await ops.get({ project: PROJECT, operation: cur.name! });
  }
  expect(cur.status).toBe('DONE');
  return cur;
}

async function get(name: string): Promise<Instance> {
  const [inst] = await instancesClient.get({ project: PROJECT, instance: name });
  return inst;
}

/** The seed's primary, as a provider would send it. */
function seedPrimary(name: string, region = 'us-central1'): Instance {
  return {
    name,
    databaseVersion: 'POSTGRES_15',
    region,
    settings: {
      tier: 'db-custom-4-16384',
      availabilityType: 'REGIONAL',
      dataDiskType: 'PD_SSD',
      dataDiskSizeGb: { value: 100 },
      storageAutoResize: { value: true },
      storageAutoResizeLimit: { value: 500 },
      backupConfiguration: {
        enabled: { value: true },
        startTime: '03:00',
        pointInTimeRecoveryEnabled: { value: true },
        transactionLogRetentionDays: { value: 7 },
        backupRetentionSettings: { retainedBackups: { value: 30 }, retentionUnit: 'COUNT' },
      },
      locationPreference: { zone: `${region}-a` },
      ipConfiguration: { ipv4Enabled: { value: true }, sslMode: 'ENCRYPTED_ONLY' },
      databaseFlags: [
        { name: 'max_connections', value: '1000' },
        { name: 'shared_buffers', value: '524288' },
        { name: 'random_page_cost', value: '1.1' },
      ],
      maintenanceWindow: { day: { value: 7 }, hour: { value: 3 }, updateTrack: 'stable' },
      insightsConfig: { queryInsightsEnabled: true, queryPlansPerMinute: { value: 5 }, queryStringLength: { value: 4096 }, recordApplicationTags: true },
      userLabels: { 'managed-by': 'ruvector' },
      deletionProtectionEnabled: { value: true },
    },
  };
}

describe('Cloud SQL instances', () => {
  it('creates a primary: PENDING_CREATE, then RUNNABLE with server fields, through an operation', async () => {
    const [op] = await instancesClient.insert({ project: PROJECT, body: seedPrimary('ruvector-db-us-central1') });
    expect(op.kind).toBe('sql#operation');
    expect(op.operationType).toBe('CREATE');
    expect(['PENDING', 'RUNNING']).toContain(op.status);
    expect(op.targetId).toBe('ruvector-db-us-central1');

    const pending = await get('ruvector-db-us-central1');
    expect(pending.state).toBe('PENDING_CREATE');

    // Another write while the create runs: Cloud SQL's one-operation-at-a-time rule.
    const busy = await instancesClient.restart({ project: PROJECT, instance: 'ruvector-db-us-central1' }).catch((e: unknown) => e);
    expect(errorBody(busy).code).toBe(409);
    expect(errorBody(busy).errors?.[0]?.reason).toBe('operationInProgress');

    const fin = await done(op);
    expect(fin.error).toBeFalsy();
    expect(fin.endTime).toBeTruthy();

    const inst = await get('ruvector-db-us-central1');
    expect(inst.state).toBe('RUNNABLE');
    expect(inst.kind).toBe('sql#instance');
    expect(inst.databaseVersion).toBe('POSTGRES_15');
    expect(inst.databaseInstalledVersion).toMatch(/^POSTGRES_15_/);
    expect(inst.connectionName).toBe(`${PROJECT}:us-central1:ruvector-db-us-central1`);
    expect(inst.backendType).toBe('SECOND_GEN');
    expect(inst.instanceType).toBe('CLOUD_SQL_INSTANCE');
    expect(inst.gceZone).toBe('us-central1-a');
    expect(inst.secondaryGceZone).toMatch(/^us-central1-[b-f]$/);
    expect(inst.selfLink).toContain(`/v1/projects/${PROJECT}/instances/ruvector-db-us-central1`);
    expect(inst.etag).toBeTruthy();
    expect(inst.serverCaCert?.kind).toBe('sql#sslCert');
    expect(inst.ipAddresses?.some((a) => a.type === 'PRIMARY')).toBe(true);
    expect(inst.settings?.settingsVersion?.value).toBe('1');
    expect(inst.settings?.edition).toBe('ENTERPRISE');
    expect(inst.settings?.pricingPlan).toBe('PER_USE');
    expect(inst.settings?.ipConfiguration?.requireSsl?.value).toBe(false);
    expect(inst.settings?.backupConfiguration?.backupRetentionSettings?.retainedBackups?.value).toBe(30);
    expect(inst.settings?.databaseFlags).toHaveLength(3);
    expect(inst.settings?.userLabels).toEqual({ 'managed-by': 'ruvector' });

    // A Postgres instance comes with the postgres database and user.
    const [dbList] = await dbs.list({ project: PROJECT, instance: 'ruvector-db-us-central1' });
    expect(dbList.items?.map((d) => d.name)).toEqual(['postgres']);
  });

  it('refuses a duplicate name (409 instanceAlreadyExists) and bad settings (400)', async () => {
    const dup = await instancesClient.insert({ project: PROJECT, body: seedPrimary('ruvector-db-us-central1') }).catch((e: unknown) => e);
    expect(errorBody(dup).code).toBe(409);
    expect(errorBody(dup).errors?.[0]?.reason).toBe('instanceAlreadyExists');

    const badTier = seedPrimary('bad-tier');
    badTier.settings!.tier = 'db-custom-3-1024';
    expect(errorBody(await instancesClient.insert({ project: PROJECT, body: badTier }).catch((e: unknown) => e)).code).toBe(400);

    // Cloud SQL takes Postgres memory flags as numbers in the flag's unit: "4096MB" is refused.
    const badFlag = seedPrimary('bad-flag');
    badFlag.settings!.databaseFlags = [{ name: 'shared_buffers', value: '4096MB' }];
    const e = await instancesClient.insert({ project: PROJECT, body: badFlag }).catch((x: unknown) => x);
    expect(errorBody(e).code).toBe(400);
    expect(errorBody(e).errors?.[0]?.reason).toBe('invalidFlagValue');

    const badName = seedPrimary('Bad_Name');
    expect(errorBody(await instancesClient.insert({ project: PROJECT, body: badName }).catch((x: unknown) => x)).code).toBe(400);

    expect(errorBody(await get('no-such-instance').catch((x: unknown) => x)).code).toBe(404);
  });

  it('creates a cross-region read replica and links it to its primary', async () => {
    const before = await get('ruvector-db-us-central1');
    const [op] = await instancesClient.insert({
      project: PROJECT,
      body: {
        name: 'ruvector-db-us-east1-replica',
        databaseVersion: 'POSTGRES_15',
        region: 'us-east1',
        masterInstanceName: 'ruvector-db-us-central1',
        replicaConfiguration: { failoverTarget: { value: false } },
        settings: { tier: 'db-custom-2-8192', availabilityType: 'ZONAL', dataDiskType: 'PD_SSD' },
      },
    });
    expect(op.operationType).toBe('CREATE_REPLICA');
    // The primary is held while its replica is being created.
    const second = await instancesClient
      .insert({ project: PROJECT, body: { name: 'second-replica', region: 'us-west1', masterInstanceName: 'ruvector-db-us-central1', settings: { tier: 'db-custom-2-8192' } } })
      .catch((e: unknown) => e);
    expect(errorBody(second).errors?.[0]?.reason).toBe('operationInProgress');
    await done(op);

    const replica = await get('ruvector-db-us-east1-replica');
    expect(replica.state).toBe('RUNNABLE');
    expect(replica.instanceType).toBe('READ_REPLICA_INSTANCE');
    expect(replica.masterInstanceName).toBe(`${PROJECT}:ruvector-db-us-central1`);
    const primary = await get('ruvector-db-us-central1');
    expect(primary.replicaNames).toEqual(['ruvector-db-us-east1-replica']);
    // Replica membership bumps the primary's settingsVersion.
    expect(Number(primary.settings?.settingsVersion?.value)).toBeGreaterThan(Number(before.settings?.settingsVersion?.value));

    const missingPrimary = await instancesClient
      .insert({ project: PROJECT, body: { name: 'orphan', region: 'us-west1', masterInstanceName: 'nope', settings: { tier: 'db-custom-2-8192' } } })
      .catch((e: unknown) => e);
    expect(errorBody(missingPrimary).code).toBe(403);

    const wrongVersion = await instancesClient
      .insert({ project: PROJECT, body: { name: 'wrong-version', databaseVersion: 'POSTGRES_14', region: 'us-west1', masterInstanceName: 'ruvector-db-us-central1', settings: { tier: 'db-custom-2-8192' } } })
      .catch((e: unknown) => e);
    expect(errorBody(wrongVersion).code).toBe(400);
  });

  it('patches with settingsVersion: a stale one gets 412 staleData, a current one applies and bumps it', async () => {
    const inst = await get('ruvector-db-us-central1');
    const version = inst.settings!.settingsVersion!.value!;
    const stale = await instancesClient
      .patch({ project: PROJECT, instance: inst.name!, body: { settings: { settingsVersion: { value: Number(version) - 1 }, userLabels: { env: 'prod' } } } })
      .catch((e: unknown) => e);
    expect(errorBody(stale).code).toBe(412);
    expect(errorBody(stale).errors?.[0]?.reason).toBe('staleData');

    const [op] = await instancesClient.patch({
      project: PROJECT,
      instance: inst.name!,
      body: { settings: { settingsVersion: { value: Number(version) }, userLabels: { env: 'prod' }, tier: 'db-custom-8-32768' } },
    });
    expect(op.operationType).toBe('UPDATE');
    await done(op);
    const after = await get(inst.name!);
    expect(after.settings?.tier).toBe('db-custom-8-32768');
    // Labels merge under patch semantics; untouched settings stay.
    expect(after.settings?.userLabels).toEqual({ 'managed-by': 'ruvector', env: 'prod' });
    expect(after.settings?.backupConfiguration?.startTime).toBe('03:00');
    expect(after.settings?.settingsVersion?.value).toBe(String(Number(version) + 1));
    expect(after.etag).not.toBe(inst.etag);
  });

  it('update (PUT) replaces settings, restart runs as its own operation, databases patch', async () => {
    const inst = await get('ruvector-db-us-east1-replica');
    const [op] = await instancesClient.update({
      project: PROJECT,
      instance: inst.name!,
      body: { settings: { settingsVersion: inst.settings!.settingsVersion!, tier: 'db-custom-4-16384', userLabels: { role: 'replica' } } },
    });
    await done(op);
    const after = await get(inst.name!);
    expect(after.settings?.tier).toBe('db-custom-4-16384');
    expect(after.settings?.userLabels).toEqual({ role: 'replica' });
    // What PUT leaves out goes back to the defaults.
    expect(after.settings?.availabilityType).toBe('ZONAL');
    expect(after.settings?.dataDiskSizeGb?.value).toBe('10');
    const missingTier = await instancesClient.update({ project: PROJECT, instance: inst.name!, body: { settings: { userLabels: {} } } }).catch((e: unknown) => e);
    expect(errorBody(missingTier).code).toBe(400);

    const [restart] = await instancesClient.restart({ project: PROJECT, instance: inst.name! });
    expect(restart.operationType).toBe('RESTART');
    await done(restart);

    const instance = 'ruvector-db-us-central1';
    await done((await dbs.insert({ project: PROJECT, instance, body: { name: 'scratch' } }))[0]);
    const [patched] = await dbs.patch({ project: PROJECT, instance, database: 'scratch', body: { collation: 'C' } });
    expect(patched.operationType).toBe('UPDATE_DATABASE');
    await done(patched);
    expect((await dbs.get({ project: PROJECT, instance, database: 'scratch' }))[0].collation).toBe('C');
    await done((await dbs.delete({ project: PROJECT, instance, database: 'scratch' }))[0]);
  });

  it('lists instances with a label filter and paging', async () => {
    const [all] = await instancesClient.list({ project: PROJECT });
    expect(all.items?.map((i) => i.name).sort()).toEqual(['ruvector-db-us-central1', 'ruvector-db-us-east1-replica']);
    const [filtered] = await instancesClient.list({ project: PROJECT, filter: 'settings.userLabels.managed-by:ruvector' });
    expect(filtered.items?.map((i) => i.name)).toEqual(['ruvector-db-us-central1']);
    const [page1] = await instancesClient.list({ project: PROJECT, maxResults: 1 });
    expect(page1.items).toHaveLength(1);
    expect(page1.nextPageToken).toBeTruthy();
    const [page2] = await instancesClient.list({ project: PROJECT, maxResults: 1, pageToken: page1.nextPageToken! });
    expect(page2.items?.[0]?.name).not.toBe(page1.items?.[0]?.name);
  });

  it('databases and users: insert, get, list, update, delete; passwords never come back', async () => {
    const instance = 'ruvector-db-us-central1';
    await done((await dbs.insert({ project: PROJECT, instance, body: { name: 'ruvector' } }))[0]);
    const [db] = await dbs.get({ project: PROJECT, instance, database: 'ruvector' });
    expect(db).toMatchObject({ kind: 'sql#database', name: 'ruvector', charset: 'UTF8', instance, project: PROJECT });
    const dup = await dbs.insert({ project: PROJECT, instance, body: { name: 'ruvector' } }).catch((e: unknown) => e);
    expect(errorBody(dup).code).toBe(409);
    const onReplica = await dbs.insert({ project: PROJECT, instance: 'ruvector-db-us-east1-replica', body: { name: 'x' } }).catch((e: unknown) => e);
    expect(errorBody(onReplica).code).toBe(400);

    const [uop] = await users.insert({ project: PROJECT, instance, body: { name: 'ruvector', password: 's3cret-Passw0rd!' } });
    expect(uop.operationType).toBe('CREATE_USER');
    await done(uop);
    const [u] = await users.get({ project: PROJECT, instance, name: 'ruvector' });
    expect(u.name).toBe('ruvector');
    expect(u.password).toBeFalsy();
    const [list] = await users.list({ project: PROJECT, instance });
    expect(list.items?.map((x) => x.name).sort()).toEqual(['postgres', 'ruvector']);
    expect(JSON.stringify(list)).not.toContain('s3cret');
    // Nor on the emulator's own event feed; the data plane reads it from the store.
    expect(JSON.stringify(await t.control('GET', '/__emulator/events'))).not.toContain('s3cret');
    const stored = t.emu.ctx.store.collection<{ password?: string }>('sqladmin.users').peek(`projects/${PROJECT}/instances/${instance}/users//ruvector`);
    expect(stored?.password).toBe('s3cret-Passw0rd!');
    await done((await users.update({ project: PROJECT, instance, name: 'ruvector', host: '', body: { name: 'ruvector', password: 'an0ther-Secret' } }))[0]);
    await done((await users.delete({ project: PROJECT, instance, name: 'ruvector', host: '' }))[0]);
    expect(errorBody(await users.get({ project: PROJECT, instance, name: 'ruvector' }).catch((e: unknown) => e)).code).toBe(404);

    await done((await dbs.delete({ project: PROJECT, instance, database: 'ruvector' }))[0]);
    expect(errorBody(await dbs.get({ project: PROJECT, instance, database: 'ruvector' }).catch((e: unknown) => e)).code).toBe(404);
  });

  it('lists operations for an instance, newest first', async () => {
    const [list] = await ops.list({ project: PROJECT, instance: 'ruvector-db-us-central1' });
    const types = list.items?.map((o) => o.operationType) ?? [];
    expect(types[types.length - 1]).toBe('CREATE');
    expect(types).toContain('CREATE_DATABASE');
    expect(list.items?.every((o) => o.status === 'DONE')).toBe(true);
  });

  it('HA failover swaps zones (settingsVersion checked); a replica can be promoted to a primary', async () => {
    const p = await get('ruvector-db-us-central1');
    const stale = await instancesClient
      .failover({ project: PROJECT, instance: p.name!, body: { failoverContext: { settingsVersion: Number(p.settings!.settingsVersion!.value) - 1 } } })
      .catch((e: unknown) => e);
    expect(errorBody(stale).code).toBe(412);
    const [fo] = await instancesClient.failover({ project: PROJECT, instance: p.name!, body: { failoverContext: { settingsVersion: Number(p.settings!.settingsVersion!.value) } } });
    expect(fo.operationType).toBe('FAILOVER');
    await done(fo);
    const swapped = await get(p.name!);
    expect([swapped.gceZone, swapped.secondaryGceZone]).toEqual([p.secondaryGceZone, p.gceZone]);

    await done((await instancesClient.insert({ project: PROJECT, body: { name: 'promote-me', region: 'us-west1', masterInstanceName: p.name!, settings: { tier: 'db-custom-2-8192' } } }))[0]);
    expect((await get(p.name!)).replicaNames).toContain('promote-me');
    const [promo] = await instancesClient.promoteReplica({ project: PROJECT, instance: 'promote-me' });
    expect(promo.operationType).toBe('PROMOTE_REPLICA');
    await done(promo);
    const promoted = await get('promote-me');
    expect(promoted.instanceType).toBe('CLOUD_SQL_INSTANCE');
    expect(promoted.masterInstanceName).toBeFalsy();
    expect((await get(p.name!)).replicaNames).not.toContain('promote-me');
    const notReplica = await instancesClient.promoteReplica({ project: PROJECT, instance: 'promote-me' }).catch((e: unknown) => e);
    expect(errorBody(notReplica).code).toBe(400);
    await done((await instancesClient.delete({ project: PROJECT, instance: 'promote-me' }))[0]);
  });

  it('delete honours deletion protection and refuses a primary with replicas', async () => {
    const protectedErr = await instancesClient.delete({ project: PROJECT, instance: 'ruvector-db-us-central1' }).catch((e: unknown) => e);
    expect(errorBody(protectedErr).code).toBe(400);
    expect(errorBody(protectedErr).message).toContain('protected');

    const inst = await get('ruvector-db-us-central1');
    await done(
      (await instancesClient.patch({ project: PROJECT, instance: inst.name!, body: { settings: { settingsVersion: inst.settings!.settingsVersion!, deletionProtectionEnabled: { value: false } } } }))[0],
    );
    const withReplica = await instancesClient.delete({ project: PROJECT, instance: 'ruvector-db-us-central1' }).catch((e: unknown) => e);
    expect(errorBody(withReplica).code).toBe(400);
    expect(errorBody(withReplica).message).toContain('replicas');

    await done((await instancesClient.delete({ project: PROJECT, instance: 'ruvector-db-us-east1-replica' }))[0]);
    expect(errorBody(await get('ruvector-db-us-east1-replica').catch((e: unknown) => e)).code).toBe(404);
    const primary = await get('ruvector-db-us-central1');
    expect(primary.replicaNames ?? []).toEqual([]);

    const [del] = await instancesClient.delete({ project: PROJECT, instance: 'ruvector-db-us-central1' });
    expect(del.operationType).toBe('DELETE');
    await done(del);
    const [left] = await instancesClient.list({ project: PROJECT });
    expect(left.items ?? []).toEqual([]);
  });
});

describe('Cloud SQL wire details and persistence', () => {
  it('answers enums as integers when the caller asks for them, as names otherwise', async () => {
    const e = await startTestEmulator();
    try {
      const [op] = await e.clients.sqlInstances().insert({ project: PROJECT, body: { name: 'wire', databaseVersion: 'POSTGRES_15', region: 'europe-west1', settings: { tier: 'db-f1-micro' } } });
      expect(op.name).toBeTruthy();
      const path = `${e.url}/v1/projects/${PROJECT}/instances/wire`;
      const asInts = (await (await fetch(`${path}?$alt=json%3Benum-encoding=int`)).json()) as Record<string, unknown>;
      expect(asInts['databaseVersion']).toBe(172);
      expect(typeof asInts['state']).toBe('number');
      const asNames = (await (await fetch(path)).json()) as Record<string, unknown>;
      expect(asNames['databaseVersion']).toBe('POSTGRES_15');
      // europe-west1 has zones b, c, d only.
      expect(String(asNames['gceZone'])).toMatch(/^europe-west1-[bcd]$/);
      expect(asNames).not.toHaveProperty('rootPassword');
    } finally {
      await e.stop();
    }
  });

  it('reports the data plane\'s address when one serves the instance', async () => {
    const served: string[] = [];
    const e = await startTestEmulator({
      dataPlane: {
        attach(ctx) {
          ctx.events.on('resource.changed', (ev) => {
            if (ev.api === 'sqladmin' && ev.kind === 'sql#instance') served.push(`${ev.change}:${ev.name}`);
          });
        },
        sqlEndpoint: (key) => (key.endsWith('/instances/served') ? { host: '127.0.0.1', port: 5432 } : undefined),
      },
    });
    try {
      let [op] = await e.clients.sqlInstances().insert({ project: PROJECT, body: { name: 'served', databaseVersion: 'POSTGRES_15', region: 'us-central1', rootPassword: 'r00t-Secret', settings: { tier: 'db-f1-micro' } } });
      while (op.status !== 'DONE') {
        await new Promise((r) => setTimeout(r, 10));
        [op] = await e.clients.sqlOperations().get({ project: PROJECT, operation: op.name! });
      }
      const [inst] = await e.clients.sqlInstances().get({ project: PROJECT, instance: 'served' });
      expect(inst.ipAddresses?.find((a) => a.type === 'PRIMARY')?.ipAddress).toBe('127.0.0.1');
      expect(served).toEqual([`created:projects/${PROJECT}/instances/served`, `updated:projects/${PROJECT}/instances/served`]);
      // The root password sets the postgres user's (for the data plane) and is never shown.
      expect(JSON.stringify(inst)).not.toContain('r00t');
      expect(JSON.stringify(await e.control('GET', '/__emulator/events'))).not.toContain('r00t');
      const pgUser = e.emu.ctx.store.collection<{ password?: string }>('sqladmin.users').peek(`projects/${PROJECT}/instances/served/users//postgres`);
      expect(pgUser?.password).toBe('r00t-Secret');
    } finally {
      await e.stop();
    }
  });

  it('an operation pending at shutdown completes after a restart with the same state dir', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'ruvector-sql-state-'));
    try {
      // 5-10 min of GCP time at scale 0.002 = 0.6-1.2 s: still running when we stop.
      const a = await startTestEmulator({ stateDir: dir, latencyScale: 0.002 });
      const [op] = await a.clients.sqlInstances().insert({ project: PROJECT, body: { name: 'survivor', databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-f1-micro' } } });
      expect(op.status).not.toBe('DONE');
      await a.stop();

      const b = await startTestEmulator({ stateDir: dir, latencyScale: 0.0001 });
      try {
        const bops = b.clients.sqlOperations();
        let [cur] = await bops.get({ project: PROJECT, operation: op.name! });
        for (let i = 0; i < 800 && cur.status !== 'DONE'; i++) {
          await new Promise((r) => setTimeout(r, 10));
          [cur] = await bops.get({ project: PROJECT, operation: op.name! });
        }
        expect(cur.status).toBe('DONE');
        const [inst] = await b.clients.sqlInstances().get({ project: PROJECT, instance: 'survivor' });
        expect(inst.state).toBe('RUNNABLE');
        const [dbList] = await b.clients.sqlDatabases().list({ project: PROJECT, instance: 'survivor' });
        expect(dbList.items?.map((d) => d.name)).toEqual(['postgres']);
      } finally {
        await b.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
