/**
 * npx tsx bench/overload.ts [-- --dir PATH --n 10000 --connections 500 --seconds 10 --leak 70000 --any-200k --env K=V,K=V --only amplification,leak,overload]
 *
 * The hostile client's trials against the service (a child process running
 * service/src/main.ts, real Postgres and Redis, 2 search workers, 8-d points), with what each
 * costs the service: status, wall time, peak RSS, liveness while it ran, and a one-point write
 * sent while it ran.
 *
 *   amplification  one request each: 10,000 queries at k=1000 (~790 KB); 1,000 queries under
 *                  a filter matching nothing; one query with `match.any` of 10,000 (and, with
 *                  --any-200k, 200,000) values
 *   leak           --leak N searches whose filter value nests 6,000 levels, then a plain search
 *                  and /health/ready
 *   overload       --connections keep-alive clients for --seconds, single searches and then
 *                  searches under a filter matching nothing; liveness probed every 50 ms
 *
 * Liveness is probed from a process of its own on a fresh connection each time, as a
 * platform's prober does. The accept queue (connections the kernel has established and the
 * service not yet accepted) is sampled too: Node accepts one connection per event-loop turn,
 * so while hundreds of connections arrive at once and every turn is long, a new connection
 * waits many turns; probes started after the queue emptied are reported apart.
 *
 * --dir runs the service from another checkout (e.g. `git archive main service package.json
 * tsconfig.json | tar -x -C /tmp/before`, with a node_modules link) so the same trials give a
 * before and an after. This machine's other load moves every figure: compare runs made
 * back to back, and read the load average printed with them.
 */
