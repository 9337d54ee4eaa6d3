/**
 * npm run bench:cold-start [-- --sizes 10000,50000,100000 --dim 128 --workers 2]
 *
 * How long the service takes to load its index at a cold start, by the number of rows, and
 * whether every acknowledged write comes back. Per size: a fresh database; N points written
 * through the HTTP API (each batch acknowledged, so durable in Postgres), a snapshot taken
 * (RUVS shards and the saved HNSW graph, in the GCP emulator's Cloud Storage); then the
 * service started as a child process, as the container runs it, three ways:
 *   postgres  no STORAGE_BUCKET: the change feed replays every row from Postgres
 *   graph     the snapshot's saved HNSW graph, then the feed after it
 *   shards    the snapshot's shards re-indexed (the graph struck from the manifest)
 * Each start is timed from spawn to /health/startup 200 ("load": from the "listening" line,
 * so without Node's own start), with the child's CPU time over the load (all its threads,
 * from /proc). Then every
 * acknowledged id is read back by id and searched for by its own vector (k = 1; a miss is
 * searched again with ef = 2000, which tells HNSW's approximation from a point not in the
 * graph). Baseline, in the same run: hnswlib-node building the same rows in this process,
 * one thread, nothing else (what a cold start from Postgres cannot beat). Ratios are against
 * the smallest size, the bare build and the postgres start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { startEmulator } from '../src/emulator/server.js';
import { loadConfig } from '../service/src/config.js';
import { createLogger } from '../service/src/log.js';
import { startServer } from '../service/src/server.js';
import { SERVICE_NODE_FLAGS } from '../service/src/node-flags.js';
import { chooseHnswBuild, loadHnswlib } from '../service/src/index/hnswlib.js';

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,50000,100000' },
    dim: { type: 'string', default: '128' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '7' },
  },
});
const SIZES = a.sizes!.split(',').map((s) => Number(s.trim()));
const DIM = Number(a.dim);
const WORKERS = a.workers!;
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(DIM) || DIM < 1) throw new Error('--sizes and --dim take positive integers');
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgUrl = new URL(PG_URL);
const BUCKET = 'ruvector-bench-cold-start';
const CLK_TCK = 100; // Linux USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

function mulberry(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const b64 = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

/** utime + stime of every thread of the process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

const emu = await startEmulator({ port: 0, host: '127.0.0.1', latencyScale: 0 });
const gcs = async (method: string, path: string, body?: string) => {
  const r = await fetch(emu.url + path, { method, headers: { 'content-type': 'application/json' }, body });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r;
};
await gcs('POST', '/storage/v1/b?project=bench', JSON.stringify({ name: BUCKET }));

interface Start {
  way: 'postgres' | 'graph' | 'shards';
  n: number;
  totalS: number;
  loadS: number;
  cpuS: number;
  count: number;
  invisibleById: number;
  /** Not the nearest to its own vector at the default ef ... */
  missedBySearch: number;
  /** ... nor at ef = 2000. */
  notFoundBySearch: number;
}
const results: Start[] = [];
const bare = new Map<number, { wallS: number; cpuS: number }>();
const hnswBuild = chooseHnswBuild('auto');

/** The same rows into one in-process index, as the service's replica builds it. */
function bareBuild(vecs: Float32Array[]): { wallS: number; cpuS: number } {
  const index = new (loadHnswlib(hnswBuild).HierarchicalNSW)('l2', DIM);
  index.initIndex({ maxElements: vecs.length, m: 32, efConstruction: 200, randomSeed: 100 });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  vecs.forEach((v, i) => index.addPoint(Array.from(v), i));
  const cpu = process.cpuUsage(c0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 };
}

