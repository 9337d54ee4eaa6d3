import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, startJwks, waitFor } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import type { WriteEvent } from '../../service/src/engine.js';
import { encodeUpdate, decodeUpdate } from '../../service/src/replication/schema.js';

const SA = 'ruvector-service@proj.iam.gserviceaccount.com';
const AUD = 'https://ruvector-europe-west1.example/api/v1/pubsub/vector-updates';
const env = new TestEnv();
let jwks: Awaited<ReturnType<typeof startJwks>>;
let jwksUrl: string;
let sign: (claims: Record<string, unknown>, aud?: string) => Promise<string>;
let a: RunningServer; // us-central1, the writer
let b: RunningServer; // europe-west1, the receiver
const published: WriteEvent[] = [];

beforeAll(async () => {
  await env.setup();
  jwks = await startJwks(SA, AUD);
  jwksUrl = jwks.url;
  sign = jwks.sign;
  // Both regions share the Postgres primary; the change feed is off so only push can move updates.
  const common = { CHANGEFEED_POLL_MS: '0', PUBSUB_JWKS_URL: jwksUrl, PUSH_SERVICE_ACCOUNT: SA, PUSH_AUDIENCE: AUD };
  a = await env.start({ ...common, REGION: 'us-central1' });
  b = await env.start({ ...common, REGION: 'europe-west1' });
  a.engine.onWrite = (ev) => published.push(...ev); // what the publisher sends to PUBSUB_TOPIC
});
afterAll(async () => {
  await env.teardown();
  await jwks.close();
});

function envelope(e: WriteEvent, region = 'us-central1'): unknown {
  const data = encodeUpdate({ vector_id: e.id, operation: e.operation, timestamp: Number(e.timestamp), region, metadata: JSON.stringify({ collection: e.collection }) });
  return { message: { data: Buffer.from(data).toString('base64'), messageId: String(Math.random()), attributes: {} }, subscription: 'projects/p/subscriptions/vector-updates-europe-west1' };
}

async function push(target: RunningServer, body: unknown, token?: string) {
  return call(target.url, 'POST', '/api/v1/pubsub/vector-updates', body, token ? { authorization: `Bearer ${token}` } : {});
}

const search = async (s: RunningServer) => (await call(s.url, 'POST', '/api/v1/collections/r/search', { vector: [1, 0, 0], k: 1 })).body;

