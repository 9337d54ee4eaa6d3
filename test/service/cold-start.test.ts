import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, TestEnv, call, randomVectors, waitFor } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';
import type { Manifest } from '../../service/src/snapshot/snapshotter.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import type { ChangeHead } from '../../service/src/store/vectors.js';

/**
 * A cold start rebuilds the index from the Postgres change feed, page by page in seq order.
 * Pages cut in any other order (the text of the seq: "10000" < "9999") make the cursor jump
 * past rows never read: acknowledged writes that no search or GET finds after a restart.
 */
// Searches by the thousand below: the per-client rate limit is not under test here.
const opts = { CHANGEFEED_POLL_MS: '0', RATE_LIMIT_PER_MINUTE: '1000000000' };

/** Every row of the change feed after `from`, read in pages of `page` as the cold start does. */
async function readFeed(server: RunningServer, from: bigint, page: number): Promise<ChangeHead[]> {
  const out: ChangeHead[] = [];
  let cursor = from;
  for (;;) {
    const rows = await server.engine.store.changesSince(cursor, page);
    out.push(...rows);
    if (rows.length < page) return out;
    cursor = rows[rows.length - 1]!.seq;
  }
}

describe('the change feed', () => {
  const env = new TestEnv();
  const key = () => ({ 'api-key': env.apiKey });
  let s: RunningServer;
  beforeAll(async () => {
    await env.setup();
    s = await env.start(opts);
  });
  afterAll(() => env.teardown());

  it('pages every row exactly once in seq order, across digit boundaries and past 2^53', async () => {
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'seq', dimension: 2, metric: 'l2' }, key())).status).toBe(201);
    const upsert = async (from: number, n: number) =>
      expect((await call(s.url, 'POST', '/api/v1/collections/seq/points', { points: Array.from({ length: n }, (_, i) => ({ id: `p${from + i}`, vector: [from + i, 1] })) }, key())).status).toBe(200);
    // seqs 9991..10020 (text order puts 10000..10020 before 9991), then 2^53 - 4 .. 2^53 + 5.
    await env.query("SELECT setval('vector_metadata_seq', 9990)");
    await upsert(0, 30);
    await env.query("SELECT setval('vector_metadata_seq', 9007199254740987)");
    await upsert(30, 10);
    const inDb = (await env.query("SELECT v.id, v.seq::text AS seq FROM vector_metadata v WHERE v.collection = 'seq' ORDER BY v.seq")).rows as { id: string; seq: string }[];
    expect(inDb).toHaveLength(40);
    expect(inDb.at(-1)!.seq).toBe('9007199254740997');

    for (const page of [7, 5000]) {
      const read = await readFeed(s, 0n, page);
      // Exactly the rows, in seq order, each seq as Postgres holds it (not rounded to a double).
      expect(read.map((r) => [r.id, r.seq.toString()])).toEqual(inDb.map((r) => [r.id, r.seq]));
    }
  });

  it('serves the outbox oldest write first', async () => {
    await env.query("UPDATE vector_metadata SET storage_path = 'pending', updated_at = NOW() - interval '1 minute' WHERE collection = 'seq'");
    try {
      const oldest = await s.engine.store.pending('local', 10, 5);
      expect(oldest.map((r) => r.seq.toString())).toEqual(['9991', '9992', '9993', '9994', '9995']);
    } finally {
      await env.query("UPDATE vector_metadata SET storage_path = 'postgres:vector_metadata.vector' WHERE collection = 'seq'");
    }
  });
});

