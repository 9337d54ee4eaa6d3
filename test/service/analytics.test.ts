import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type pg from 'pg';
import { Analytics } from '../../service/src/store/analytics.js';
import { createPool, migrate } from '../../service/src/store/db.js';
import { TestEnv } from './helpers.js';

const env = new TestEnv();
let pool: pg.Pool;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  await env.setup();
  pool = createPool(env.config().db);
});
afterAll(async () => {
  await pool.end();
  await env.teardown();
});

describe('query analytics buffer', () => {
  it('keeps rows through a failed flush and writes each exactly once when Postgres takes them', async () => {
    let dropped = 0;
    const a = new Analytics(pool, 'europe-west1', log, () => dropped++, 3_600_000);
    // more than two 2,048-row blocks, so the flush spans blocks and statements
    for (let i = 0; i < 5000; i++) a.record({ type: 'search', latencyMs: i / 100, user: `ip-10.0.${i % 7}.1`, cacheHit: i % 2 === 0, resultCount: i % 11 });
    await a.flush(); // no schema yet: the INSERT fails, the rows stay
    await migrate(pool, log);
    await a.flush();
    const r = await env.query(`SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users, sum(result_count)::int AS results, bool_and(region = 'europe-west1') AS region FROM query_analytics_partitioned`);
    let results = 0;
    for (let i = 0; i < 5000; i++) results += i % 11;
    expect(r.rows[0]).toEqual({ n: 5000, users: 7, results, region: true });
    await a.flush(); // nothing left to write twice
    expect((await env.query('SELECT count(*)::int AS n FROM query_analytics_partitioned')).rows[0].n).toBe(5000);
    expect(dropped).toBe(0);
    await a.close();
  });

  it('drops rows beyond its bound and counts them, rather than growing without limit', async () => {
    let dropped = 0;
    const a = new Analytics(pool, 'local', log, () => dropped++, 3_600_000);
    for (let i = 0; i < 20_005; i++) a.record({ type: 'get', latencyMs: 1 });
    expect(dropped).toBe(5);
    await a.close();
    expect((await env.query(`SELECT count(*)::int AS n FROM query_analytics_partitioned WHERE query_type = 'get'`)).rows[0].n).toBe(20_000);
  });
});
