import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantClient } from '@qdrant/js-client-rest';
import { TestEnv, call, randomVectors } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';

const env = new TestEnv();
let s: RunningServer;
let client: QdrantClient;

beforeAll(async () => {
  await env.setup();
  s = await env.start();
  client = new QdrantClient({ url: s.url, apiKey: env.apiKey });
});
afterAll(() => env.teardown());

describe('Qdrant compatibility (@qdrant/js-client-rest, unchanged)', () => {
  const vecs = randomVectors(50, 8, 3);

  it('creates, lists, inspects collections', async () => {
    expect(await client.createCollection('q', { vectors: { size: 8, distance: 'Dot' } })).toBe(true);
    expect((await client.getCollections()).collections.map((c) => c.name)).toContain('q');
    expect((await client.collectionExists('q')).exists).toBe(true);
    const info = await client.getCollection('q');
    expect(info.config.params.vectors).toEqual({ size: 8, distance: 'Dot' });
    await expect(client.createCollection('q', { vectors: { size: 8, distance: 'Dot' } })).rejects.toMatchObject({ status: 409 });
  });

  it('upserts, retrieves, searches, queries and deletes points', async () => {
    const up = await client.upsert('q', { wait: true, points: vecs.map((v, i) => ({ id: i, vector: v, payload: { even: i % 2 === 0, i } })) });
    expect(up.status).toBe('completed');
    expect((await client.getCollection('q')).points_count).toBe(50);

    const got = await client.retrieve('q', { ids: [3, 4], with_payload: true, with_vector: true });
    expect(got.map((p) => p.id).sort()).toEqual([3, 4]);
    expect(got.find((p) => p.id === 3)!.payload).toEqual({ even: false, i: 3 });
    expect((got.find((p) => p.id === 3)!.vector as number[])[0]).toBeCloseTo(vecs[3]![0]!, 5);

    // Dot product: the best match for v is the point maximising v.x; check against brute force.
    const q = vecs[10]!;
    const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    const truth = vecs.map((v, i) => ({ i, s: dot(q, v) })).sort((a, b) => b.s - a.s)[0]!;
    const hits = await client.search('q', { vector: q, limit: 3, with_payload: true });
    expect(hits[0]!.id).toBe(truth.i);
    expect(hits[0]!.score).toBeCloseTo(truth.s, 4);

    const filtered = await client.search('q', { vector: q, limit: 5, filter: { must: [{ key: 'even', match: { value: true } }] }, with_payload: true });
    expect(filtered.length).toBe(5);
    for (const h of filtered) expect(h.payload!.even).toBe(true);

    const batch = await client.searchBatch('q', { searches: [{ vector: vecs[1]!, limit: 1 }, { vector: vecs[2]!, limit: 2 }] });
    expect(batch.map((b) => b.length)).toEqual([1, 2]);

    const query = await client.query('q', { query: q, limit: 2 });
    expect(query.points[0]!.id).toBe(truth.i);
    const qb = await client.queryBatch('q', { searches: [{ query: vecs[5]!, limit: 1 }, { query: 7, limit: 1 }] });
    expect(qb.length).toBe(2);

    await client.delete('q', { wait: true, points: [truth.i] });
    const after = await client.search('q', { vector: q, limit: 1 });
    expect(after[0]!.id).not.toBe(truth.i);
    expect((await client.getCollection('q')).points_count).toBe(49);
  });

  it('reports errors the client understands', async () => {
    await expect(client.search('q', { vector: [1, 2], limit: 1 })).rejects.toMatchObject({ status: 400 });
    await expect(client.getCollection('missing')).rejects.toMatchObject({ status: 404 });
    const anon = new QdrantClient({ url: s.url, checkCompatibility: false });
    await expect(anon.upsert('q', { points: [{ id: 1, vector: vecs[0]! }] })).rejects.toMatchObject({ status: 401 });
    // A batch entry that is not a search (found by fuzzing: it was a 500).
    for (const route of ['search', 'query']) {
      const r = await call(s.url, 'POST', `/collections/q/points/${route}/batch`, { searches: [{ [route === 'search' ? 'vector' : 'query']: vecs[0], limit: 1 }, null] });
      expect(r).toMatchObject({ status: 400, body: { status: { error: 'body.searches.1 must be object' } } });
    }
  });

  it('deletes collections', async () => {
    expect(await client.deleteCollection('q')).toBe(true);
    expect((await client.collectionExists('q')).exists).toBe(false);
  });
});
