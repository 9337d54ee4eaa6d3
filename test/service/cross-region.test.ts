import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { TestEnv, adminQuery as admin, call, randomVectors, startJwks, waitFor } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import { decodeUpdate, encodeUpdate, VECTOR_UPDATE_SCHEMA } from '../../service/src/replication/schema.js';

/**
 * Two regions with their own Postgres primaries (as us-central1 and europe-west1 have in the
 * seed): the vector travels through the writer's bucket, the announcement through Pub/Sub.
 * The test pulls what us-central1 published and pushes it to europe-west1 the way a push
 * subscription would (the emulator's own push delivery is covered by the local-world e2e).
 */
const P = 'proj';
const SA = 'ruvector-pubsub-push@proj.iam.gserviceaccount.com';
const AUD = 'https://ruvector-europe-west1.example/api/v1/pubsub/vector-updates';
const us = new TestEnv();
const eu = new TestEnv();
let emu: RunningEmulator;
let jwks: Awaited<ReturnType<typeof startJwks>>;
let a: RunningServer;
let b: RunningServer;
/** A tier-2 region (asia-northeast1) on a read replica of europe-west1's primary. */
const replicaRole = `ruvector_ro_${randomBytes(4).toString('hex')}`;

async function gcp(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(emu.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const t = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${t}`);
  return t ? JSON.parse(t) : undefined;
}

function regionEnv(region: string): Record<string, string> {
  return {
    REGION: region,
    STORAGE_BUCKET: `ruvector-vectors-${region}`,
    STORAGE_EMULATOR_HOST: emu.url,
    PUBSUB_TOPIC: `projects/${P}/topics/vector-updates`,
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${emu.port}`,
    SNAPSHOT_INTERVAL_SECONDS: '0',
    CHANGEFEED_POLL_MS: '0',
    PUBSUB_JWKS_URL: jwks.url,
    PUSH_SERVICE_ACCOUNT: SA,
    PUSH_AUDIENCE: AUD,
  };
}

interface Pulled {
  envelope: { message: { data: string; messageId: string; attributes: Record<string, string> }; subscription: string };
  update: ReturnType<typeof decodeUpdate>;
}

/** Everything published so far, from the pull subscription, acknowledged. */
async function drain(expect: number): Promise<Pulled[]> {
  const out: Pulled[] = [];
  const sub = `projects/${P}/subscriptions/to-europe`;
  for (let tries = 0; tries < 100 && out.length < expect; tries++) {
    const r = await gcp('POST', `/v1/${sub}:pull`, { maxMessages: 500 });
    const got = r.receivedMessages ?? [];
    for (const m of got) {
      out.push({ envelope: { message: m.message, subscription: sub }, update: decodeUpdate(Buffer.from(m.message.data, 'base64').toString()) });
    }
    if (got.length) await gcp('POST', `/v1/${sub}:acknowledge`, { ackIds: got.map((m: { ackId: string }) => m.ackId) });
    else await new Promise((res) => setTimeout(res, 50));
  }
  return out;
}

/** What was published for one collection, waiting for `expect` of them; others' messages are dropped. */
async function drainFor(collection: string, expect: number): Promise<Pulled[]> {
  const out: Pulled[] = [];
  for (let tries = 0; tries < 20 && out.length < expect; tries++) {
    out.push(...(await drain(expect - out.length)).filter((m) => JSON.parse(m.update.metadata!).collection === collection));
  }
  return out;
}

/** The same message with another timestamp, as a region whose clock said so would have sent it. */
function retimed(p: Pulled, timestamp: number): Pulled {
  const data = Buffer.from(encodeUpdate({ ...p.update, timestamp })).toString('base64');
  return { envelope: { ...p.envelope, message: { ...p.envelope.message, data } }, update: { ...p.update, timestamp } };
}

async function push(target: RunningServer, p: Pulled) {
  return call(target.url, 'POST', '/api/v1/pubsub/vector-updates', p.envelope, { authorization: `Bearer ${await jwks.sign()}` });
}

