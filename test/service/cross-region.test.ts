import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { TestEnv, call, randomVectors, startJwks, waitFor } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import { decodeUpdate, VECTOR_UPDATE_SCHEMA } from '../../service/src/replication/schema.js';

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

async function push(target: RunningServer, p: Pulled) {
  return call(target.url, 'POST', '/api/v1/pubsub/vector-updates', p.envelope, { authorization: `Bearer ${await jwks.sign()}` });
}

beforeAll(async () => {
  await Promise.all([us.setup(), eu.setup()]);
  emu = await startEmulator({ port: 0, host: '127.0.0.1' });
  jwks = await startJwks(SA, AUD);
  for (const r of ['us-central1', 'europe-west1']) await gcp('POST', `/storage/v1/b?project=${P}`, { name: `ruvector-vectors-${r}` });
  await gcp('POST', `/v1/projects/${P}/schemas?schemaId=vector-update-schema`, { type: 'AVRO', definition: JSON.stringify(VECTOR_UPDATE_SCHEMA) });
  await gcp('PUT', `/v1/projects/${P}/topics/vector-updates`, { schemaSettings: { schema: `projects/${P}/schemas/vector-update-schema`, encoding: 'JSON' } });
  await gcp('PUT', `/v1/projects/${P}/subscriptions/to-europe`, { topic: `projects/${P}/topics/vector-updates`, ackDeadlineSeconds: 30 });
  a = await us.start(regionEnv('us-central1'));
  b = await eu.start(regionEnv('europe-west1'));
});
afterAll(async () => {
  await Promise.all([us.teardown(), eu.teardown()]);
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
});
