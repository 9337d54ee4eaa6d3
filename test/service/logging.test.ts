import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, call } from './helpers.js';
import { startServer, type RunningServer } from '../../service/src/server.js';
import { createLogger } from '../../service/src/log.js';
import { loggableUrl } from '../../service/src/http/request-line.js';

/**
 * Clients put keys in query strings (`?api-key=`): no log line may carry a query string's
 * values. A 500 logs the request it failed.
 */
const env = new TestEnv();
const lines: string[] = [];
let s: RunningServer;
beforeAll(async () => {
  await env.setup();
  const cfg = env.config();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  s = await startServer(cfg, { logger: createLogger(cfg, sink) });
  await s.started;
});
afterAll(async () => {
  await s.close();
  await env.teardown();
});

describe('logged URLs', () => {
  it('a 500 logs the path and the query\'s parameter names, not their values', async () => {
    const key = { 'api-key': env.apiKey };
    expect((await call(s.url, 'POST', '/api/v1/collections', { name: 'lg', dimension: 2, metric: 'l2' }, key)).status).toBe(201);
    expect((await call(s.url, 'POST', '/api/v1/collections/lg/points', { points: [{ id: 'p', vector: [1, 0] }] }, key)).status).toBe(200);
    // A fault of the kind nothing anticipates, so the request ends in a 500.
    s.engine.getPoints = () => Promise.reject(new Error('injected fault'));
    const r = await call(s.url, 'GET', `/api/v1/collections/lg/points/p?api-key=${env.apiKey}&with=1`);
    expect(r.status).toBe(500);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'request failed');
    expect(failed).toMatchObject({ method: 'GET', path: '/api/v1/collections/lg/points/p', query: ['api-key', 'with'] });
    expect(lines.join('\n')).not.toContain(env.apiKey);
  });

  it('says at start that pushes are refused when the push audience or signer is not configured', () => {
    const warn = lines.map((l) => JSON.parse(l) as { severity?: string; message?: string }).find((l) => /Pub\/Sub pushes/.test(l.message ?? ''));
    expect(warn).toMatchObject({ severity: 'WARN', message: "PUSH_AUDIENCE and PUSH_SERVICE_ACCOUNT are not configured: Pub/Sub pushes (other regions' writes) are refused with 401" });
  });

  it('loggableUrl keeps names once and drops values', () => {
    expect(loggableUrl('/a/b')).toEqual({ path: '/a/b' });
    expect(loggableUrl('/a?')).toEqual({ path: '/a' });
    expect(loggableUrl('/a?api-key=s3cret&k=1&k=2&flag')).toEqual({ path: '/a', query: ['api-key', 'k', 'flag'] });
  });
});
