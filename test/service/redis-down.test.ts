import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call, waitFor, REDIS_HOST, REDIS_PORT } from './helpers.js';

/** A TCP relay to the real Redis that the test can cut and restore, on a fixed local port. */
class Relay {
  private server?: Server;
  private sockets = new Set<Socket>();
  port = 0;
  async open(): Promise<void> {
    this.server = createServer((c) => {
      const up = connect(REDIS_PORT, REDIS_HOST);
      this.sockets.add(c).add(up);
      c.pipe(up).pipe(c);
      const end = () => {
        c.destroy();
        up.destroy();
      };
      c.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server!.address() as { port: number }).port;
  }
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise((r) => this.server!.close(r));
  }
}

const env = new TestEnv();
const relay = new Relay();
beforeAll(async () => {
  await env.setup();
  await relay.open();
});
afterAll(async () => {
  await relay.cut().catch(() => {});
  await env.teardown();
});

describe('Redis is a cache, not a single point of failure', () => {
  it('keeps answering while Redis is unreachable, reports degraded, recovers by itself', async () => {
    const s = await env.start({ REDIS_PORT: String(relay.port) });
    const key = { 'api-key': env.apiKey };
    await waitFor('redis up', async () => (await call(s.url, 'GET', '/health/ready')).body.status === 'ok');
    await call(s.url, 'POST', '/api/v1/collections', { name: 'r', dimension: 2, metric: 'l2' }, key);
    await call(s.url, 'POST', '/api/v1/collections/r/points', { points: [{ id: 'a', vector: [0, 0] }, { id: 'b', vector: [5, 5] }] }, key);

    await relay.cut();
    await waitFor('degraded', async () => (await call(s.url, 'GET', '/health/ready')).body.status === 'degraded');
    const ready = await call(s.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.redis).toBe('down');
    // Reads, writes and searches all still work.
    expect((await call(s.url, 'POST', '/api/v1/collections/r/points', { points: [{ id: 'c', vector: [1, 1] }] }, key)).status).toBe(200);
    const r = await call(s.url, 'POST', '/api/v1/collections/r/search', { vector: [0.9, 0.9], k: 1 });
    expect(r.status).toBe(200);
    expect(r.body.results[0].id).toBe('c');
    expect((await call(s.url, 'GET', '/api/v1/collections/r/points/a')).status).toBe(200);

    await relay.open(); // Redis comes back on the same address
    await waitFor('recovered', async () => (await call(s.url, 'GET', '/health/ready')).body.status === 'ok', 30_000);
    const again = await call(s.url, 'POST', '/api/v1/collections/r/search', { vector: [0.9, 0.9], k: 1 });
    expect(again.body.results[0].id).toBe('c');
    const m = await call(s.url, 'GET', '/metrics');
    expect(m.body).toMatch(/ruvector_redis_up 1/);
  });

  it('starts with Redis pointing at a closed port and serves', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const s = await env.start({ REDIS_PORT: String(port) });
    const ready = await call(s.url, 'GET', '/health/ready');
    expect(ready.body).toMatchObject({ status: 'degraded', checks: { redis: 'down', postgres: 'up' } });
    const r = await call(s.url, 'POST', '/api/v1/collections/r/search', { vector: [0, 0], k: 1 });
    expect(r.status).toBe(200);
    expect(r.body.results[0].id).toBe('a');
  });
});