beforeAll(async () => {
  await Promise.all([us.setup(), eu.setup()]);
  emu = await startEmulator({ port: 0, host: '127.0.0.1' });
  jwks = await startJwks(SA, AUD);
  for (const r of ['us-central1', 'europe-west1', 'asia-northeast1']) await gcp('POST', `/storage/v1/b?project=${P}`, { name: `ruvector-vectors-${r}` });
  await gcp('POST', `/v1/projects/${P}/schemas?schemaId=vector-update-schema`, { type: 'AVRO', definition: JSON.stringify(VECTOR_UPDATE_SCHEMA) });
  await gcp('PUT', `/v1/projects/${P}/topics/vector-updates`, { schemaSettings: { schema: `projects/${P}/schemas/vector-update-schema`, encoding: 'JSON' } });
  await gcp('PUT', `/v1/projects/${P}/subscriptions/to-europe`, { topic: `projects/${P}/topics/vector-updates`, ackDeadlineSeconds: 30 });
  a = await us.start(regionEnv('us-central1'));
  b = await eu.start(regionEnv('europe-west1'));
});
afterAll(async () => {
  await Promise.all([us.teardown(), eu.teardown()]);
  await admin(`DROP ROLE IF EXISTS ${replicaRole}`).catch(() => {});
  await jwks?.close();
  await emu?.stop();
});

