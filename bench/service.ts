/**
 * npm run bench:service [-- --n 100000 --queries 500 --seconds 8 --workers N --profile DIR]
 *
 * Seeded clustered, anisotropic 128-d data; exact brute-force ground truth; the service over
 * HTTP (a child process, real Postgres and Redis) beside in-process hnswlib-node on the same
 * data in the same run. Prints ingest rate, recall@10, QPS and p50/p99 at concurrency 1/16/64,
 * and the ceiling: in-process searches on as many threads as the service has workers.
 */
import { Pool } from 'undici';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SERVICE_NODE_FLAGS } from '../service/src/node-flags.js';
import { avx2AddonPath, chooseHnswBuild, loadHnswlib, type HnswBuildChoice } from '../service/src/index/hnswlib.js';
import { inProcessThreads } from './ceiling.js';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import pg from 'pg';
import { closedLoop, prepare } from './loadgen.js';
import { createPrng } from '../src/util/prng.js';

const { values: a } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string', default: '500' },
    clusters: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '8' },
    workers: { type: 'string' },
    /** Writes V8 CPU profiles of the service (main thread and each worker) to this directory. */
    profile: { type: 'string' },
    /** Extra node flags for the service process, e.g. "--max-semi-space-size=32". */
    'node-flags': { type: 'string' },
    seed: { type: 'string', default: '42' },
    /** Only these load rows (comma-separated indexes into the list of HTTP rows), for profiling one. */
    rows: { type: 'string' },
  },
});
const N = Number(a.n);
const DIM = Number(a.dim);
const NQ = Number(a.queries);
const CLUSTERS = Number(a.clusters);
const SECONDS = Number(a.seconds);
const M = 32;
const EFC = 200;
const EF = 100;
const K = 10;
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---- data ---------------------------------------------------------------------------------
const rand = createPrng(Number(a.seed));
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** Cluster centres, and per cluster a per-axis spread drawn log-uniformly over 0.02..1 (anisotropic). */
const centres = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIM }, () => gauss() * 2));
const spreads = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIM }, () => Math.exp(Math.log(0.02) * rand())));
function sample(): Float32Array {
  const c = Math.floor(rand() * CLUSTERS);
  const v = new Float32Array(DIM);
  for (let j = 0; j < DIM; j++) v[j] = centres[c]![j]! + gauss() * spreads[c]![j]!;
  return v;
}
const t0 = performance.now();
const data = Array.from({ length: N }, sample);
// Enough distinct queries that the HTTP runs never repeat one (no search-cache hits).
const LOAD_QUERIES = 60_000;
const queries = Array.from({ length: Math.max(NQ, LOAD_QUERIES) }, sample);
console.error(`data: ${N} x ${DIM} in ${CLUSTERS} anisotropic clusters, ${queries.length} queries (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

// ---- ground truth ---------------------------------------------------------------------------
const t1 = performance.now();
const truth: Int32Array[] = [];
for (let qi = 0; qi < NQ; qi++) {
  const q = queries[qi]!;
  const bestD = new Float64Array(K).fill(Infinity);
  const bestI = new Int32Array(K).fill(-1);
  for (let i = 0; i < N; i++) {
    const v = data[i]!;
    let d = 0;
    for (let j = 0; j < DIM; j++) {
      const x = v[j]! - q[j]!;
      d += x * x;
    }
    if (d < bestD[K - 1]!) {
      let p = K - 1;
      while (p > 0 && bestD[p - 1]! > d) {
        bestD[p] = bestD[p - 1]!;
        bestI[p] = bestI[p - 1]!;
        p--;
      }
      bestD[p] = d;
      bestI[p] = i;
    }
  }
  truth.push(bestI);
}
console.error(`ground truth: ${NQ} queries brute force (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
const recall = (qi: number, ids: number[]) => {
  const t = new Set(truth[qi]);
  return ids.slice(0, K).filter((i) => t.has(i)).length / K;
};

function rssMb(pid: number | 'self'): number {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)![1]) / 1024;
}

// ---- in-process hnswlib-node ----------------------------------------------------------------
/** CPU seconds (user + system) per thread of a process, from /proc (clock ticks are 1/100 s). */
function threadCpu(pid: number | 'self'): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}
/**
 * Where the CPU went during a run, in µs per query: the service's main thread, its search
 * workers (the `workers` busiest other threads), its remaining threads (V8's GC helpers,
 * libuv), and the load generator (this process).
 */
