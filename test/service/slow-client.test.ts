import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call } from './helpers.js';
import type { RunningServer } from '../../service/src/server.js';

/**
 * Clients that start a request and never finish it: each would hold its connection (and
 * whatever the route holds while reading the body) for ever. With the receive timeouts the
 * server answers 408 and closes.
 */
const env = new TestEnv();
let s: RunningServer;
beforeAll(async () => {
  await env.setup();
  s = await env.start({ REQUEST_TIMEOUT_MS: '600', HEADERS_TIMEOUT_MS: '400' });
  expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'sc', dimension: 2, metric: 'l2' }, { 'api-key': env.apiKey })).status).toBe(201);
});
afterAll(() => env.teardown());

/**
 * Writes `head` on a raw connection and sends nothing more; resolves with what came back once
 * the server closed it. The test's own timeout is the bound: without a receive timeout the
 * server never closes and the test fails.
 */
function sendAndWait(head: string): Promise<string> {
  const { port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1', () => sock.write(head));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
  });
}

const path = '/api/v1/collections/sc/search';

describe('receive timeouts', () => {
  it('a body shorter than its Content-Length: 408, connection closed', async () => {
    const got = await sendAndWait(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"vector": [1,`);
    expect(got).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4))).toEqual({ status: 408, error: expect.stringContaining('the whole request within 600 ms') });
  }, 15_000);

  it('a chunked body that stops midway: 408, connection closed', async () => {
    const got = await sendAndWait(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"vec\r\n`);
    expect(got).toMatch(/^HTTP\/1\.1 408 /);
  }, 15_000);

  it('headers that never end: 408, connection closed', async () => {
    const got = await sendAndWait(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: appl`);
    expect(got).toMatch(/^HTTP\/1\.1 408 /);
  }, 15_000);

  // (That a slow answer is not cut by REQUEST_TIMEOUT_MS: postgres-outage.test.ts, whose 503s come after it.)
  it('the server still answers complete requests', async () => {
    expect((await call(s.url, 'POST', path, { vector: [1, 0], k: 1 })).status).toBe(200);
  });
});
