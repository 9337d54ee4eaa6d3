/**
 * The search workers as one queue: every search is offered to all replicas and run by exactly
 * one, and a worker that is stuck on something long does not hold up the searches behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexPool, SearchRefused } from '../../service/src/index/pool.js';

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

describe('index pool, searches that fail or run long', () => {
  let pool: IndexPool;
  beforeAll(async () => {
    pool = await loaded({ timeoutMs: 300 });
  }, 60_000);
  afterAll(() => pool.close());

  const search = (query: number[], extra: Record<string, unknown> = {}) => pool.search({ op: 'search', name: 'c', queries: [query], k: 1, ef: 50, withPayload: false, ...extra });
  const idle = { searches: 0, queries: 0, arenaBlocksFree: 512 };

  it('100,000 searches that cannot be sent to a worker leave every slot and arena block free', async () => {
    // A filter value nested this deep makes the structured clone behind postMessage throw (a
    // RangeError), and a function cannot be cloned at all (a DataCloneError).
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    expect(pool.health()).toEqual(idle);
    const failed = new Map<string, number>();
    for (let i = 0; i < 100_000; i++) {
      const err = await search(vectorOf(i % POINTS), { filter: i % 10 === 0 ? deep : { f: () => 1 } }).then(() => 'answered', (e: Error) => e.constructor.name);
      failed.set(err, (failed.get(err) ?? 0) + 1);
    }
    expect([...failed.keys()].sort()).toEqual(['DOMException', 'RangeError']);
    expect(pool.health()).toEqual(idle);
    expect(pool.arenaBlocksFree).toBe(512);
    const hits = await Promise.all([1, 2, 3].map((l) => search(vectorOf(l))));
    expect(hits.map((h) => h.labels[0])).toEqual([1, 2, 3]);
  }, 120_000);

  it('answers a search past its deadline, stops it in the worker, and frees its slot and block', async () => {
    // Two batches, one per worker, each far longer than the deadline (thousands of queries at ef 2000).
    const long = Array.from({ length: 10_000 }, (_, i) => Float32Array.from(vectorOf(i % POINTS)));
    const job = () => pool.search({ op: 'search', name: 'c', queries: long, k: 10, ef: 2000, withPayload: false });
    const outcomes = await Promise.all([job(), job()].map((p) => p.then(() => 'answered', (e: SearchRefused) => `${e.constructor.name}:${e.kind}`)));
    expect(outcomes).toEqual(['SearchRefused:timeout', 'SearchRefused:timeout']);
    // The workers give the batches up at the deadline rather than finishing them: the next searches are answered.
    const hits = await Promise.all([5, 6].map((l) => search(vectorOf(l))));
    expect(hits.map((h) => h.labels[0])).toEqual([5, 6]);
    await waitUntil(() => pool.health().searches === 0);
    expect(pool.health()).toEqual(idle);
  }, 60_000);
});

describe('index pool, load shedding', () => {
  let pool: IndexPool;
  beforeAll(async () => {
    pool = await loaded({ queueQueries: 100 });
  }, 60_000);
  afterAll(() => pool.close());

  it('refuses searches past the queue bound at once, answers the others, and is idle after', async () => {
    const batch = (l: number) => pool.search({ op: 'search', name: 'c', queries: Array.from({ length: 10 }, (_, j) => vectorOf((l + j) % POINTS)), k: 1, ef: 400, withPayload: false });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, l) => batch(l).then((h) => (h.labels[0] === l ? 'right' : 'wrong'), (e: SearchRefused) => e.kind)),
    );
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    // At most 100 queries in flight: the first ten batches fit, so at least ten are answered and many are shed.
    expect(count('right')).toBeGreaterThanOrEqual(10);
    expect(count('overloaded')).toBeGreaterThan(0);
    expect(count('right') + count('overloaded')).toBe(50);
    expect(pool.health()).toEqual({ searches: 0, queries: 0, arenaBlocksFree: 512 });
    // One search bigger than the whole bound is let in when the queue is empty.
    const big = await pool.search({ op: 'search', name: 'c', queries: Array.from({ length: 150 }, (_, j) => vectorOf(j)), k: 1, ef: 50, withPayload: false });
    expect(big.offsets.length).toBe(151);
  });
});

describe('index pool, readiness', () => {
  it('is wedged while a worker is stuck on one task longer than wedgedMs, and recovers', async () => {
    const pool = await loaded({ wedgedMs: 100 });
    try {
      expect(pool.health().wedged).toBeUndefined();
      // A write of many points takes each worker well over 100 ms.
      const labels = Array.from({ length: 20_000 }, (_, i) => POINTS + i);
      const write = pool.broadcast({ op: 'upsert', name: 'c', labels, vectors: new Float32Array(labels.flatMap(vectorOf)), payloads: labels.map(() => null) });
      let seen: string | undefined;
      let done = false;
      void write.then(() => (done = true));
      while (!done && seen === undefined) {
        seen = pool.health().wedged;
        await new Promise((r) => setTimeout(r, 10));
      }
      await write;
      expect(seen).toMatch(/^index worker \d has been on one task for \d+ ms \(POOL_WEDGED_MS=100\)$/);
      expect(pool.health().wedged).toBeUndefined();
    } finally {
      await pool.close();
    }
  }, 60_000);
});

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
