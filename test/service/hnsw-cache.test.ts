import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import hnswlib from 'hnswlib-node';
import { mkdtemp, readFile, rm, truncate, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { TestEnv, call, randomVectors, REDIS_HOST, REDIS_PORT } from './helpers.js';
import { HnswFormatError, hnswCacheEntries, msgpackStrings, readHnswGraph, type HnswGraph } from '../../service/src/snapshot/hnsw-graph.js';
import type { Manifest } from '../../service/src/snapshot/snapshotter.js';
import type { IndexSidecar } from '../../service/src/engine.js';

/** An independent msgpack reader for what the cache stores: one array of strings, nothing after it. */
function decodeStrings(b: Buffer): string[] {
  let o = 0;
  const t = b[o++]!;
  let n: number;
  if ((t & 0xf0) === 0x90) n = t & 0x0f;
  else if (t === 0xdc) {
    n = b.readUInt16BE(o);
    o += 2;
  } else if (t === 0xdd) {
    n = b.readUInt32BE(o);
    o += 4;
  } else throw new Error(`not an array: 0x${t.toString(16)}`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = b[o++]!;
    let l: number;
    if ((s & 0xe0) === 0xa0) l = s & 0x1f;
    else if (s === 0xd9) l = b[o++]!;
    else if (s === 0xda) {
      l = b.readUInt16BE(o);
      o += 2;
    } else if (s === 0xdb) {
      l = b.readUInt32BE(o);
      o += 4;
    } else throw new Error(`not a string: 0x${s.toString(16)}`);
    out.push(b.toString('utf8', o, o + l));
    o += l;
  }
  if (o !== b.length) throw new Error(`${b.length - o} trailing bytes`);
  return out;
}

describe('msgpack array of strings', () => {
  it('uses the spec byte layout at every length boundary', () => {
    expect(msgpackStrings([]).toString('hex')).toBe('90');
    expect(msgpackStrings(['a']).toString('hex')).toBe('91a161');
    expect(msgpackStrings(['']).toString('hex')).toBe('91a0');
    expect(msgpackStrings(['é']).toString('hex')).toBe('91a2c3a9'); // length in UTF-8 bytes
    expect(msgpackStrings(['x'.repeat(31)]).subarray(0, 2).toString('hex')).toBe('91bf'); // fixstr max
    expect(msgpackStrings(['x'.repeat(32)]).subarray(0, 3).toString('hex')).toBe('91d920'); // str 8
    expect(msgpackStrings(['x'.repeat(255)]).subarray(0, 3).toString('hex')).toBe('91d9ff');
    expect(msgpackStrings(['x'.repeat(256)]).subarray(0, 4).toString('hex')).toBe('91da0100'); // str 16
    expect(msgpackStrings(['x'.repeat(65536)]).subarray(0, 6).toString('hex')).toBe('91db00010000'); // str 32
    expect(msgpackStrings(Array(15).fill('a')).subarray(0, 1).toString('hex')).toBe('9f'); // fixarray max
    expect(msgpackStrings(Array(16).fill('a')).subarray(0, 3).toString('hex')).toBe('dc0010'); // array 16
    expect(msgpackStrings(Array(65535).fill('')).subarray(0, 3).toString('hex')).toBe('dcffff');
    expect(msgpackStrings(Array(65536).fill('')).subarray(0, 5).toString('hex')).toBe('dd00010000'); // array 32
    for (const items of [[], ['a', 'bc'], ['doc_12345', 'é'.repeat(40), 'y'.repeat(300)], Array.from({ length: 70 }, (_, i) => `id-${i}`)]) {
      expect(decodeStrings(msgpackStrings(items))).toEqual(items);
    }
  });
});

describe('reading an hnswlib graph file', () => {
  let dir: string;
  const N = 2000;
  const DIM = 16;
  const M = 8;
  const vecs = randomVectors(N, DIM, 3);
  const label = (i: number) => i * 3 + 1; // labels are not internal ids
  const deletedLabels = [label(5), label(77), label(1500)];
  let file: string;
  let index: hnswlib.HierarchicalNSW;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnsw-graph-test-'));
    index = new hnswlib.HierarchicalNSW('l2', DIM);
    index.initIndex({ maxElements: 4096, m: M, efConstruction: 100, randomSeed: 7 });
    vecs.forEach((v, i) => index.addPoint(v, label(i)));
    for (const l of deletedLabels) index.markDelete(l);
    file = join(dir, 'g.idx');
    index.writeIndexSync(file);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('parses header, labels, delete marks and links consistently with hnswlib', async () => {
    const g = await readHnswGraph(file, { level0: 'all' });
    expect(g.header).toMatchObject({ count: index.getCurrentCount(), maxElements: index.getMaxElements(), m: M, maxM: M, maxM0: 2 * M, efConstruction: 100 });
    expect(g.header.sizeDataPerElement).toBe(4 + 4 * 2 * M + 4 * DIM + 8);
    expect([...g.labels].sort((a, b) => a - b)).toEqual(index.getIdsList().sort((a, b) => a - b));
    expect([...g.labels].filter((_, i) => g.deleted[i]).sort((a, b) => a - b)).toEqual([...deletedLabels].sort((a, b) => a - b));

    // Levels: the entry point is on the top level, which is the highest of any element; about 1/M of elements have upper levels.
    const top = Math.max(...g.levels);
    expect(g.header.maxLevel).toBe(top);
    expect(g.levels[g.header.entryPoint]).toBe(top);
    expect(g.level0.get(g.header.entryPoint)!.length).toBeGreaterThan(0);
    expect(g.upper.size).toBeGreaterThan(N / M / 2);
    expect(g.upper.size).toBeLessThan((N / M) * 2);
    for (const [i, lv] of g.upper) {
      expect(lv.length).toBe(g.levels[i]);
      // Every node on level l >= 1 that is not alone there has neighbours on it, all themselves on level >= l.
      lv.forEach((nb, l) => nb.forEach((x) => expect(g.levels[x]).toBeGreaterThanOrEqual(l + 1)));
      expect(lv[0]!.length).toBeGreaterThan(0);
    }
    expect(g.level0.size).toBe(N);
    for (const nb of g.level0.values()) for (const x of nb) expect(g.labels[x]).toBeGreaterThan(0);

    // The lists are the real graph: a plain HNSW search over the parsed links finds the true nearest neighbours.
    const dist = (a: number[], b: number[]) => a.reduce((s, x, j) => s + (x - b[j]!) ** 2, 0);
    const vecOf = (internal: number) => vecs[(g.labels[internal]! - 1) / 3]!;
    const queries = randomVectors(50, DIM, 99);
    let hits = 0;
    for (const q of queries) {
      const got = searchParsed(g, (i) => dist(q, vecOf(i)), 10, 64).map((i) => g.labels[i]!);
      const truth = vecs.map((v, i) => [dist(q, v), label(i)] as const).filter(([, l]) => !deletedLabels.includes(l)).sort((a, b) => a[0] - b[0]).slice(0, 10).map(([, l]) => l);
      hits += got.filter((l) => truth.includes(l)).length;
    }
    expect(hits / (queries.length * 10)).toBeGreaterThan(0.9);
  });

  it('reads the same graph in small chunks as in one', async () => {
    const whole = await readHnswGraph(file, { level0: 'all' });
    const small = await readHnswGraph(file, { level0: 'all', chunkBytes: 100 }); // smaller than one element
    expect(small.labels).toEqual(whole.labels);
    expect(small.levels).toEqual(whole.levels);
    expect([...small.upper]).toEqual([...whole.upper]);
    expect([...small.level0]).toEqual([...whole.level0]);
    const entryOnly = await readHnswGraph(file);
    expect([...entryOnly.level0.keys()]).toEqual([whole.header.entryPoint]);
  });

  it('refuses damaged files', async () => {
    const bytes = await readFile(file);
    const cut = join(dir, 'cut.idx');
    await writeFile(cut, bytes);
    await truncate(cut, bytes.length - 3);
    await expect(readHnswGraph(cut)).rejects.toBeInstanceOf(HnswFormatError);
    const extra = join(dir, 'extra.idx');
    await writeFile(extra, bytes);
    await appendFile(extra, Buffer.from([0]));
    await expect(readHnswGraph(extra)).rejects.toThrow(/after the last link list/);
    await writeFile(join(dir, 'junk.idx'), 'not a graph');
    await expect(readHnswGraph(join(dir, 'junk.idx'))).rejects.toBeInstanceOf(HnswFormatError);
  });

  it('turns the graph into hnsw: cache entries for live points only', async () => {
    const g = await readHnswGraph(file);
    // A sidecar as the engine writes it: ids by label, one more point deleted on the main thread only.
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids[label(i)] = `p${i}`;
    const tomb = label(9);
    const side = { ids, tombstones: [tomb], absent: [], deleted: deletedLabels };
    const dead = new Set([tomb, ...deletedLabels]);
    const entries = new Map([...hnswCacheEntries('col', g, side)].map(([k, v]) => [k, decodeStrings(v)]));

    const expected = new Set<string>();
    for (const [i, lv] of g.upper) if (!dead.has(g.labels[i]!)) lv.forEach((_, l) => expected.add(`hnsw:col/${ids[g.labels[i]!]}:${l + 1}`));
    const ep = g.labels[g.header.entryPoint]!;
    if (!dead.has(ep)) expected.add(`hnsw:col/${ids[ep]}:0`);
    expect(new Set(entries.keys())).toEqual(expected);
    expect(entries.size).toBeGreaterThan(N / M / 2);

    const deadIds = new Set([...dead].map((l) => ids[l]));
    const idToInternal = new Map([...g.labels].map((l, i) => [ids[l]!, i]));
    for (const [key, nbs] of entries) {
      const [, id, level] = /^hnsw:col\/(.+):(\d+)$/.exec(key)!;
      const raw = Number(level) === 0 ? g.level0.get(idToInternal.get(id!)!)! : g.upper.get(idToInternal.get(id!)!)![Number(level) - 1]!;
      // Exactly the graph's list, in the graph's order, minus deleted points.
      expect(nbs).toEqual([...raw].map((x) => ids[g.labels[x]!]!).filter((x) => !deadIds.has(x)));
    }
  });
});

/** Textbook HNSW search over parsed lists: greedy through the upper levels, then a beam of `ef` on level 0. */
function searchParsed(g: HnswGraph, d: (i: number) => number, k: number, ef: number): number[] {
  let cur = g.header.entryPoint;
  for (let l = g.header.maxLevel; l >= 1; l--) {
    for (let moved = true; moved; ) {
      moved = false;
      for (const x of g.upper.get(cur)?.[l - 1] ?? []) {
        if (d(x) < d(cur)) {
          cur = x;
          moved = true;
        }
      }
    }
  }
  const seen = new Set([cur]);
  let cand = [[d(cur), cur] as [number, number]];
  let best = [...cand];
  while (cand.length) {
    cand.sort((a, b) => a[0] - b[0]);
    const [dc, c] = cand.shift()!;
    if (best.length >= ef && dc > best[best.length - 1]![0]) break;
    for (const x of g.level0.get(c)!) {
      if (seen.has(x)) continue;
      seen.add(x);
      const dx = d(x);
      if (best.length < ef || dx < best[best.length - 1]![0]) {
        cand.push([dx, x]);
        best.push([dx, x]);
        best.sort((a, b) => a[0] - b[0]);
        if (best.length > ef) best.pop();
      }
    }
  }
  return best.filter(([, i]) => !g.deleted[i]).slice(0, k).map(([, i]) => i);
}

describe('the service writes hnsw: keys after each graph snapshot', () => {
  const env = new TestEnv();
  let emu: RunningEmulator;
  const BUCKET = 'ruvector-hnsw-cache-test';
  let redis: Redis;

  beforeAll(async () => {
    await env.setup();
    emu = await startEmulator({ port: 0, host: '127.0.0.1' });
    const r = await fetch(`${emu.url}/storage/v1/b?project=proj`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: BUCKET }) });
    expect(r.ok).toBe(true);
    redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: env.prefix });
  });
  afterAll(async () => {
    redis?.disconnect();
    await env.teardown();
    await emu?.stop();
  });

  async function hnswKeys(): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.prefix}hnsw:*`, 'COUNT', 1000);
      out.push(...keys.map((k) => k.slice(env.prefix.length)));
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  async function object(name: string): Promise<Buffer> {
    const r = await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}?alt=media`);
    expect(r.ok).toBe(true);
    return Buffer.from(await r.arrayBuffer());
  }

  it('writes the upper levels and the entry point, with the seed TTL, naming live points only', async () => {
    const s = await env.start({ STORAGE_BUCKET: BUCKET, STORAGE_EMULATOR_HOST: emu.url, SNAPSHOT_INTERVAL_SECONDS: '0', HNSW_M: '8' });
    const key = { 'api-key': env.apiKey };
    const created = await call(s.url, 'POST', '/api/v1/collections', { name: 'hc', dimension: 8, metric: 'l2' }, key);
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    const vecs = randomVectors(400, 8, 21);
    for (let i = 0; i < 400; i += 100) {
      const r = await call(s.url, 'POST', '/api/v1/collections/hc/points', { points: vecs.slice(i, i + 100).map((v, j) => ({ id: `doc_${i + j}`, vector: v })) }, key);
      expect(r.status).toBeLessThan(300);
    }
    const gone = Array.from({ length: 40 }, (_, i) => `doc_${i * 10}`);
    expect((await call(s.url, 'POST', '/api/v1/collections/hc/points/delete', { ids: gone }, key)).status).toBeLessThan(300);
    expect(await hnswKeys()).toEqual([]);

    await s.snapshot();
    const keys = await hnswKeys();
    const live = new Set(vecs.map((_, i) => `doc_${i}`).filter((id) => !gone.includes(id)));

    // The same entries the saved graph file gives, no more, no fewer.
    const manifest = JSON.parse((await object('metadata/manifest.json')).toString()) as Manifest;
    const idx = manifest.latest.collections.find((c) => c.name === 'hc')!.index!;
    const dir = await mkdtemp(join(tmpdir(), 'hnsw-cache-e2e-'));
    try {
      await writeFile(join(dir, 'g.idx'), await object(idx.graph));
      const side = JSON.parse((await object(idx.labels)).toString()) as IndexSidecar;
      const g = await readHnswGraph(join(dir, 'g.idx'));
      const expected = [...hnswCacheEntries('hc', g, side)].map(([k]) => k);
      expect(keys.sort()).toEqual(expected.sort());
      expect(keys.length).toBeGreaterThan(20); // ~400/8 points have upper levels
      expect(keys.filter((k) => k.endsWith(':0'))).toEqual([`hnsw:hc/${side.ids[g.labels[g.header.entryPoint]!]}:0`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    let neighbours = 0;
    for (const k of keys) {
      const m = /^hnsw:hc\/(.+):(\d+)$/.exec(k)!;
      expect(live.has(m[1]!)).toBe(true);
      const ttl = await redis.ttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(7200);
      const nbs = decodeStrings((await redis.getBuffer(k))!);
      for (const id of nbs) expect(live.has(id)).toBe(true);
      neighbours += nbs.length;
    }
    expect(neighbours).toBeGreaterThan(keys.length); // real lists, not empty ones

    // The next snapshot rewrites them: TTLs start again.
    await redis.expire(keys[0]!, 10);
    await s.snapshot();
    expect(await redis.ttl(keys[0]!)).toBeGreaterThan(7000);
    await s.close();
  });

  it('still snapshots when Redis is down', async () => {
    const s = await env.start({ STORAGE_BUCKET: BUCKET, STORAGE_EMULATOR_HOST: emu.url, SNAPSHOT_INTERVAL_SECONDS: '0', REDIS_PORT: '1' });
    const key = { 'api-key': env.apiKey };
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'down', dimension: 4, metric: 'l2' }, key)).status).toBeLessThan(300);
    const pts = randomVectors(50, 4, 5).map((v, i) => ({ id: `d${i}`, vector: v }));
    expect((await call(s.url, 'POST', '/api/v1/collections/down/points', { points: pts }, key)).status).toBeLessThan(300);
    const latest = (await s.snapshot()) as Manifest['latest'];
    expect(latest.collections.find((c) => c.name === 'down')?.index?.graph).toMatch(/\.idx$/);
    await s.close();
  });
});