describe('cross-region replication over Pub/Sub push', () => {
  it('encodes VectorUpdate in the seed Avro schema (JSON encoding) and reads it back', () => {
    const u = { vector_id: 'x', operation: 'insert' as const, timestamp: 1732132800123, region: 'us-central1', metadata: '{"collection":"r"}' };
    const json = encodeUpdate(u);
    expect(JSON.parse(json)).toEqual({ ...u, metadata: { string: u.metadata } });
    expect(decodeUpdate(json)).toEqual(u);
    // The seed's own publisher leaves metadata out.
    expect(decodeUpdate(JSON.stringify({ vector_id: 'x', operation: 'delete', timestamp: 1, region: 'r' })).metadata).toBeNull();
    expect(() => decodeUpdate(JSON.stringify({ vector_id: 'x', operation: 'upsert', timestamp: 1, region: 'r' }))).toThrow(/operation/);
    expect(() => decodeUpdate(JSON.stringify({ vector_id: 'x\u0000', operation: 'insert', timestamp: 1, region: 'r' }))).toThrow(/vector_id contains U\+0000/);
  });

  it('applies another region\'s write, read from the shared primary, only with a valid OIDC token', async () => {
    const key = { 'api-key': env.apiKey };
    expect((await call(a.url, 'POST', '/api/v1/collections', { name: 'r', dimension: 3, metric: 'l2' }, key)).status).toBe(201);
    await call(a.url, 'POST', '/api/v1/collections/r/points', { points: [{ id: 'p', vector: [1, 0, 0], metadata: { from: 'us' } }] }, key);
    const ev = published.find((e) => e.id === 'p')!;
    expect(ev).toMatchObject({ collection: 'r', operation: 'insert' });

    expect((await push(b, envelope(ev))).status).toBe(401);
    expect((await push(b, envelope(ev), await sign({}, 'https://someone-else.example'))).status).toBe(401);
    expect((await push(b, envelope(ev), await sign({ email: 'attacker@example.com' }))).status).toBe(401);
    expect((await push(b, envelope(ev), await sign({ email_verified: false }))).status).toBe(401);
    expect((await call(b.url, 'GET', '/api/v1/collections/r')).status).toBe(404); // b has not heard of it yet

    const token = await sign({});
    expect((await push(b, envelope(ev), token)).status).toBe(204);
    expect((await search(b)).results[0]).toMatchObject({ id: 'p', metadata: { from: 'us' } });
    // Redelivery is harmless.
    expect((await push(b, envelope(ev), token)).status).toBe(204);
    expect((await call(b.url, 'GET', '/api/v1/collections/r')).body.count).toBe(1);
    const m = await call(b.url, 'GET', '/metrics');
    expect(m.body).toMatch(/ruvector_replication_lag_seconds_count \d+/);
  });

  it('ignores its own region\'s echoes and lets the last writer win', async () => {
    const key = { 'api-key': env.apiKey };
    const token = await sign({});
    const insert = published.find((e) => e.id === 'p')!;
    expect((await push(a, envelope(insert), token)).status).toBe(204); // a's own message comes back to a
    expect(await a.engine.store.pool.query('SELECT 1')).toBeTruthy();

    await call(a.url, 'POST', '/api/v1/collections/r/points/delete', { ids: ['p'] }, key);
    const del = published.find((e) => e.id === 'p' && e.operation === 'delete')!;
    expect((await push(b, envelope(del), token)).status).toBe(204);
    expect((await search(b)).results).toEqual([]);
    // The older insert arriving late does not resurrect the point.
    expect((await push(b, envelope(insert), token)).status).toBe(204);
    expect((await search(b)).results).toEqual([]);
  });

  it('takes the audience from PUSH_AUDIENCE only: a token for another endpoint is refused whatever Host the request claims', async () => {
    const echo = published.find((e) => e.id === 'p')!;
    // Signed by the same account, for another push endpoint; the request forges the host that endpoint would have.
    const other = 'https://attacker.example/api/v1/pubsub/vector-updates';
    const forged = { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https', authorization: `Bearer ${await sign({}, other)}` };
    const r = await call(b.url, 'POST', '/api/v1/pubsub/vector-updates', envelope(echo), forged);
    expect(r.status).toBe(401);
    expect(r.body.error).toMatch(/push token rejected: .*aud/);
    // Nor does it pass where PUSH_AUDIENCE is unset: the push endpoint is off there.
    const c = await env.start({ CHANGEFEED_POLL_MS: '0', PUBSUB_JWKS_URL: jwksUrl, PUSH_SERVICE_ACCOUNT: SA, REGION: 'us-central1' });
    const own = `${c.url}/api/v1/pubsub/vector-updates`;
    for (const [aud, headers] of [[other, { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https' }], [own, {}]] as const) {
      const rc = await call(c.url, 'POST', '/api/v1/pubsub/vector-updates', envelope(echo), { ...headers, authorization: `Bearer ${await sign({}, aud)}` });
      expect(rc.status).toBe(401);
      expect(rc.body.error).toBe('push endpoint disabled: PUSH_AUDIENCE is not configured');
    }
  });

  it('asks Pub/Sub to redeliver when the row is not visible yet, and rejects malformed data', async () => {
    const token = await sign({});
    const future: WriteEvent = { collection: 'r', id: 'later', operation: 'insert', timestamp: BigInt(Date.now() + 60_000) };
    const r = await push(b, envelope(future), token);
    expect(r.status).toBe(503);
    expect(r.body.error).toContain('not visible');
    const bad = { message: { data: Buffer.from('{"vector_id": 1}').toString('base64') } };
    const rb = await push(b, bad, token);
    expect(rb.status).toBe(400);
    expect(rb.body.error).toContain('message.data');
  });
});

describe('instances of one region', () => {
  it('see each other\'s writes and deletes through the Postgres change feed', async () => {
    const key = { 'api-key': env.apiKey };
    const x = await env.start({ CHANGEFEED_POLL_MS: '100', REGION: 'asia-northeast1' });
    const y = await env.start({ CHANGEFEED_POLL_MS: '100', REGION: 'asia-northeast1' });
    expect((await call(x.url, 'POST', '/api/v1/collections', { name: 'feed', dimension: 2, metric: 'l2' }, key)).status).toBe(201);
    await call(x.url, 'POST', '/api/v1/collections/feed/points', { points: [{ id: 'n', vector: [3, 4] }] }, key);
    await waitFor('y sees the write', async () => (await call(y.url, 'POST', '/api/v1/collections/feed/search', { vector: [3, 4], k: 1 })).body.results?.[0]?.id === 'n');
    await call(y.url, 'POST', '/api/v1/collections/feed/points/delete', { ids: ['n'] }, key);
    await waitFor('x sees the delete', async () => (await call(x.url, 'POST', '/api/v1/collections/feed/search', { vector: [3, 4], k: 1 })).body.results?.length === 0);
    await call(x.url, 'DELETE', '/api/v1/collections/feed', undefined, key);
    await waitFor('y drops the collection', async () => (await call(y.url, 'GET', '/api/v1/collections/feed')).status === 404);
  });

  it('the change feed fetches a row\'s contents only where the row is news', async () => {
    const key = { 'api-key': env.apiKey };
    const x = await env.start({ CHANGEFEED_POLL_MS: '50', REGION: 'asia-northeast1' });
    const y = await env.start({ CHANGEFEED_POLL_MS: '50', REGION: 'asia-northeast1' });
    const feedRows = async (s: RunningServer) => {
      const text = (await call(s.url, 'GET', '/metrics')).body as string;
      const n = (result: string) => Number(new RegExp(`^ruvector_changefeed_rows_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      return { known: n('known'), fetched: n('fetched') };
    };
    const [x0, y0] = [await feedRows(x), await feedRows(y)];
    expect((await call(x.url, 'POST', '/api/v1/collections', { name: 'news', dimension: 2, metric: 'l2' }, key)).status).toBe(201);
    const points = Array.from({ length: 30 }, (_, i) => ({ id: `p${i}`, vector: [i, 1] }));
    expect((await call(x.url, 'POST', '/api/v1/collections/news/points', { points }, key)).status).toBe(200);
    await waitFor('y holds all 30', async () => (await call(y.url, 'GET', '/api/v1/collections/news')).body.count === 30);
    // The rows stay unsettled for seconds, so every poll reads them again: wait for several.
    await waitFor('x has read its own rows on several polls', async () => (await feedRows(x)).known - x0.known >= 90);
    const [x1, y1] = [await feedRows(x), await feedRows(y)];
    expect(x1.fetched - x0.fetched).toBe(0);
    expect(y1.fetched - y0.fetched).toBe(30);
    expect(y1.known - y0.known).toBeGreaterThan(0);
  });

  it('purges tombstones past their retention at start, and keep younger ones', async () => {
    const key = { 'api-key': env.apiKey };
    const x = await env.start({ CHANGEFEED_POLL_MS: '0', REGION: 'asia-northeast1' });
    expect((await call(x.url, 'POST', '/api/v1/collections', { name: 'tomb', dimension: 2, metric: 'l2' }, key)).status).toBe(201);
    await call(x.url, 'POST', '/api/v1/collections/tomb/points', { points: [{ id: 'old', vector: [1, 1] }, { id: 'young', vector: [2, 2] }] }, key);
    await call(x.url, 'POST', '/api/v1/collections/tomb/points/delete', { ids: ['old', 'young'] }, key);
    await env.query("UPDATE vector_metadata SET updated_at = NOW() - interval '9 days' WHERE collection = 'tomb' AND id = 'old'");
    await env.start({ CHANGEFEED_POLL_MS: '0', REGION: 'asia-northeast1' });
    await waitFor('the old tombstone purged', async () => (await env.query("SELECT id FROM vector_metadata WHERE collection = 'tomb'")).rows.map((r) => r.id).join() === 'young');
  });
});
