/** Secret Manager v1 conformance through @google-cloud/secret-manager (REST, int enums). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { crc32c } from '../../../src/emulator/apis/secretmanager/crc32c.js';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

let t: TestEmulator;
let sm: SecretManagerServiceClient;
const parent = `projects/${PROJECT}`;

beforeAll(async () => {
  t = await startTestEmulator();
  sm = t.clients.secretManager();
});
afterAll(async () => {
  await t?.stop();
});

describe('crc32c', () => {
  it('matches the Castagnoli check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('Secret Manager', () => {
  it('creates, gets, lists and refuses duplicates and bad ids', async () => {
    const [s] = await sm.createSecret({
      parent,
      secretId: 'redis-host-us-central1',
      secret: { replication: { automatic: {} }, labels: { 'managed-by': 'ruvector' } },
    });
    expect(s.name).toMatch(/^projects\/\d+\/secrets\/redis-host-us-central1$/);
    expect(s.etag).toMatch(/^".+"$/);
    expect(s.createTime).toBeTruthy();
    const [got] = await sm.getSecret({ name: `${parent}/secrets/redis-host-us-central1` });
    expect(got.labels).toEqual({ 'managed-by': 'ruvector' });
    // The number form names the same secret.
    const [byNumber] = await sm.getSecret({ name: s.name! });
    expect(byNumber.etag).toBe(s.etag);

    const dup = await sm.createSecret({ parent, secretId: 'redis-host-us-central1', secret: { replication: { automatic: {} } } }).catch((e: unknown) => e);
    expect(errorBody(dup).status).toBe('ALREADY_EXISTS');
    const bad = await sm.createSecret({ parent, secretId: 'bad id!', secret: { replication: { automatic: {} } } }).catch((e: unknown) => e);
    expect(errorBody(bad).status).toBe('INVALID_ARGUMENT');
    const noRep = await sm.createSecret({ parent, secretId: 'no-replication', secret: {} }).catch((e: unknown) => e);
    expect(errorBody(noRep).status).toBe('INVALID_ARGUMENT');

    await sm.createSecret({
      parent,
      secretId: 'db-password',
      secret: { replication: { userManaged: { replicas: [{ location: 'us-central1' }, { location: 'europe-west1' }] } } },
    });
    const [list] = await sm.listSecrets({ parent });
    expect(list.map((x) => x.name!.split('/').pop()).sort()).toEqual(['db-password', 'redis-host-us-central1']);
    const [filtered] = await sm.listSecrets({ parent, filter: 'labels.managed-by=ruvector' });
    expect(filtered.map((x) => x.name!.split('/').pop())).toEqual(['redis-host-us-central1']);
    expect(errorBody(await sm.getSecret({ name: `${parent}/secrets/nope` }).catch((e: unknown) => e)).status).toBe('NOT_FOUND');
  });

  it('updates with an update mask; a stale etag is ABORTED', async () => {
    const name = `${parent}/secrets/redis-host-us-central1`;
    const [cur] = await sm.getSecret({ name });
    const [upd] = await sm.updateSecret({
      secret: { name, labels: { 'managed-by': 'ruvector', tier: '1' }, etag: cur.etag },
      updateMask: { paths: ['labels'] },
    });
    expect(upd.labels).toEqual({ 'managed-by': 'ruvector', tier: '1' });
    expect(upd.etag).not.toBe(cur.etag);
    const stale = await sm.updateSecret({ secret: { name, labels: {}, etag: cur.etag }, updateMask: { paths: ['labels'] } }).catch((e: unknown) => e);
    expect(errorBody(stale).status).toBe('ABORTED');
    expect(errorBody(stale).code).toBe(409);
  });

  it('adds versions with a checked crc32c and accesses them, latest included', async () => {
    const parentSecret = `${parent}/secrets/db-password`;
    const data = Buffer.from('correct horse battery staple');
    const [v1] = await sm.addSecretVersion({ parent: parentSecret, payload: { data, dataCrc32c: crc32c(data) } });
    expect(v1.name).toMatch(/\/versions\/1$/);
    expect(v1.state).toBe('ENABLED');
    expect(v1.clientSpecifiedPayloadChecksum).toBe(true);
    expect(v1.replicationStatus?.userManaged?.replicas?.map((r) => r.location)).toEqual(['us-central1', 'europe-west1']);

    const corrupt = await sm.addSecretVersion({ parent: parentSecret, payload: { data: Buffer.from('x'), dataCrc32c: 12345 } }).catch((e: unknown) => e);
    expect(errorBody(corrupt).status).toBe('INVALID_ARGUMENT');

    const data2 = Buffer.from('second');
    const [v2] = await sm.addSecretVersion({ parent: parentSecret, payload: { data: data2 } });
    expect(v2.name).toMatch(/\/versions\/2$/);
    const [latest] = await sm.accessSecretVersion({ name: `${parentSecret}/versions/latest` });
    expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe('second');
    expect(Number(latest.payload!.dataCrc32c)).toBe(crc32c(data2));
    const [first] = await sm.accessSecretVersion({ name: `${parentSecret}/versions/1` });
    expect(Buffer.from(first.payload!.data as Uint8Array).toString()).toBe('correct horse battery staple');

    const [versions] = await sm.listSecretVersions({ parent: parentSecret });
    expect(versions.map((v) => v.name!.split('/').pop())).toEqual(['2', '1']);
  });

  it('disables, enables and destroys versions; access follows the state', async () => {
    const parentSecret = `${parent}/secrets/db-password`;
    const [disabled] = await sm.disableSecretVersion({ name: `${parentSecret}/versions/2` });
    expect(disabled.state).toBe('DISABLED');
    const denied = await sm.accessSecretVersion({ name: `${parentSecret}/versions/latest` }).catch((e: unknown) => e);
    expect(errorBody(denied).status).toBe('FAILED_PRECONDITION');
    const [enabled] = await sm.enableSecretVersion({ name: `${parentSecret}/versions/2` });
    expect(enabled.state).toBe('ENABLED');
    const stale = await sm.destroySecretVersion({ name: `${parentSecret}/versions/1`, etag: '"0"' }).catch((e: unknown) => e);
    expect(errorBody(stale).status).toBe('ABORTED');
    const [destroyed] = await sm.destroySecretVersion({ name: `${parentSecret}/versions/1` });
    expect(destroyed.state).toBe('DESTROYED');
    expect(destroyed.destroyTime).toBeTruthy();
    expect(errorBody(await sm.accessSecretVersion({ name: `${parentSecret}/versions/1` }).catch((e: unknown) => e)).status).toBe('FAILED_PRECONDITION');
    const [onlyEnabled] = await sm.listSecretVersions({ parent: parentSecret, filter: 'state:ENABLED' });
    expect(onlyEnabled.map((v) => v.name!.split('/').pop())).toEqual(['2']);
  });

  it('IAM policy on a secret: set, get, stale etag refused', async () => {
    const resource = `${parent}/secrets/db-password`;
    const [p0] = await sm.getIamPolicy({ resource });
    const member = `serviceAccount:ruvector-run@${PROJECT}.iam.gserviceaccount.com`;
    const [p1] = await sm.setIamPolicy({ resource, policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [member] }], etag: p0.etag } });
    expect(p1.bindings?.[0]?.members).toEqual([member]);
    const [p2] = await sm.getIamPolicy({ resource });
    expect(p2.etag).toEqual(p1.etag);
    const stale = await sm.setIamPolicy({ resource, policy: { bindings: [], etag: p0.etag } }).catch((e: unknown) => e);
    expect(errorBody(stale).status).toBe('ABORTED');
  });

  it('deletes with an etag check', async () => {
    const name = `${parent}/secrets/redis-host-us-central1`;
    const stale = await sm.deleteSecret({ name, etag: '"1"' }).catch((e: unknown) => e);
    expect(errorBody(stale).status).toBe('ABORTED');
    const [cur] = await sm.getSecret({ name });
    await sm.deleteSecret({ name, etag: cur.etag! });
    expect(errorBody(await sm.getSecret({ name }).catch((e: unknown) => e)).status).toBe('NOT_FOUND');
  });
});
