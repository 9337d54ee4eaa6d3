/**
 * The search workers as one queue: every search is offered to all replicas and run by exactly
 * one, and a worker that is stuck on something long does not hold up the searches behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexPool } from '../../service/src/index/pool.js';

const DIM = 8;
const POINTS = 2000;
const vectorOf = (label: number): number[] => Array.from({ length: DIM }, (_, j) => Math.sin(label * 12.9898 + j * 78.233) * 10);

async function loaded(opts?: ConstructorParameters<typeof IndexPool>[3]): Promise<IndexPool> {
  const pool = new IndexPool(
    2,
    (err) => {
      throw err;
    },
    'portable',
    opts,
  );
  await pool.broadcast({ op: 'create', name: 'c', dimension: DIM, metric: 'l2', m: 16, efConstruction: 100 });
  const labels = Array.from({ length: POINTS }, (_, i) => i);
  const vectors = new Float32Array(labels.flatMap(vectorOf));
  await pool.broadcast({ op: 'upsert', name: 'c', labels, vectors, payloads: labels.map(() => null) });
  return pool;
}

describe('index pool', () => {
  let pool: IndexPool;
  beforeAll(async () => {
    pool = await loaded();
  }, 60_000);
  afterAll(() => pool.close());

  const search = (query: number[], k = 1) => pool.search({ op: 'search', name: 'c', queries: [query], k, ef: 50, withPayload: false });

  it('runs each of many concurrent searches exactly once, with its own answer', async () => {
    const before = pool.searchCounts().reduce((a, b) => a + b, 0);
    const labels = Array.from({ length: 500 }, (_, i) => (i * 7) % POINTS);
    const hits = await Promise.all(labels.map((l) => search(vectorOf(l))));
    expect(hits.map((h) => h.labels[0])).toEqual(labels);
    const counts = pool.searchCounts();
    expect(counts.reduce((a, b) => a + b, 0) - before).toBe(500);
    for (const n of counts) expect(n).toBeGreaterThan(0);
  });

  it('a worker busy with a long job leaves the searches behind it to the other', async () => {
    // Worker 0 alone gets a batch of thousands of queries; searches offered meanwhile must not wait for it.
    const long = Array.from({ length: 20_000 }, (_, i) => vectorOf(i % POINTS)).flat();
    const order: string[] = [];
    const longJob = pool.first({ op: 'search', name: 'c', queries: long, k: 10, ef: 200, withPayload: false }).then(() => order.push('long'));
    const quick = Promise.all(Array.from({ length: 50 }, (_, i) => search(vectorOf(i)))).then((h) => {
      order.push('quick');
      return h;
    });
    const [hits] = await Promise.all([quick, longJob]);
    expect(hits.map((h) => h.labels[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order).toEqual(['quick', 'long']);
  }, 60_000);
});

describe('index pool, shared query arena', () => {
  // 4 blocks of 5 queries: most of many concurrent searches, and any bigger batch, go in the message instead.
  let pool: IndexPool;
  beforeAll(async () => {
    pool = await loaded({ arenaBlocks: 4, blockFloats: 5 * DIM });
  }, 60_000);
  afterAll(() => pool.close());

  const batch = (labels: number[]) => pool.search({ op: 'search', name: 'c', queries: labels.map((l) => Float32Array.from(vectorOf(l))), k: 1, ef: 50, withPayload: false });
  const firstHits = (h: { offsets: number[]; labels: number[] }) => h.offsets.slice(0, -1).map((o) => h.labels[o]);

  it('answers each query of a batch in or over a block, and of more searches in flight than blocks', async () => {
    const sizes = [1, 5, 6, 40, 3, 1, 5, 2, 17, 4];
    const asked = Array.from({ length: 60 }, (_, i) => Array.from({ length: sizes[i % sizes.length]! }, (_, j) => (i * 31 + j * 7) % POINTS));
    const hits = await Promise.all(asked.map(batch));
    expect(hits.map(firstHits)).toEqual(asked);
    expect(pool.arenaBlocksFree).toBe(4);
  });

  it('reuses a block only once its search is answered', async () => {
    for (let round = 0; round < 3; round++) {
      const asked = Array.from({ length: 12 }, (_, i) => [(round * 100 + i * 13) % POINTS, (round * 100 + i * 17 + 1) % POINTS]);
      expect((await Promise.all(asked.map(batch))).map(firstHits)).toEqual(asked);
    }
    expect(pool.arenaBlocksFree).toBe(4);
  });
});
