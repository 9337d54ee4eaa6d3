/**
 * verify's latency probe collection (ruvector-verify-*) never outlives the run: it is deleted
 * after a pass, a failure, and a timeout (the check's signal is aborted by then), a probe a
 * dead verify left is swept, and a cleanup that cannot delete says so. Against a small fake
 * of the service's collections API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isStaleProbe, measureSearches, PROBE_CLEANUP_MS, probeName, STALE_PROBE_MS } from '../../../src/verify/checks/latency.js';
import { runCheck } from '../../../src/verify/runner.js';

interface Fake {
  base: string;
  created: string[];
  deleted: string[];
  server: Server;
}

type Mode = { search: 'ok' | 'error' | 'hang'; del?: 'ok' | 'error'; existing?: { name: string; dimension: number; count: number }[] };

let fake: Fake | undefined;
const held: ServerResponse[] = [];

async function startFake(mode: Mode): Promise<Fake> {
  const created: string[] = [];
  const deleted: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && url === '/api/v1/collections') return json(200, { collections: mode.existing ?? [] });
      if (req.method === 'POST' && url === '/api/v1/collections') {
        created.push((JSON.parse(Buffer.concat(chunks).toString()) as { name: string }).name);
        return json(201, {});
      }
      if (req.method === 'POST' && url.endsWith('/points')) return json(200, {});
      if (req.method === 'POST' && url.endsWith('/search')) {
        if (mode.search === 'hang') return void held.push(res);
        return mode.search === 'ok' ? json(200, { results: [] }) : json(500, { error: 'boom' });
      }
      if (req.method === 'DELETE') {
        if (mode.del === 'error') return json(500, { error: 'nope' });
        deleted.push(decodeURIComponent(url.split('/').pop()!));
        return json(200, {});
      }
      json(404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake = { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, created, deleted, server };
  return fake;
}

afterEach(async () => {
  for (const r of held.splice(0)) r.destroy();
  if (fake) {
    fake.server.closeAllConnections();
    await new Promise((r) => fake!.server.close(r));
  }
  fake = undefined;
});

const check = (f: Fake, timeoutMs: number) => ({
  group: 'latency' as const,
  region: 'us-central1',
  subject: 'ruvector-streaming',
  timeoutMs,
  cleanupMs: PROBE_CLEANUP_MS,
  run: (signal: AbortSignal) => measureSearches(f.base, { samples: 5, timeoutMs: 2000, signal, apiKey: 'k' }),
});

describe('the latency probe collection', () => {
  it('is deleted after the searches pass', async () => {
    const f = await startFake({ search: 'ok' });
    const r = await runCheck(check(f, 10_000));
    expect(r.reason).toMatch(/^ruvector-verify-/);
    expect(f.created).toHaveLength(1);
    expect(f.deleted).toEqual(f.created);
  });

  it('is deleted when the searches fail', async () => {
    const f = await startFake({ search: 'error' });
    const r = await runCheck(check(f, 10_000));
    expect(r).toMatchObject({ verdict: 'fail', reason: '5 of 5 searches failed (HTTP 500)' });
    expect(f.deleted).toEqual(f.created);
  });

  it('is deleted when the check times out, before the runner returns', async () => {
    const f = await startFake({ search: 'hang' });
    const r = await runCheck(check(f, 300));
    expect(r).toMatchObject({ verdict: 'fail', reason: 'timed out after 0.3 s' });
    expect(f.created).toHaveLength(1);
    expect(f.deleted).toEqual(f.created);
  });

  it('one a dead verify left is swept and never measured; a running verify\'s is left alone', async () => {
    const old = probeName(Date.now() - STALE_PROBE_MS - 60_000);
    const legacy = 'ruvector-verify-0a1b2c3d';
    const running = probeName();
    const f = await startFake({
      search: 'ok',
      existing: [
        { name: old, dimension: 64, count: 500 },
        { name: legacy, dimension: 64, count: 500 },
        { name: running, dimension: 64, count: 500 },
        { name: 'docs', dimension: 3, count: 10 },
      ],
    });
    const r = await runCheck(check(f, 10_000));
    expect(r.reason).toMatch(/^docs: /);
    expect(f.created).toEqual([]);
    expect(f.deleted.sort()).toEqual([old, legacy].sort());
    expect(isStaleProbe(running)).toBe(false);
    expect(isStaleProbe('docs')).toBe(false);
  });

  it('a probe that cannot be deleted is reported, not passed over', async () => {
    const f = await startFake({ search: 'ok', del: 'error' });
    const r = await runCheck(check(f, 20_000));
    expect(r.verdict).toBe('warn');
    expect(r.reason).toMatch(new RegExp(`probe collection left behind: ${f.created[0]} \\(HTTP 500\\)`));
  });
});