import { Pool, type Client } from 'undici';
import { execSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import pg from 'pg';
import * as hdr from 'hdr-histogram-js';
import { SERVICE_NODE_FLAGS } from '../service/src/node-flags.js';

const { values: a } = parseArgs({
  options: {
    dir: { type: 'string', default: '.' },
    n: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    leak: { type: 'string', default: '0' },
    'any-200k': { type: 'boolean', default: false },
    only: { type: 'string' },
    /** Which overload trials: single,filter (both by default). */
    overload: { type: 'string' },
    /** Extra environment for the service, KEY=VALUE,KEY=VALUE (e.g. limits lifted, to see the deadline alone). */
    env: { type: 'string' },
  },
});
const N = Number(a.n);
const DIM = 8;
const CONNECTIONS = Number(a.connections);
const SECONDS = Number(a.seconds);
const LEAK = Number(a.leak);
const only = a.only?.split(',');
const runs = (what: string) => !only || only.includes(what);
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
/** Six decimals: ~80 bytes of JSON per 8-d query, so 10,000 queries are the ~790 KB body of the report. */
const vec = () => Array.from({ length: DIM }, () => Math.round((rand() * 2 - 1) * 1e6) / 1e6);

// ---- the service ------------------------------------------------------------------------------
const db = `ruvector_overload_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${db}`);
const pgUrl = new URL(PG_URL);
const apiKey = randomBytes(16).toString('hex');
const prefix = `${db}:`;
const dir = resolve(a.dir);
// A port chosen here, so the service's stdout need not be read: a pipe this process is too busy
// to drain would block the service's (synchronous) log writes and distort what is measured.
const port = await new Promise<number>((res) => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1', () => {
    const p = (srv.address() as { port: number }).port;
    srv.close(() => res(p));
  });
});
const base = `http://127.0.0.1:${port}`;
const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, '--import', 'tsx', 'service/src/main.ts'], {
  cwd: dir,
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DB_HOST: pgUrl.hostname,
    DB_PORT: pgUrl.port || '5432',
    DB_USER: decodeURIComponent(pgUrl.username || 'postgres'),
    DB_NAME: db,
    REDIS_KEY_PREFIX: prefix,
    RUVECTOR_API_KEY: apiKey,
    SEARCH_WORKERS: '2',
    // The trials measure the work one request can cause, not the rate limit.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    LOG_LEVEL: 'warn',
    ...Object.fromEntries((a.env ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const exited = new Promise<number | null>((r) => child.once('exit', r));
process.once('exit', () => child.kill('SIGKILL'));
const pool = new Pool(base, { connections: 64, pipelining: 1, headersTimeout: 600_000, bodyTimeout: 600_000 });
interface Answer {
  status: number;
  text: string;
  ms: number;
}
async function req(method: 'GET' | 'POST', path: string, body?: unknown, via: Pool | Client = pool): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const t0 = performance.now();
  const r = await via.request({ method, path, headers: { 'content-type': 'application/json', 'api-key': apiKey }, body: payload });
  const text = await r.body.text();
  return { status: r.statusCode, text, ms: performance.now() - t0 };
}
for (;;) {
  const r = await req('GET', '/health/startup').catch(() => undefined);
  if (r?.status === 200) break;
  if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}`);
  await new Promise((r) => setTimeout(r, 200));
}
await req('POST', '/api/v1/collections', { name: 'amp', dimension: DIM, metric: 'l2' });
for (let i = 0; i < N; i += 1000) {
  const points = Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ id: i + j, vector: vec(), metadata: { t: (i + j) % 2 ? 'a' : 'b', n: i + j } }));
  const r = await req('POST', '/api/v1/collections/amp/points', { points });
  if (r.status !== 200) throw new Error(`ingest: ${r.status} ${r.text}`);
}

const rssMb = () => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return NaN;
  }
};

interface Probe {
  /** Date.now() when the probe started. */
  at: number;
  /** Until the answer, and until the connection was established (ms); Infinity for a failure. */
  ms: number;
  connectMs: number;
}

/**
 * Probes /health/live every `everyMs` from a process of its own (as a platform's prober is:
 * this process's event loop is busy generating the load), each time on a fresh connection,
 * until stopped.
 */
function prober(everyMs: number): { stop: () => Promise<Probe[]> } {
  const script = `
    const http = require('node:http');
    const out = [];
    let running = true;
    process.stdin.on('data', () => (running = false));
    (async () => {
      while (running) {
        const t0 = performance.now();
        const p = { at: Date.now(), ms: null, connectMs: null };
        await new Promise((res) => {
          const r = http.get(${JSON.stringify(base + '/health/live')}, { agent: false }, (resp) => {
            resp.resume();
            resp.on('end', () => { p.ms = performance.now() - t0; res(); });
          });
          r.on('socket', (sock) => sock.on('connect', () => (p.connectMs = performance.now() - t0)));
          r.on('error', () => res());
        });
        out.push(p);
        await new Promise((res) => setTimeout(res, Math.max(0, ${everyMs} - (performance.now() - t0))));
      }
      process.stdout.write(JSON.stringify(out));
      process.exit(0);
    })();`;
  const p = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<void>((r) => p.once('exit', () => r()));
  return {
    stop: async () => {
      p.stdin!.write('stop\n');
      await ended;
      return (JSON.parse(out) as { at: number; ms: number | null; connectMs: number | null }[]).map((x) => ({ at: x.at, ms: x.ms ?? Infinity, connectMs: x.connectMs ?? Infinity }));
    },
  };
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
interface Watched<T> {
  value: T;
  rssBefore: number;
  rssPeak: number;
  /** Liveness probes while `fn` ran. */
  live: Probe[];
  /** Connections the kernel had established and the service not yet accepted: the most seen, and when it was last above zero. */
  backlogPeak: number;
  backlogUntil: number;
}
/** Connections waiting in the service's accept queue (the listening socket's Recv-Q). */
const backlog = () => Number(execSync(`ss -Hltn "sport = :${port}"`).toString().trim().split(/\s+/)[1] ?? 0);
/** Runs `fn` with RSS sampled every 20 ms, the accept queue every 250 ms, and liveness probed every `probeEveryMs`. */
async function watched<T>(fn: () => Promise<T>, probeEveryMs = 100): Promise<Watched<T>> {
  const rssBefore = rssMb();
  let rssPeak = rssBefore;
  let backlogPeak = 0;
  let backlogUntil = Date.now();
  const t = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb())), 20);
  const q = setInterval(() => {
    const n = backlog();
    backlogPeak = Math.max(backlogPeak, n);
    if (n > 0) backlogUntil = Date.now();
  }, 250);
  const p = prober(probeEveryMs);
  try {
    const value = await fn();
    return { value, rssPeak, rssBefore, live: await p.stop(), backlogPeak, backlogUntil };
  } finally {
    clearInterval(t);
    clearInterval(q);
  }
}
const liveText = (probes: Probe[]) => {
  const live = probes.map((x) => x.ms);
  return `liveness (${live.length} probes) p50 ${pct(live, 50).toFixed(0)} ms, p99 ${pct(live, 99).toFixed(0)} ms, max ${Math.max(...live).toFixed(0)} ms, ${live.filter((x) => x > 1000).length} over 1 s`;
};
const short = (s: string) => s.replace(/\s+/g, ' ').slice(0, 110);
const lines: string[] = [];

// ---- amplification ----------------------------------------------------------------------------
if (runs('amplification')) {
  const trials: [string, () => unknown][] = [
    ['10,000 queries, k=1000', () => ({ vectors: Array.from({ length: 10_000 }, vec), k: 1000 })],
    ['1,000 queries, filter matching nothing', () => ({ vectors: Array.from({ length: 1000 }, vec), k: 10, filter: { must: [{ key: 't', match: { value: 'none' } }] } })],
    ['1 query, match.any of 10,000 values', () => ({ vector: vec(), k: 10, filter: { must: [{ key: 't', match: { any: Array.from({ length: 10_000 }, (_, i) => `v${i}`) } }] } })],
  ];
  if (a['any-200k']) trials.push(['1 query, match.any of 200,000 values', () => ({ vector: vec(), k: 10, filter: { must: [{ key: 't', match: { any: Array.from({ length: 200_000 }, (_, i) => `v${i}`) } }] } })]);
  for (const [name, make] of trials) {
    const body = JSON.stringify(make());
    const w = await watched(async () => {
      const search = req('POST', '/api/v1/collections/amp/search', body);
      // A write sent while the search runs: every write waits for every replica.
      await new Promise((r) => setTimeout(r, 200));
      const write = req('POST', '/api/v1/collections/amp/points', { points: [{ id: 'w', vector: vec() }] });
      return { search: await search, write: await write };
    });
    const s = w.value.search;
    lines.push(
      `${name} (${(body.length / 1024).toFixed(0)} KB): ${s.status} in ${(s.ms / 1000).toFixed(2)} s "${short(s.text)}"; RSS ${w.rssBefore.toFixed(0)} -> peak ${w.rssPeak.toFixed(0)} MB; ` +
        `${liveText(w.live)}; a 1-point write sent 200 ms in: ${w.value.write.status} in ${(w.value.write.ms / 1000).toFixed(2)} s`,
    );
    console.error(lines.at(-1));
  }
}

// ---- slot leak --------------------------------------------------------------------------------
if (runs('leak') && LEAK > 0) {
  // Written out by hand: deeper than JSON.stringify goes.
  const deep = `${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}`;
  const body = `{"vector":${JSON.stringify(vec())},"k":1,"filter":{"must":[{"key":"t","match":{"value":${deep}}}]}}`;
  const statuses = new Map<number, number>();
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (sent < LEAK) {
        sent++;
        const r = await req('POST', '/api/v1/collections/amp/search', body);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }),
  );
  const after = await req('POST', '/api/v1/collections/amp/search', { vector: vec(), k: 1 });
  const ready = await req('GET', '/health/ready');
  lines.push(
    `${LEAK} searches with a filter value nested 6,000 levels in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${[...statuses].map(([c, n]) => `${n} x ${c}`).join(', ')}; ` +
      `then a plain search: ${after.status} "${short(after.text)}"; /health/ready: ${ready.status}`,
  );
  console.error(lines.at(-1));
}

// ---- overload ---------------------------------------------------------------------------------
if (runs('overload')) {
  const trials: [string, () => string][] = [
    ['single searches', () => JSON.stringify({ vector: vec(), k: 10 })],
    ['single searches under a filter matching nothing', () => JSON.stringify({ vector: vec(), k: 10, filter: { must: [{ key: 't', match: { value: 'none' } }] } })],
  ].filter((_, i) => !a.overload || a.overload.split(',').includes(['single', 'filter'][i]!)) as [string, () => string][];
  for (const [name, make] of trials) {
    const bodies = Array.from({ length: 2000 }, make);
    const load = new Pool(base, { connections: CONNECTIONS, pipelining: 1, headersTimeout: 600_000, bodyTimeout: 600_000 });
    const lat = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    const statuses = new Map<number, number>();
    let retryAfter = 0;
    const reasons = new Map<string, number>();
    let i = 0;
    const started = Date.now();
    const w = await watched(async () => {
      const end = performance.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (performance.now() < end) {
            const t0 = performance.now();
            try {
              const r = await load.request({ method: 'POST', path: '/api/v1/collections/amp/search', headers: { 'content-type': 'application/json' }, body: bodies[i++ % bodies.length] });
              const text = await r.body.text();
              if (r.headers['retry-after'] !== undefined) retryAfter++;
              statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
              if (r.statusCode !== 200) {
                const why = /"error":"([^":;(]*)/.exec(text)?.[1] ?? text.slice(0, 40);
                reasons.set(why, (reasons.get(why) ?? 0) + 1);
              }
            } catch {
              statuses.set(0, (statuses.get(0) ?? 0) + 1);
            }
            lat.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          }
        }),
      );
    }, 50);
    const after = w.live.filter((x) => x.at > w.backlogUntil + 250);
    await load.close();
    lines.push(
      `${CONNECTIONS} connections x ${SECONDS} s, ${name}: ${[...statuses].map(([c, n]) => `${n} x ${c === 0 ? 'socket error' : c}`).join(', ')} (${retryAfter} with Retry-After); ` +
        `${[...reasons].map(([why, n]) => `${n} "${why.trim()}"`).join(', ')}; ` +
        `answer p50 ${(lat.getValueAtPercentile(50) / 1000).toFixed(0)} ms p99 ${(lat.getValueAtPercentile(99) / 1000).toFixed(0)} ms; RSS ${w.rssBefore.toFixed(0)} -> peak ${w.rssPeak.toFixed(0)} MB; ` +
        `all probes: ${liveText(w.live)}; accept queue up to ${w.backlogPeak} connections, empty ${((w.backlogUntil - started) / 1000).toFixed(1)} s in; ` +
        `probes started once it was empty: ${after.length ? liveText(after) : 'none'}`,
    );
    console.error(lines.at(-1));
  }
}

child.kill('SIGTERM');
await exited;
await pool.close();
await admin.query(`DROP DATABASE ${db} WITH (FORCE)`);
await admin.end();
{
  const { Redis } = await import('ioredis');
  const r = new Redis();
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
}
console.log(`\nruvector overload trials: ${dir}, ${N} points x ${DIM}-d, 2 search workers${a.env ? `, ${a.env}` : ''}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (${availableParallelism()} CPUs)\n`);
for (const l of lines) console.log(`* ${l}`);