interface CpuSplit {
  main: number;
  workers: number;
  rest: number;
  loadgen: number;
}
function cpuDelta(before: Map<number, number>, after: Map<number, number>, mainTid: number, workers: number): Omit<CpuSplit, 'loadgen'> {
  const others: number[] = [];
  let main = 0;
  for (const [tid, t] of after) {
    const d = t - (before.get(tid) ?? 0);
    if (tid === mainTid) main = d;
    else others.push(d);
  }
  others.sort((x, y) => y - x);
  const sum = (xs: number[]) => xs.reduce((acc, x) => acc + x, 0);
  return { main, workers: sum(others.slice(0, workers)), rest: sum(others.slice(workers)) };
}
interface Row {
  name: string;
  ingest?: number;
  recall?: number;
  qps: number;
  p50: number;
  p99: number;
  cpu?: CpuSplit;
  /** Wall µs per query inside hnswlib in the service's workers (ruvector_index_query_seconds). */
  inIndex?: number;
}
const rows: Row[] = [];
// The baseline runs the same compiled hnswlib-node as the service (HNSW_BUILD, passed through to it).
const hnswBuild = chooseHnswBuild((process.env.HNSW_BUILD ?? 'auto') as HnswBuildChoice);
const hnswlib = loadHnswlib(hnswBuild);
const rssBefore = rssMb('self');
const idx = new hnswlib.HierarchicalNSW('l2', DIM);
idx.initIndex({ maxElements: N, m: M, efConstruction: EFC, randomSeed: 100 });
const t2 = performance.now();
for (let i = 0; i < N; i++) idx.addPoint(Array.from(data[i]!), i);
const inprocIngest = N / ((performance.now() - t2) / 1000);
const replicaMb = rssMb('self') - rssBefore;
idx.setEf(EF);
/** The single-thread baseline: searchKnn in a loop for SECONDS (the same data, ef and k). */
function inProcess(name: string): Row {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  for (let qi = 0; qi < 200; qi++) idx.searchKnn(Array.from(queries[qi]!), K); // warm the caches again
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const ts = performance.now();
  while (performance.now() < end) {
    const q = Array.from(queries[n % queries.length]!);
    const s = process.hrtime.bigint();
    idx.searchKnn(q, K);
    h.recordValue(Number(process.hrtime.bigint() - s) / 1000);
    n++;
  }
  const qps = n / ((performance.now() - ts) / 1000);
  return { name, qps, p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, inIndex: 1e6 / qps };
}
{
  let rsum = 0;
  for (let qi = 0; qi < NQ; qi++) rsum += recall(qi, idx.searchKnn(Array.from(queries[qi]!), K).neighbors);
  rows.push({ ...inProcess('in-process hnswlib-node, 1 thread, before the HTTP runs'), ingest: inprocIngest, recall: rsum / NQ });
  console.error(`in-process: ingest ${inprocIngest.toFixed(0)}/s, index RSS ~${replicaMb.toFixed(0)} MB`);
}
// The ceiling: as many in-process threads as the service has workers, a replica each, no server.
const ceilingFile = join(tmpdir(), `ruvector-bench-${process.pid}.hnsw`);
idx.writeIndexSync(ceilingFile);
const ceilingThreads = a.workers ? Number(a.workers) : (await import('node:os')).availableParallelism();
const ceiling = await inProcessThreads(ceilingThreads, {
  file: ceilingFile,
  addon: hnswBuild === 'avx2' ? avx2AddonPath() : createRequire(import.meta.url).resolve('hnswlib-node'),
  space: 'l2',
  dim: DIM,
  ef: EF,
  k: K,
  seconds: SECONDS,
  queries: queries.slice(NQ),
});
rmSync(ceilingFile, { force: true });
rows.push({ name: `in-process hnswlib-node, ${ceilingThreads} threads (a replica each; no server can pass this)`, qps: ceiling.qps, p50: NaN, p99: NaN, inIndex: (1e6 * ceilingThreads) / ceiling.qps });

