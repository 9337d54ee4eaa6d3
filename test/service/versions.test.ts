import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, startJwks } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import { encodeUpdate, type VectorUpdate } from '../../service/src/replication/schema.js';

/**
 * A VectorUpdate's timestamp is the version it writes, and last writer wins for good. One
 * stamped far in the future (9007199254740990, the largest long the Avro schema reads
 * exactly) would outrank every later write: of the point, or for a drop of the collection.
 */
const FORGED = 9_007_199_254_740_990;
const SA = 'ruvector-service@proj.iam.gserviceaccount.com';
const AUD = 'https://ruvector-europe-west1.example/api/v1/pubsub/vector-updates';
const env = new TestEnv();
let jwks: Awaited<ReturnType<typeof startJwks>>;
let a: RunningServer; // us-central1, the writer
let b: RunningServer; // europe-west1: takes pushes, shares a's primary
const key = () => ({ 'api-key': env.apiKey });
const common = () => ({ CHANGEFEED_POLL_MS: '0', PUBSUB_JWKS_URL: jwks.url, PUSH_SERVICE_ACCOUNT: SA, PUSH_AUDIENCE: AUD });

beforeAll(async () => {
  await env.setup();
  jwks = await startJwks(SA, AUD);
  a = await env.start({ ...common(), REGION: 'us-central1' });
  b = await env.start({ ...common(), REGION: 'europe-west1' });
  expect((await call(a.url, 'POST', '/api/v1/collections', { name: 'v', dimension: 2, metric: 'l2' }, key())).status).toBe(201);
  expect((await call(a.url, 'POST', '/api/v1/collections/v/points', { points: [{ id: 'p', vector: [1, 0], metadata: { n: 1 } }] }, key())).status).toBe(200);
});
afterAll(async () => {
  await env.teardown();
  await jwks?.close();
});

async function push(target: RunningServer, u: Omit<VectorUpdate, 'region'>) {
  const data = encodeUpdate({ ...u, region: 'us-central1' });
  const body = { message: { data: Buffer.from(data).toString('base64'), messageId: String(Math.random()), attributes: {} }, subscription: 'projects/p/subscriptions/vector-updates-europe-west1' };
  return call(target.url, 'POST', '/api/v1/pubsub/vector-updates', body, { authorization: `Bearer ${await jwks.sign({})}` });
}

const row = async (id: string) => (await env.query("SELECT deleted, version_ts::text AS v FROM vector_metadata WHERE collection = 'v' AND id = $1", [id])).rows[0] as { deleted: boolean; v: string };
const nearest = async (s: RunningServer, v: number[]) => (await call(s.url, 'POST', '/api/v1/collections/v/search', { vector: v, k: 1 })).body.results[0];

describe('replicated timestamps', () => {
  it('refuses a point update stamped far ahead of this clock, so later writes of the point still win', async () => {
    const r = await push(b, { vector_id: 'p', operation: 'delete', timestamp: FORGED, metadata: JSON.stringify({ collection: 'v' }) });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/^timestamp 9007199254740990 is \d+ ms ahead of this region's clock, more than the 300000 ms accepted \(MAX_CLOCK_SKEW_MS\)/);
    expect(await row('p')).toMatchObject({ deleted: false });
    expect(BigInt((await row('p')).v)).toBeLessThan(BigInt(Date.now() + 1000));

    expect((await call(a.url, 'POST', '/api/v1/collections/v/points', { points: [{ id: 'p', vector: [1, 0], metadata: { n: 2 } }] }, key())).status).toBe(200);
    expect(await nearest(a, [1, 0])).toMatchObject({ id: 'p', metadata: { n: 2 } });
    const m = await call(b.url, 'GET', '/metrics');
    expect(m.body).toMatch(/ruvector_replication_messages_total\{result="rejected"\} [1-9]/);
  });

  it('refuses a collection drop stamped far ahead of this clock', async () => {
    const r = await push(b, { vector_id: '', operation: 'delete', timestamp: FORGED, metadata: JSON.stringify({ collection: 'v', drop: true }) });
    expect(r.status).toBe(422);
    expect(r.body.error).toContain('ahead of this region\'s clock');
    expect((await env.query("SELECT count(*)::int AS n FROM collections WHERE name = 'v'")).rows[0].n).toBe(1);
    expect((await env.query("SELECT count(*)::int AS n FROM collection_tombstones WHERE name = 'v'")).rows[0].n).toBe(0);
    expect((await call(a.url, 'GET', '/api/v1/collections/v')).body.count).toBe(1);
  });

  it('accepts skew up to MAX_CLOCK_SKEW_MS and refuses more, and refuses negative timestamps', async () => {
    const strict = await env.start({ ...common(), REGION: 'europe-west1', MAX_CLOCK_SKEW_MS: '1000' });
    const ahead = { vector_id: 'p', operation: 'delete' as const, timestamp: Date.now() + 60_000, metadata: JSON.stringify({ collection: 'v' }) };
    const refused = await push(strict, ahead);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toContain('more than the 1000 ms accepted (MAX_CLOCK_SKEW_MS)');
    expect(await row('p')).toMatchObject({ deleted: false });
    expect((await push(strict, { ...ahead, timestamp: -5 })).body.error).toBe('timestamp must be a Unix time in milliseconds, got -5');
    // A minute ahead is within the default five: applied.
    expect((await push(b, ahead)).status).toBe(204);
    expect(await row('p')).toEqual({ deleted: true, v: String(ahead.timestamp) });
  });
});

describe('versions', () => {
  it('compare exactly: a point whose version went past 2^53 takes every later write', { timeout: 120_000 }, async () => {
    expect((await call(a.url, 'POST', '/api/v1/collections/v/points', { points: [{ id: 'q', vector: [0, 1], metadata: { n: 0 } }] }, key())).status).toBe(200);
    // As an update forged before timestamps were checked left it; the cold start reads it back.
    await env.query("UPDATE vector_metadata SET version_ts = $1 WHERE collection = 'v' AND id = 'q'", [String(FORGED)]);
    await a.close();
    a = await env.start({ ...common(), REGION: 'us-central1' });
    for (let n = 1; n <= 6; n++) {
      expect((await call(a.url, 'POST', '/api/v1/collections/v/points', { points: [{ id: 'q', vector: [0, 1 + n], metadata: { n } }] }, key())).status).toBe(200);
      // 2^53 + 1 and 2^53 are the same double: each write must still replace the one before.
      expect((await row('q')).v).toBe((BigInt(FORGED) + BigInt(n)).toString());
      expect(await nearest(a, [0, 1 + n])).toMatchObject({ id: 'q', metadata: { n } });
    }
  });
});