describe('a clean restart', () => {
  // A database of its own: seqs 1..50,000, so the feed's pages cross 9,999 -> 10,000.
  const env = new TestEnv();
  const key = () => ({ 'api-key': env.apiKey });
  let s: RunningServer;
  beforeAll(async () => {
    await env.setup();
    s = await env.start(opts);
  });
  afterAll(() => env.teardown());
  const N = 50_000;
  const DIM = 8;
  const vecs = randomVectors(N, DIM, 17);

  it(`finds every acknowledged write of ${N} (ten pages of the change feed) by search and by id`, { timeout: 600_000 }, async () => {
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'big', dimension: DIM, metric: 'l2' }, key())).status).toBe(201);
    const acked: number[] = [];
    for (let from = 0; from < N; from += 10_000) {
      const points = vecs.slice(from, from + 10_000).map((v, j) => ({ id: from + j, vector: v }));
      const r = await call(s.url, 'POST', '/api/v1/collections/big/points', { points }, key());
      expect(r.status).toBe(200);
      acked.push(...points.map((p) => p.id));
    }
    expect(acked).toHaveLength(N);
    // Acknowledged deletes must stay deleted too.
    const deleted = acked.slice(0, 100);
    expect((await call(s.url, 'POST', '/api/v1/collections/big/points/delete', { ids: deleted }, key())).body).toEqual({ deleted: 100 });
    await s.close();

    s = await env.start(opts);
    expect((await call(s.url, 'GET', '/api/v1/collections/big')).body.count).toBe(N - 100);
    // One replica builds the graph at a cold start and the others load its copy: all hold every point.
    const replicas = await s.engine.pool.stats();
    expect(replicas).toHaveLength(2);
    for (const r of replicas) expect(r.collections.big).toMatchObject({ count: N - 100 });
    expect((await call(s.url, 'POST', '/api/v1/collections/big/points/get', { ids: deleted })).body.points).toEqual([]);

    const missingById: number[] = [];
    for (let i = 0; i < N; i += 1000) {
      const ids = acked.slice(i, i + 1000);
      const got = await call(s.url, 'POST', '/api/v1/collections/big/points/get', { ids, with_vector: false });
      const have = new Set((got.body.points as { id: string }[]).map((p) => p.id));
      missingById.push(...ids.filter((id) => id >= 100 && !have.has(String(id))));
    }
    expect(missingById).toEqual([]);

    // Each point's own vector finds it: it is in every replica's graph, not only in the id map.
    const notFound: number[] = [];
    for (let i = 0; i < N; i += 16) {
      const ids = acked.slice(i, i + 16);
      const r = await call(s.url, 'POST', '/api/v1/collections/big/search', { vectors: ids.map((id) => vecs[id]), k: 1, with_metadata: false });
      expect(r.status).toBe(200);
      (r.body.results as { id: string }[][]).forEach((hits, j) => {
        const found = hits[0]?.id === String(ids[j]);
        if (found !== ids[j]! >= 100) notFound.push(ids[j]!);
      });
    }
    // Live points found by their own vector; deleted ones never.
    expect(notFound).toEqual([]);
  });
});

describe('a cold start from a snapshot', () => {
  const env = new TestEnv();
  const key = () => ({ 'api-key': env.apiKey });
  const BUCKET = 'ruvector-vectors-cold-start';
  let emu: RunningEmulator;
  const gcs = async (method: string, path: string, body?: string) => {
    const r = await fetch(emu.url + path, { method, headers: { 'content-type': 'application/json' }, body });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r;
  };
  const withBucket = () => ({ ...opts, STORAGE_BUCKET: BUCKET, STORAGE_EMULATOR_HOST: emu.url, SNAPSHOT_INTERVAL_SECONDS: '0' });
  beforeAll(async () => {
    await env.setup();
    emu = await startEmulator({ port: 0, host: '127.0.0.1' });
    await gcs('POST', '/storage/v1/b?project=p', JSON.stringify({ name: BUCKET }));
  });
  afterAll(async () => {
    await env.teardown();
    await emu?.stop();
  });

  it('replays a write that took a lower seq and committed after the snapshot was read', async () => {
    const s = await env.start(withBucket());
    for (const name of ['slow', 'fast']) expect((await call(s.url, 'POST', '/api/v1/collections', { name, dimension: 2, metric: 'l2' }, key())).status).toBe(201);
    // Hold the collection row: a write to it takes its seq, then waits on its foreign-key check.
    const lock = new pg.Client({ connectionString: PG_URL.replace(/\/[^/]*$/, `/${env.db}`) });
    await lock.connect();
    let late: Promise<{ status: number }>;
    try {
      await lock.query('BEGIN');
      await lock.query("SELECT 1 FROM collections WHERE name = 'slow' FOR UPDATE");
      late = call(s.url, 'POST', '/api/v1/collections/slow/points', { points: [{ id: 'late', vector: [1, 1] }] }, key());
      await waitFor('the write to wait on the lock', async () =>
        (await env.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO vector_metadata%'")).rows[0].n === 1);
      // A write after it, with a higher seq, commits first; the snapshot reads then.
      expect((await call(s.url, 'POST', '/api/v1/collections/fast/points', { points: [{ id: 'x', vector: [2, 2] }] }, key())).status).toBe(200);
      await s.snapshot();
    } finally {
      await lock.query('ROLLBACK');
      await lock.end();
    }
    expect((await late).status).toBe(200); // acknowledged
    await s.close();

    // Restored from the shards (as when the graphs could not be saved), then the change feed after the snapshot's seq.
    const path = `/storage/v1/b/${BUCKET}/o/${encodeURIComponent('metadata/manifest.json')}`;
    const manifest = (await (await gcs('GET', `${path}?alt=media`)).json()) as Manifest;
    for (const c of manifest.latest.collections) delete c.index;
    await gcs('POST', `/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent('metadata/manifest.json')}`, JSON.stringify(manifest));
    const again = await env.start(withBucket());
    expect(again.load).toMatchObject({ snapshot: manifest.latest.id, fromSnapshot: 1, graphs: 0 });
    expect((await call(again.url, 'GET', '/api/v1/collections/slow/points/late')).status).toBe(200);
    expect((await call(again.url, 'POST', '/api/v1/collections/slow/search', { vector: [1, 1], k: 1 })).body.results[0]).toMatchObject({ id: 'late' });
  });
});