// ---- the service over HTTP ------------------------------------------------------------------
const db = `ruvector_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${db}`);
const pgUrl = new URL(PG_URL);
const apiKey = randomBytes(16).toString('hex');
const prefix = `${db}:`;
const entry = existsSync('dist/service/src/main.js') ? ['dist/service/src/main.js'] : ['--import', 'tsx', 'service/src/main.ts'];
const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...(a['node-flags']?.split(' ').filter(Boolean) ?? []), ...(a.profile ? ['--cpu-prof', `--cpu-prof-dir=${a.profile}`] : []), ...entry], {
  env: {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DB_HOST: pgUrl.hostname,
    DB_PORT: pgUrl.port || '5432',
    DB_USER: decodeURIComponent(pgUrl.username || 'postgres'),
    DB_NAME: db,
    REDIS_KEY_PREFIX: prefix,
    RUVECTOR_API_KEY: apiKey,
    HNSW_M: String(M),
    HNSW_EF_CONSTRUCTION: String(EFC),
    HNSW_EF_SEARCH: String(EF),
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'info',
    ...(a.workers ? { SEARCH_WORKERS: a.workers } : {}),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const base = await new Promise<string>((resolve, reject) => {
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const m = /"address":"(http:[^"]+)".*"message":"listening"/.exec(buf);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (c) => reject(new Error(`service exited ${c}`)));
});
// undici rather than node:http as the load generator: node:http's client spends ~100 µs of
// CPU per request, which on a 2-core machine is taken straight from the service under test.
const u = new URL(base);
const pool = new Pool(base, { connections: 128, pipelining: 1 });
async function req(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const r = await pool.request({ method, path, headers: { 'content-type': 'application/json', 'api-key': apiKey }, body: payload });
  const t = await r.body.text();
  return { status: r.statusCode, json: t ? JSON.parse(t) : undefined };
}
for (;;) {
  const r = await req('GET', '/health/startup').catch(() => ({ status: 0, json: undefined }));
  if (r.status === 200) break;
  await new Promise((r) => setTimeout(r, 200));
}
const ready = await req('GET', '/health/ready');
const nWorkers = a.workers ? Number(a.workers) : (await import('node:os')).availableParallelism();
await req('POST', '/api/v1/collections', { name: 'bench', dimension: DIM, metric: 'l2' });
const rssIdle = rssMb(child.pid!);
const t3 = performance.now();
const BATCH = 1000;
let next = 0;
async function ingester(): Promise<void> {
  while (next < N) {
    const start = next;
    next += BATCH;
    const points = [];
    for (let i = start; i < Math.min(start + BATCH, N); i++) points.push({ id: i, vector: Array.from(data[i]!) });
    const r = await req('POST', '/api/v1/collections/bench/points', { points });
    if (r.status !== 200) throw new Error(`ingest failed: ${r.status} ${JSON.stringify(r.json)}`);
  }
}
await Promise.all([ingester(), ingester()]);
const httpIngest = N / ((performance.now() - t3) / 1000);
const rssLoaded = rssMb(child.pid!);
console.error(`service: ingest ${httpIngest.toFixed(0)}/s over HTTP (durable in Postgres, ${nWorkers} replicas), RSS ${rssIdle.toFixed(0)} -> ${rssLoaded.toFixed(0)} MB`);

let httpRecall = 0;
for (let qi = 0; qi < NQ; qi++) {
  const r = await req('POST', '/api/v1/collections/bench/search', { vector: Array.from(queries[qi]!), k: K });
  httpRecall += recall(qi, r.json.results.map((x: { id: string }) => Number(x.id)));
}
httpRecall /= NQ;

// Requests are serialised before the clock starts, as wrk replays prepared requests.
const BATCH_QUERIES = 16;
const searchPath = '/api/v1/collections/bench/search';
const host = `${u.hostname}:${u.port}`;
// The recall queries above may be cached: the load runs use the others.
type Encoding = 'json' | 'base64';
const encode = (q: Float32Array, e: Encoding) => (e === 'json' ? Array.from(q) : Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString('base64'));
const loadQueries = queries.slice(NQ);
function prepared(perRequest: number, e: Encoding): Buffer[] {
  return Array.from({ length: Math.floor(loadQueries.length / perRequest) }, (_, b) => {
    const qs = loadQueries.slice(b * perRequest, (b + 1) * perRequest);
    const body = perRequest === 1 ? { vector: encode(qs[0]!, e), k: K } : { vectors: qs.map((q) => encode(q, e)), k: K };
    return prepare(host, searchPath, JSON.stringify(body));
  });
}
let cursor = 0;
/**
 * Searches at `concurrency` requests in flight for SECONDS. With `perRequest` > 1 the batch
 * API (`vectors: [...]`) carries that many queries per request, so the HTTP and JSON cost per
 * query shrinks; QPS counts queries, p50/p99 are per request.
 */