describe('replication between regions with their own primaries', () => {
  const vecs = randomVectors(30, 6, 4);
  let first: Pulled[] = [];

  it('creates the collection and indexes the exact vectors and payloads in the other region, storing them in its primary', async () => {
    const key = { 'api-key': us.apiKey };
    expect((await call(a.url, 'POST', '/api/v1/collections', { name: 'docs', dimension: 6, metric: 'cosine' }, key)).status).toBe(201);
    const r = await call(a.url, 'POST', '/api/v1/collections/docs/points', { points: vecs.map((v, i) => ({ id: `d${i}`, vector: v, metadata: { i } })) }, key);
    expect(r.status).toBeLessThan(300);

    const msgs = await drain(30);
    first = msgs;
    expect(msgs).toHaveLength(30);
    const meta = JSON.parse(msgs[0]!.update.metadata!);
    expect(meta).toMatchObject({ collection: 'docs', dimension: 6, metric: 'cosine' });
    expect(meta.storage_path).toMatch(/^gs:\/\/ruvector-vectors-us-central1\/replication\/us-central1\/\d{4}\/\d{2}\/\d{2}\/docs\/\d+-[0-9a-f]{8}\.bin#\d+$/);
    // The writer's outbox is empty: every row names where its vector is.
    await waitFor('rows marked announced', async () => (await us.query("SELECT count(*)::int AS n FROM vector_metadata WHERE storage_path = 'pending'")).rows[0].n === 0);

    for (const m of msgs) expect((await push(b, m)).status).toBe(204);
    const info = await call(b.url, 'GET', '/api/v1/collections/docs');
    expect(info.body).toMatchObject({ dimension: 6, metric: 'cosine', count: 30 });
    const p7 = await call(b.url, 'GET', '/api/v1/collections/docs/points/d7');
    expect(p7.body.metadata).toEqual({ i: 7 });
    p7.body.vector.forEach((x: number, j: number) => expect(x).toBeCloseTo(vecs[7]![j]!, 6));
    const near = await call(b.url, 'POST', '/api/v1/collections/docs/search', { vector: vecs[12], k: 1 });
    expect(near.body.results[0].id).toBe('d12');
    // europe-west1's own primary holds the rows, with their origin and where they came from.
    const rows = (await eu.query('SELECT region, storage_path FROM vector_metadata WHERE collection = $1', ['docs'])).rows;
    expect(rows).toHaveLength(30);
    expect(rows.every((x) => x.region === 'us-central1' && String(x.storage_path).startsWith('gs://ruvector-vectors-us-central1/'))).toBe(true);

    // Redelivery is harmless, and nothing europe-west1 received is shipped back.
    for (const m of msgs.slice(0, 5)) expect((await push(b, m)).status).toBe(204);
    expect((await call(b.url, 'GET', '/api/v1/collections/docs')).body.count).toBe(30);
    expect((await eu.query("SELECT count(*)::int AS n FROM vector_metadata WHERE storage_path = 'pending'")).rows[0].n).toBe(0);
  });

  it('survives a restart of the receiver: the rows it stored come back from its own primary', async () => {
    await b.close();
    b = await eu.start(regionEnv('europe-west1'));
    expect((await call(b.url, 'GET', '/api/v1/collections/docs')).body.count).toBe(30);
  });

  it('lets the last writer win across regions, deletes included', async () => {
    // europe-west1 writes d1 after us-central1 did: us-central1's older write, redelivered, loses.
    const euKey = { 'api-key': eu.apiKey };
    await call(b.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'd1', vector: vecs[20], metadata: { from: 'eu' } }] }, euKey);
    const usKey = { 'api-key': us.apiKey };
    await call(a.url, 'POST', '/api/v1/collections/docs/points/delete', { ids: ['d2'] }, usKey);
    const msgs = await drain(2);
    const euWrite = msgs.find((m) => m.update.region === 'europe-west1' && m.update.vector_id === 'd1')!;
    const usDelete = msgs.find((m) => m.update.region === 'us-central1' && m.update.operation === 'delete')!;
    expect(euWrite && usDelete).toBeTruthy();

    expect((await push(b, euWrite)).status).toBe(204); // its own echo: ignored
    expect((await push(b, usDelete)).status).toBe(204);
    expect((await call(b.url, 'GET', '/api/v1/collections/docs/points/d2')).status).toBe(404);
    expect((await eu.query("SELECT deleted FROM vector_metadata WHERE collection = 'docs' AND id = 'd2'")).rows[0].deleted).toBe(true);
    expect((await call(b.url, 'GET', '/api/v1/collections/docs/points/d1')).body.metadata).toEqual({ from: 'eu' });
    expect((await push(b, first.find((m) => m.update.vector_id === 'd1')!)).status).toBe(204);
    expect((await call(b.url, 'GET', '/api/v1/collections/docs/points/d1')).body.metadata).toEqual({ from: 'eu' });
    // us-central1 receives europe-west1's newer write of d1.
    expect((await push(a, { ...euWrite, envelope: { ...euWrite.envelope, subscription: `projects/${P}/subscriptions/to-us` } })).status).toBe(204);
    expect((await call(a.url, 'GET', '/api/v1/collections/docs/points/d1')).body.metadata).toEqual({ from: 'eu' });
  });

  it('refuses a message whose record does not match, so it ends in the dead-letter topic', async () => {
    const [m] = await (async () => {
      await call(a.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'x1', vector: vecs[0] }] }, { 'api-key': us.apiKey });
      return drain(1);
    })();
    const u = m!.update;
    const meta = JSON.parse(u.metadata!);
    const forged = { ...u, vector_id: 'x2', metadata: { string: JSON.stringify(meta) } };
    const bad = { ...m!, envelope: { ...m!.envelope, message: { ...m!.envelope.message, data: Buffer.from(JSON.stringify(forged)).toString('base64') } } };
    const r = await push(b, bad);
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('metadata.storage_path');
  });

  it('ships from the outbox what a writer left pending (crash before publishing)', async () => {
    const key = { 'api-key': us.apiKey };
    await call(a.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'late', vector: vecs[3], metadata: { late: true } }] }, key);
    await drain(1); // the fast path's message, lost as if the instance died before it was pushed anywhere
    // As if the instance died between commit and shipping: the row is still pending, and old.
    await us.query("UPDATE vector_metadata SET storage_path = 'pending', updated_at = NOW() - interval '1 minute' WHERE id = 'late'");
    const sweeper = await us.start({ ...regionEnv('us-central1'), REPLICATION_SWEEP_MS: '100' });
    const msgs = await drain(1);
    expect(msgs.map((m) => m.update.vector_id)).toEqual(['late']);
    expect((await push(b, msgs[0]!)).status).toBe(204);
    expect((await call(b.url, 'GET', '/api/v1/collections/docs/points/late')).body.metadata).toEqual({ late: true });
    await waitFor('outbox empty', async () => (await us.query("SELECT count(*)::int AS n FROM vector_metadata WHERE storage_path = 'pending'")).rows[0].n === 0);
    await sweeper.close();
  });

  it('takes a write whose version is past 2^53 out of the outbox unannounced, and ships the rest', async () => {
    const key = { 'api-key': us.apiKey };
    await call(a.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'forged', vector: vecs[4] }, { id: 'late2', vector: vecs[5], metadata: { late: 2 } }] }, key);
    await drain(2);
    // As a forged update accepted before timestamps were checked left one, and a crash before shipping both.
    await us.query("UPDATE vector_metadata SET storage_path = 'pending', updated_at = NOW() - interval '1 minute' WHERE collection = 'docs' AND id IN ('forged', 'late2')");
    await us.query("UPDATE vector_metadata SET version_ts = 9007199254740993 WHERE collection = 'docs' AND id = 'forged'");
    const sweeper = await us.start({ ...regionEnv('us-central1'), REPLICATION_SWEEP_MS: '100' });
    await waitFor('outbox empty', async () => (await us.query("SELECT count(*)::int AS n FROM vector_metadata WHERE storage_path = 'pending'")).rows[0].n === 0);
    // Both were shipped (or not) before the outbox emptied: one pull returns what was published.
    expect((await drain(1)).map((m) => m.update.vector_id)).toEqual(['late2']);
    expect((await us.query("SELECT storage_path FROM vector_metadata WHERE collection = 'docs' AND id = 'forged'")).rows[0].storage_path).toBe('postgres:vector_metadata.vector');
    await sweeper.close();
  });
});