for (const n of SIZES) {
  const db = `ruvector_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const apiKey = randomBytes(16).toString('hex');
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DB_HOST: pgUrl.hostname,
    DB_PORT: pgUrl.port || '5432',
    DB_USER: decodeURIComponent(pgUrl.username || 'postgres'),
    ...(pgUrl.password ? { DB_PASSWORD: decodeURIComponent(pgUrl.password) } : {}),
    DB_NAME: db,
    REDIS_KEY_PREFIX: `${db}:`,
    RUVECTOR_API_KEY: apiKey,
    RATE_LIMIT_PER_MINUTE: '1000000000',
    CHANGEFEED_POLL_MS: '0',
    SNAPSHOT_INTERVAL_SECONDS: '0',
    STORAGE_EMULATOR_HOST: emu.url,
    LOG_LEVEL: 'warn',
  };
  const rand = mulberry(Number(a.seed) + n);
  const vecs = Array.from({ length: n }, () => Float32Array.from({ length: DIM }, () => rand() * 2 - 1));

  // ---- N acknowledged writes and a snapshot (in-process; not measured) -----------------------
  const writerCfg = loadConfig({ ...env, STORAGE_BUCKET: BUCKET, SEARCH_WORKERS: '1' });
  const writer = await startServer(writerCfg, { logger: createLogger(writerCfg) });
  await writer.started;
  const wp = new Pool(writer.url, { connections: 4 });
  const post = async (pool: Pool, path: string, body: unknown) => {
    const r = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', 'api-key': apiKey }, body: JSON.stringify(body) });
    const text = await r.body.text();
    return { status: r.statusCode, json: text ? JSON.parse(text) : undefined };
  };
  if ((await post(wp, '/api/v1/collections', { name: 'cold', dimension: DIM, metric: 'l2' })).status !== 201) throw new Error('create collection failed');
  const acked: number[] = [];
  const t0 = performance.now();
  for (let from = 0; from < n; from += 5000) {
    const points = [];
    for (let i = from; i < Math.min(n, from + 5000); i++) points.push({ id: i, vector: b64(vecs[i]!) });
    const r = await post(wp, '/api/v1/collections/cold/points', { points });
    if (r.status !== 200) throw new Error(`ingest: ${r.status} ${JSON.stringify(r.json)}`);
    acked.push(...points.map((p) => p.id));
  }
  console.error(`n=${n}: ${acked.length} writes acknowledged in ${((performance.now() - t0) / 1000).toFixed(1)} s; snapshot...`);
  await writer.snapshot();
  await wp.close();
  await writer.close();

  // ---- cold starts -------------------------------------------------------------------------
  const manifestPath = `/storage/v1/b/${BUCKET}/o/${encodeURIComponent('metadata/manifest.json')}`;
  const manifest = await (await gcs('GET', `${manifestPath}?alt=media`)).text();
  for (const way of ['postgres', 'graph', 'shards'] as const) {
    const m = JSON.parse(manifest) as { latest: { collections: { index?: unknown }[] } };
    if (way === 'shards') for (const c of m.latest.collections) delete c.index;
    await gcs('POST', `/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent('metadata/manifest.json')}`, JSON.stringify(m));
    const child = await startChild({ ...env, SEARCH_WORKERS: WORKERS, ...(way === 'postgres' ? {} : { STORAGE_BUCKET: BUCKET }) });
    const pool = new Pool(child.url, { connections: 4 });
    try {
      const count = (await (await pool.request({ method: 'GET', path: '/api/v1/collections/cold' })).body.json() as { count: number }).count;
      let invisibleById = 0;
      for (let i = 0; i < n; i += 1000) {
        const ids = acked.slice(i, i + 1000);
        const r = await post(pool, '/api/v1/collections/cold/points/get', { ids, with_vector: false });
        const have = new Set((r.json.points as { id: string }[]).map((p) => p.id));
        invisibleById += ids.filter((id) => !have.has(String(id))).length;
      }
      const missed: number[] = [];
      const nearest = async (ids: number[], ef?: number) => {
        const r = await post(pool, '/api/v1/collections/cold/search', { vectors: ids.map((id) => b64(vecs[id]!)), k: 1, with_metadata: false, ...(ef ? { ef } : {}) });
        if (r.status !== 200) throw new Error(`search: ${r.status} ${JSON.stringify(r.json)}`);
        return (r.json.results as { id: string }[][]).map((hits, j) => (hits[0]?.id === String(ids[j]) ? undefined : ids[j]!)).filter((id) => id !== undefined);
      };
      for (let i = 0; i < n; i += 32) missed.push(...(await nearest(acked.slice(i, i + 32))));
      let notFoundBySearch = 0;
      for (let i = 0; i < missed.length; i += 32) notFoundBySearch += (await nearest(missed.slice(i, i + 32), 2000)).length;
      results.push({ way, n, totalS: child.totalS, loadS: child.loadS, cpuS: child.cpuS, count, invisibleById, missedBySearch: missed.length, notFoundBySearch });
      console.error(`n=${n} ${way}: started in ${child.totalS.toFixed(2)} s (load ${child.loadS.toFixed(2)} s, CPU ${child.cpuS.toFixed(2)} s); count ${count}, invisible by id ${invisibleById}, own vector not nearest ${missed.length} (at ef 2000: ${notFoundBySearch})`);
    } finally {
      await pool.close();
      await stopChild(child.proc);
    }
  }
  bare.set(n, bareBuild(vecs));
  console.error(`n=${n} bare hnswlib build: ${bare.get(n)!.wallS.toFixed(2)} s (CPU ${bare.get(n)!.cpuS.toFixed(2)} s)`);
  await admin.query(`DROP DATABASE ${db} WITH (FORCE)`);
  await admin.end();
  const redis = new Redis({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${db}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  // The next size gets a bucket of its own content.
  const list = (await (await gcs('GET', `/storage/v1/b/${BUCKET}/o`)).json()) as { items?: { name: string }[] };
  for (const o of list.items ?? []) await gcs('DELETE', `/storage/v1/b/${BUCKET}/o/${encodeURIComponent(o.name)}`);
}
await emu.stop();

// ---- report --------------------------------------------------------------------------------
const n0 = SIZES[0]!;
const base = (way: Start['way']) => results.find((r) => r.way === way && r.n === n0)!;
const x = (v: number) => `${v.toFixed(2)}x`;
console.log(`\nruvector cold start: dim ${DIM}, l2, ${WORKERS} search workers (replicas), HNSW M=32 efConstruction=200 (${hnswBuild}), points written through the API; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)} at the end`);
console.log(`start     rows     total s  load s   CPU s | per row vs ${String(n0).padEnd(7)}| vs bare build  |  vs postgres |   count  invisible  not nearest  not found`);
console.log(`${' '.repeat(43)}|   load     CPU  |   load    CPU  |     (load)   |                     (k = 1)  (ef 2000)`);
for (const r of results) {
  const b = base(r.way);
  const pgStart = results.find((y) => y.way === 'postgres' && y.n === r.n)!;
  const bb = bare.get(r.n)!;
  console.log(
    [
      r.way.padEnd(9),
      String(r.n).padEnd(8),
      r.totalS.toFixed(2).padStart(7),
      r.loadS.toFixed(2).padStart(7),
      r.cpuS.toFixed(2).padStart(7),
      '|',
      x(r.loadS / r.n / (b.loadS / b.n)).padStart(6),
      x(r.cpuS / r.n / (b.cpuS / b.n)).padStart(7),
      ' |',
      x(r.loadS / bb.wallS).padStart(6),
      x(r.cpuS / bb.cpuS).padStart(6),
      ' |',
      (r.way === 'postgres' ? '-' : `${(pgStart.loadS / r.loadS).toFixed(1)}x faster`).padStart(11),
      ' |',
      String(r.count).padStart(7),
      String(r.invisibleById).padStart(10),
      String(r.missedBySearch).padStart(12),
      String(r.notFoundBySearch).padStart(10),
    ].join(' '),
  );
}
for (const [n, bb] of bare) console.log(`bare hnswlib build, ${n} rows: ${bb.wallS.toFixed(2)} s, CPU ${bb.cpuS.toFixed(2)} s (per row ${x(bb.cpuS / n / (bare.get(n0)!.cpuS / n0))} vs ${n0})`);
console.log('load/row, CPU/row: per-row load time and CPU against the smallest size (1.00x = linear). vs bare: against one in-process hnswlib build of the same rows.');
console.log('invisible: acknowledged ids GET did not return. not nearest: ids whose own vector did not find them at k = 1 (HNSW is approximate); not found: not at ef = 2000 either.');

// ---- the child ---------------------------------------------------------------------------
async function startChild(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string; totalS: number; loadS: number; cpuS: number }> {
  const entry = existsSync('dist/service/src/main.js') ? ['dist/service/src/main.js'] : ['--import', 'tsx', 'service/src/main.ts'];
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...entry], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8192)));
  let listening = 0;
  let cpuAtListening = 0;
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"address":"(http:[^"]+)".*"message":"listening"/.exec(buf);
      if (m && !listening) {
        listening = performance.now();
        cpuAtListening = cpuSeconds(proc.pid!);
        resolve(m[1]!);
      }
      if (buf.length > 1 << 20) buf = buf.slice(-4096);
    });
    proc.on('exit', (c) => reject(new Error(`service exited ${c}: ${stderr}`)));
  });
  for (;;) {
    const r = await fetch(`${url}/health/startup`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const end = performance.now();
  const cpuS = cpuSeconds(proc.pid!) - cpuAtListening;
  return { proc, url, totalS: (end - t0) / 1000, loadS: (end - listening) / 1000, cpuS };
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await done;
}