/** The service's own account of time inside HNSW: [sum seconds, count]. */
async function indexTime(): Promise<[number, number]> {
  const text = await (await pool.request({ method: 'GET', path: '/metrics' })).body.text();
  const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return [num('ruvector_index_query_seconds_sum'), num('ruvector_index_query_seconds_count')];
}
async function load(concurrency: number, perRequest: 1 | typeof BATCH_QUERIES = 1, e: Encoding = 'json'): Promise<Row> {
  const requests = prepared(perRequest, e);
  const [sum0, count0] = await indexTime();
  const svcBefore = threadCpu(child.pid!);
  const genBefore = process.cpuUsage();
  const res = await closedLoop(Number(u.port), concurrency, SECONDS, () => requests[cursor++ % requests.length]!);
  const n = res.requests * perRequest;
  const svc = cpuDelta(svcBefore, threadCpu(child.pid!), child.pid!, nWorkers);
  const [sum1, count1] = await indexTime();
  const gen = process.cpuUsage(genBefore);
  const perQuery = (sec: number) => (sec * 1e6) / n;
  const cpu = { main: perQuery(svc.main), workers: perQuery(svc.workers), rest: perQuery(svc.rest), loadgen: perQuery((gen.user + gen.system) / 1e6) };
  const how = `${e === 'base64' ? 'base64 vectors, ' : ''}${perRequest === 1 ? '' : `${perRequest} queries/request, `}concurrency ${concurrency}`;
  const name = `service over HTTP, ${how}${perRequest === 1 ? '' : ' (p50/p99 per request)'}`;
  return { name, qps: n / res.seconds, p50: res.latency.getValueAtPercentile(50) / 1000, p99: res.latency.getValueAtPercentile(99) / 1000, cpu, inIndex: ((sum1 - sum0) / (count1 - count0)) * 1e6 };
}
const plan: [number, 1 | typeof BATCH_QUERIES, Encoding][] = [
  [1, 1, 'json'],
  [16, 1, 'json'],
  [64, 1, 'json'],
  [8, BATCH_QUERIES, 'json'],
  [64, BATCH_QUERIES, 'json'],
  [16, 1, 'base64'],
  [64, 1, 'base64'],
  [64, BATCH_QUERIES, 'base64'],
];
const only = a.rows?.split(',').map(Number);
const httpRows: Row[] = [];
for (const [i, [c, per, e]] of plan.entries()) if (!only || only.includes(i)) httpRows.push(await load(c, per, e));
httpRows[0]!.ingest = httpIngest;
httpRows[0]!.recall = httpRecall;
rows.push(...httpRows);
// Measured again once the service has stopped: this shared machine's speed drifts over minutes,
// so the ratios use the mean of the two baselines and the report shows both.
const baselineAfter = () => rows.push(inProcess('in-process hnswlib-node, 1 thread, after the HTTP runs'));
const metrics = await (await pool.request({ method: 'GET', path: '/metrics' })).body.text();
const hits = Number(/ruvector_search_cache_total\{result="hit"\} (\d+)/.exec(metrics)?.[1] ?? 0);

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
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

// ---- report ---------------------------------------------------------------------------------
baselineAfter();
const baselines = rows.filter((r) => r.name.startsWith('in-process hnswlib-node, 1 thread'));
const single = baselines.reduce((acc, r) => acc + r.qps, 0) / baselines.length;
const f = (x: number | undefined, d = 0) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(d));
console.log(`\nruvector service benchmark: N=${N} dim=${DIM} clusters=${CLUSTERS} (anisotropic), M=${M} efConstruction=${EFC} ef=${EF} k=${K}`);
console.log(`machine: ${(await import('node:os')).availableParallelism()} vCPU shared with the load generator; service search workers: ${nWorkers}; hnswlib-node build: ${hnswBuild}; Redis ${ready.json.checks.redis}; ${SECONDS}s per load level; search cache hits during load: ${hits}\n`);
// What a server that cost nothing would reach: the cores split between searching at the
// ceiling's CPU per query and the load generator's measured CPU per query.
const cores = (await import('node:os')).availableParallelism();
const searchCpu = (1e6 * ceilingThreads) / ceiling.qps;
const bound = (r: Row) => (r.cpu ? (cores * 1e6) / (searchCpu + r.cpu.loadgen) : undefined);
const header = ['run', 'ingest vec/s', 'recall@10', 'QPS', 'x 1-thread in-proc (mean)', 'x if the server cost nothing', 'p50 ms', 'p99 ms', 'CPU µs/query: main', 'workers', 'GC+other', 'load gen', 'in HNSW µs/query'];
const table = rows.map((r) => {
  const b = bound(r);
  return [r.name, f(r.ingest), f(r.recall, 4), f(r.qps), f(r.qps / single, 2), f(b === undefined ? undefined : b / single, 2), f(r.p50, 3), f(r.p99, 3), f(r.cpu?.main), f(r.cpu?.workers), f(r.cpu?.rest), f(r.cpu?.loadgen), f(r.inIndex)];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
for (const t of table) console.log(line(t));
console.log(`\nmemory: one in-process index replica ~${replicaMb.toFixed(0)} MB RSS; service RSS ${rssIdle.toFixed(0)} MB empty -> ${rssLoaded.toFixed(0)} MB loaded with ${nWorkers} replicas (${((rssLoaded - rssIdle) / nWorkers).toFixed(0)} MB per replica incl. payload maps)`);