describe('dropping a collection replicates, last writer wins', () => {
  const vecs = randomVectors(8, 6, 9);
  const G = 'gone';
  const usKey = () => ({ 'api-key': us.apiKey });
  const euKey = () => ({ 'api-key': eu.apiKey });
  let created: Pulled[] = [];
  let drop: Pulled;
  let replica: RunningServer;

  it('drops it in the other regions; an update older than the drop, arriving after it, does not re-create it', async () => {
    expect((await call(a.url, 'POST', '/api/v1/collections', { name: G, dimension: 6, metric: 'l2' }, usKey())).status).toBe(201);
    await call(a.url, 'POST', `/api/v1/collections/${G}/points`, { points: vecs.slice(0, 3).map((v, i) => ({ id: `g${i}`, vector: v })) }, usKey());
    created = await drainFor(G, 3);
    expect(created).toHaveLength(3);
    for (const m of created) expect((await push(b, m)).status).toBe(204);
    // europe-west1 writes to it too, before it hears of the drop; us-central1 has not received that write when it drops.
    await call(b.url, 'POST', `/api/v1/collections/${G}/points`, { points: [{ id: 'e1', vector: vecs[3] }] }, euKey());
    const [euEarly] = await drainFor(G, 1);
    expect(euEarly!.update.region).toBe('europe-west1');
    expect((await call(b.url, 'GET', `/api/v1/collections/${G}`)).body.count).toBe(4);

    // The tier-2 region reads europe-west1's database through a read-only role.
    await admin(`CREATE ROLE ${replicaRole} LOGIN`);
    await admin(`ALTER ROLE ${replicaRole} SET default_transaction_read_only = on`);
    await admin(`GRANT CONNECT ON DATABASE ${eu.db} TO ${replicaRole}`);
    await eu.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${replicaRole}`);
    replica = await eu.start({ ...regionEnv('asia-northeast1'), DB_USER: replicaRole });
    expect((await call(replica.url, 'GET', `/api/v1/collections/${G}`)).body.count).toBe(4);

    const del = await call(a.url, 'DELETE', `/api/v1/collections/${G}`, undefined, usKey());
    expect(del.status).toBe(200);
    [drop] = (await drainFor(G, 1)) as [Pulled];
    expect(drop.update).toMatchObject({ operation: 'delete', vector_id: '', region: 'us-central1' });
    expect(JSON.parse(drop.update.metadata!)).toEqual({ collection: G, drop: true });
    expect(drop.update.timestamp).toBeGreaterThan(euEarly!.update.timestamp);
    // The writer's tombstone is announced: nothing left in its outbox.
    await waitFor('drop announced', async () => (await us.query('SELECT pending FROM collection_tombstones WHERE name = $1', [G])).rows[0]?.pending === false);
    expect(Number((await us.query('SELECT version_ts FROM collection_tombstones WHERE name = $1', [G])).rows[0].version_ts)).toBe(drop.update.timestamp);

    // The read replica only unloads it (its primary's region changes the database), and keeps it out.
    expect((await push(replica, drop)).status).toBe(204);
    expect((await call(replica.url, 'GET', `/api/v1/collections/${G}`)).status).toBe(404);
    expect((await push(replica, created[1]!)).status).toBe(204);
    expect((await call(replica.url, 'GET', `/api/v1/collections/${G}`)).status).toBe(404);
    expect((await eu.query('SELECT count(*)::int AS n FROM collections WHERE name = $1', [G])).rows[0].n).toBe(1);

    expect((await push(b, drop)).status).toBe(204);
    expect((await call(b.url, 'GET', `/api/v1/collections/${G}`)).status).toBe(404);
    expect((await eu.query('SELECT count(*)::int AS n FROM collections WHERE name = $1', [G])).rows[0].n).toBe(0);
    expect((await eu.query('SELECT count(*)::int AS n FROM vector_metadata WHERE collection = $1', [G])).rows[0].n).toBe(0);
    const tomb = (await eu.query('SELECT version_ts, region, pending FROM collection_tombstones WHERE name = $1', [G])).rows[0];
    expect({ ts: Number(tomb.version_ts), region: tomb.region, pending: tomb.pending }).toEqual({ ts: drop.update.timestamp, region: 'us-central1', pending: false });

    // Late, older updates: us-central1's own write redelivered to europe-west1, europe-west1's write reaching us-central1.
    expect((await push(b, created[0]!)).status).toBe(204);
    expect((await call(b.url, 'GET', `/api/v1/collections/${G}`)).status).toBe(404);
    expect((await eu.query('SELECT count(*)::int AS n FROM collections WHERE name = $1', [G])).rows[0].n).toBe(0);
    expect((await push(a, euEarly!)).status).toBe(204);
    expect((await call(a.url, 'GET', `/api/v1/collections/${G}`)).status).toBe(404);
    expect((await us.query('SELECT count(*)::int AS n FROM collections WHERE name = $1', [G])).rows[0].n).toBe(0);
    // Its own echo is ignored.
    expect((await push(a, drop)).status).toBe(204);
    expect((await us.query('SELECT region FROM collection_tombstones WHERE name = $1', [G])).rows[0].region).toBe('us-central1');
  });

  it('keeps a collection created anew after the drop, replicates it back, and a drop between its points removes only the older', async () => {
    expect((await call(b.url, 'POST', '/api/v1/collections', { name: G, dimension: 6, metric: 'l2' }, euKey())).status).toBe(201);
    await call(b.url, 'POST', `/api/v1/collections/${G}/points`, { points: [{ id: 'n1', vector: vecs[4], metadata: { n: 1 } }] }, euKey());
    await call(b.url, 'POST', `/api/v1/collections/${G}/points`, { points: [{ id: 'n2', vector: vecs[5], metadata: { n: 2 } }] }, euKey());
    const fresh = await drainFor(G, 2);
    expect(fresh.map((m) => m.update.vector_id)).toEqual(['n1', 'n2']);
    expect(fresh[0]!.update.timestamp).toBeGreaterThan(drop.update.timestamp);

    // The old drop and an old write, redelivered: the new collection is newer than both.
    expect((await push(b, drop)).status).toBe(204);
    expect((await push(b, created[2]!)).status).toBe(204);
    expect((await call(b.url, 'GET', `/api/v1/collections/${G}`)).body.count).toBe(2);
    expect((await call(b.url, 'GET', `/api/v1/collections/${G}/points/g2`)).status).toBe(404);

    // us-central1, which dropped it, takes the newer collection.
    for (const m of fresh) expect((await push(a, m)).status).toBe(204);
    expect((await call(a.url, 'GET', `/api/v1/collections/${G}`)).body).toMatchObject({ dimension: 6, metric: 'l2', count: 2 });
    expect((await call(a.url, 'GET', `/api/v1/collections/${G}/points/n2`)).body.metadata).toEqual({ n: 2 });

    // The read replica: a write newer than the drop brings the collection back.
    for (const m of fresh) expect((await push(replica, m)).status).toBe(204);
    expect((await call(replica.url, 'GET', `/api/v1/collections/${G}`)).body.count).toBe(2);

    // A drop at n2's version (from a region whose clock is behind): n1 goes; n2 (a tie goes to the write) and the collection stay.
    const between = retimed(drop, fresh[1]!.update.timestamp);
    for (const target of [b, replica]) {
      expect((await push(target, between)).status).toBe(204);
      expect((await call(target.url, 'GET', `/api/v1/collections/${G}`)).body.count).toBe(1);
      expect((await call(target.url, 'GET', `/api/v1/collections/${G}/points/n1`)).status).toBe(404);
      expect((await call(target.url, 'GET', `/api/v1/collections/${G}/points/n2`)).body.metadata).toEqual({ n: 2 });
    }
    expect((await eu.query('SELECT deleted FROM vector_metadata WHERE collection = $1 AND id = $2', [G, 'n1'])).rows[0].deleted).toBe(true);
    expect((await push(b, fresh[0]!)).status).toBe(204);
    expect((await call(b.url, 'GET', `/api/v1/collections/${G}/points/n1`)).status).toBe(404);
    // A read replica cannot drop: it says where writes go.
    expect((await call(replica.url, 'DELETE', `/api/v1/collections/${G}`, undefined, euKey())).status).toBe(503);
    expect((await call(replica.url, 'GET', `/api/v1/collections/${G}`)).body.count).toBe(1);
  });

  it('ships from the outbox a drop its writer did not announce (crash between the 2xx and publishing)', async () => {
    const C = 'crashed';
    expect((await call(a.url, 'POST', '/api/v1/collections', { name: C, dimension: 2, metric: 'l2' }, usKey())).status).toBe(201);
    expect((await call(a.url, 'DELETE', `/api/v1/collections/${C}`, undefined, usKey())).status).toBe(200);
    const [lost] = await drainFor(C, 1); // as if the instance died before it was pushed anywhere
    await us.query("UPDATE collection_tombstones SET pending = TRUE, dropped_at = NOW() - interval '1 minute' WHERE name = $1", [C]);
    const sweeper = await us.start({ ...regionEnv('us-central1'), REPLICATION_SWEEP_MS: '100' });
    const [again] = await drainFor(C, 1);
    expect(again!.update).toMatchObject({ operation: 'delete', vector_id: '', timestamp: lost!.update.timestamp });
    expect(JSON.parse(again!.update.metadata!)).toEqual({ collection: C, drop: true });
    await waitFor('outbox empty', async () => (await us.query('SELECT pending FROM collection_tombstones WHERE name = $1', [C])).rows[0]?.pending === false);
    await sweeper.close();
    // A region that never had the collection remembers the drop all the same.
    expect((await push(b, again!)).status).toBe(204);
    expect(Number((await eu.query('SELECT version_ts FROM collection_tombstones WHERE name = $1', [C])).rows[0].version_ts)).toBe(lost!.update.timestamp);
  });
});
