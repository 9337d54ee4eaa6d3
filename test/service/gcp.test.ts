import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, randomVectors } from './helpers.js';
import { decodeShard } from '../../service/src/snapshot/ruvs.js';
import type { Manifest } from '../../service/src/snapshot/snapshotter.js';
import { decodeUpdate } from '../../service/src/replication/schema.js';
import { startGcpFixture, type GcpFixture } from './gcp-fixture.js';

/** Snapshots and publishing against the project's GCP emulator, reached the way the client libraries reach any emulator. */
const env = new TestEnv();
const BUCKET = 'ruvector-vectors-us-central1';
let g: GcpFixture;
let emu: GcpFixture['emu'];
const gcp: GcpFixture['call'] = (method, path, body) => g.call(method, path, body);

beforeAll(async () => {
  await env.setup();
  g = await startGcpFixture({ bucket: BUCKET, subscription: 'vector-updates-europe-west1' });
  emu = g.emu;
});
afterAll(async () => {
  await env.teardown();
  await g?.stop();
});

describe('Cloud Storage snapshots and Pub/Sub publishing (emulator)', () => {
  it('publishes a schema-valid VectorUpdate per write, snapshots in the seed layout, and cold-starts from snapshot + later writes', async () => {
    const gcpEnv = {
      REGION: 'us-central1',
      ...g.env,
      SNAPSHOT_INTERVAL_SECONDS: '0',
      QUANTIZATION_ENABLED: 'true',
    };
    const s = await env.start(gcpEnv);
    const key = { 'api-key': env.apiKey };
    await call(s.url, 'POST', '/api/v1/collections', { name: 'g', dimension: 8, metric: 'l2' }, key);
    const vecs = randomVectors(60, 8, 9);
    await call(s.url, 'POST', '/api/v1/collections/g/points', { points: vecs.slice(0, 50).map((v, i) => ({ id: i, vector: v, metadata: { i } })) }, key);

    // Pub/Sub: the emulator validated each message against the Avro schema on publish.
    const got = (await g.pull(50)).map(decodeUpdate);
    expect(got.length).toBe(50);
    expect(got[0]).toMatchObject({ operation: 'insert', region: 'us-central1' });
    // The message names where other regions read the vector: a RUVS batch in this region's bucket.
    const meta = JSON.parse(got[0]!.metadata!);
    expect(meta).toMatchObject({ collection: 'g', dimension: 8, metric: 'l2' });
    const batch = /^gs:\/\/([^/]+)\/(.+)#(\d+)$/.exec(meta.storage_path)!;
    expect(batch[1]).toBe(BUCKET);
    const batchRes = await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(batch[2]!)}?alt=media`);
    const rec = decodeShard(Buffer.from(await batchRes.arrayBuffer())).records[Number(batch[3])]!;
    expect(rec.id).toBe(got[0]!.vector_id);
    rec.vector.forEach((x, j) => expect(x).toBeCloseTo(vecs[Number(rec.id)]![j]!, 6)); // exact, though snapshots quantize

    // Snapshot: seed bucket layout, RUVS shards with int8 quantization, manifest last.
    const latest = (await s.snapshot()) as { id: string; seq: number; checkpoint: string };
    const list = await gcp('GET', `/storage/v1/b/${BUCKET}/o`);
    const names: string[] = list.items.map((o: { name: string }) => o.name);
    expect(names).toContain('metadata/manifest.json');
    expect(names.some((n) => /^vectors\/\d{4}\/\d{2}\/\d{2}\/shard-00000\.bin$/.test(n))).toBe(true);
    expect(names.some((n) => /^vectors\/\d{4}\/\d{2}\/\d{2}\/index\.json$/.test(n))).toBe(true);
    expect(names.some((n) => /^checkpoints\/checkpoint-\d{8}-\d{6}\.bin$/.test(n))).toBe(true);
    const shardName = names.find((n) => n.endsWith('shard-00000.bin'))!;
    const shardRes = await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(shardName)}?alt=media`);
    const shard = decodeShard(Buffer.from(await shardRes.arrayBuffer()));
    expect(shard.records.length).toBe(50);
    expect(shard.compression).toBe(1);

    // Writes after the snapshot, then a cold start.
    await call(s.url, 'POST', '/api/v1/collections/g/points', { points: vecs.slice(50).map((v, i) => ({ id: 50 + i, vector: v })) }, key);
    await call(s.url, 'POST', '/api/v1/collections/g/points/delete', { ids: [0, 1, 2] }, key);
    await s.close();

    // indices/: the HNSW graph and its labels, named in the manifest.
    expect(names.some((n) => /^indices\/hnsw-full-\d{8}-[0-9TZ]+-\d+\.idx$/.test(n))).toBe(true);
    const manifest = (await (await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('metadata/manifest.json')}?alt=media`)).json()) as Manifest;
    expect(manifest.latest.collections[0]!.index).toMatchObject({ graph: expect.stringMatching(/\.idx$/), labels: expect.stringMatching(/\.labels\.json$/) });

    const again = await env.start(gcpEnv);
    // The graph is loaded, not rebuilt from the (quantized) shards.
    expect(again.load).toMatchObject({ snapshot: latest.id, fromSnapshot: 50, graphs: 1 });
    expect(again.load.replayed).toBeGreaterThanOrEqual(13); // 10 inserts + 3 deletes after the snapshot
    expect((await call(again.url, 'GET', '/api/v1/collections/g')).body.count).toBe(57);
    expect((await call(again.url, 'GET', '/api/v1/collections/g/points/1')).status).toBe(404);
    // Vectors come back exactly (from Postgres) even though the shard was quantized.
    const p7 = await call(again.url, 'GET', '/api/v1/collections/g/points/7');
    expect(p7.body.vector[0]).toBeCloseTo(vecs[7]![0]!, 6);
    const near = await call(again.url, 'POST', '/api/v1/collections/g/search', { vector: vecs[55], k: 1 });
    expect(near.body.results[0].id).toBe('55');
    // Every stored point is found by its own vector through the loaded graph.
    for (const i of [3, 17, 49]) {
      const hit = await call(again.url, 'POST', '/api/v1/collections/g/search', { vector: vecs[i], k: 1 });
      expect(hit.body.results[0].id).toBe(String(i));
    }
    await again.close();

    // A damaged graph is not fatal: the cold start falls back to the shards.
    const graph = manifest.latest.collections[0]!.index!.graph;
    await fetch(`${emu.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(graph)}`, { method: 'POST', body: 'not a graph' });
    const third = await env.start(gcpEnv);
    expect(third.load).toMatchObject({ snapshot: latest.id, fromSnapshot: 50, graphs: 0 });
    expect((await call(third.url, 'GET', '/api/v1/collections/g')).body.count).toBe(57);
  });
});
