import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, randomVectors, waitFor } from './helpers.js';
import { exited, startChild } from './child.js';

const env = new TestEnv();
beforeAll(() => env.setup());
afterAll(() => env.teardown());

describe('durability', () => {
  it('every upsert answered 2xx survives kill -9 and restart', async () => {
    const e = env.env({ SEARCH_WORKERS: '1' });
    const first = await startChild(e);
    const key = { 'api-key': env.apiKey };
    await waitFor('startup', async () => (await call(first.url, 'GET', '/health/startup')).status === 200);
    expect((await call(first.url, 'POST', '/api/v1/collections', { name: 'd', dimension: 16, metric: 'l2' }, key)).status).toBe(201);
    const vecs = randomVectors(400, 16, 11);
    const acked = new Set<number>();
    // Many writes in flight; SIGKILL lands as soon as the 5th acknowledgement arrives.
    let n = 0;
    const writes = vecs.map((v, i) =>
      call(first.url, 'POST', '/api/v1/collections/d/points', { points: [{ id: i, vector: v, metadata: { i } }] }, key).then(
        (r) => {
          if (r.status === 200) {
            acked.add(i);
            if (++n === 5) first.proc.kill('SIGKILL');
          }
        },
        () => {},
      ),
    );
    await Promise.all(writes);
    await exited(first.proc);
    expect(acked.size).toBeGreaterThanOrEqual(5);

    const second = await startChild(e);
    try {
      await waitFor('restart', async () => (await call(second.url, 'GET', '/health/startup')).status === 200);
      const ids = [...acked];
      const got = await call(second.url, 'POST', '/api/v1/collections/d/points/get', { ids });
      expect(got.body.points.length).toBe(ids.length);
      // And the rebuilt index finds them.
      for (const i of ids.slice(0, 10)) {
        const r = await call(second.url, 'POST', '/api/v1/collections/d/search', { vector: vecs[i], k: 1 });
        expect(r.body.results[0]).toMatchObject({ id: String(i), metadata: { i } });
      }
    } finally {
      second.proc.kill('SIGTERM');
      await exited(second.proc);
    }
  });

  it('drains on SIGTERM and exits 0', async () => {
    const c = await startChild(env.env({ SEARCH_WORKERS: '1' }));
    await waitFor('startup', async () => (await call(c.url, 'GET', '/health/startup')).status === 200);
    const code = exited(c.proc);
    c.proc.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(c.logs.join('\n')).toContain('draining');
  });
});
