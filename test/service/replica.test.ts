import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, adminQuery as admin, call } from './helpers.js';

// A tier-2 region's service talks to a Cloud SQL read replica: it must start (the schema
// comes from the primary), serve searches, and refuse writes with a clear 503.
const env = new TestEnv();
const role = `ruvector_ro_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await env.setup();
  await admin(`CREATE ROLE ${role} LOGIN`);
  await admin(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
  await admin(`GRANT CONNECT ON DATABASE ${env.db} TO ${role}`);
});

afterAll(async () => {
  await env.teardown();
  await admin(`DROP ROLE IF EXISTS ${role}`);
});

describe('a service on a read replica', () => {
  it('starts once the primary has migrated, serves searches and answers writes with 503', async () => {
    const primary = await env.start();
    const key = { 'api-key': env.apiKey };
    expect((await call(primary.url, 'POST', '/api/v1/collections', { name: 'docs', dimension: 2, metric: 'l2' }, key)).status).toBe(201);
    expect((await call(primary.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'a', vector: [1, 0] }] }, key)).status).toBe(200);
    await env.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);

    const replica = await env.start({ DB_USER: role, REGION: 'asia-northeast1' });
    const ready = await call(replica.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    const found = await call(replica.url, 'POST', '/api/v1/collections/docs/search', { vector: [1, 0], k: 1 });
    expect(found.status).toBe(200);
    expect(JSON.stringify(found.body)).toContain('"a"');
    const write = await call(replica.url, 'POST', '/api/v1/collections/docs/points', { points: [{ id: 'b', vector: [0, 1] }] }, key);
    expect(write.status).toBe(503);
    expect(write.body.error).toMatch(/read replica: send writes to a primary/);
  });
});
