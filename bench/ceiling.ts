/**
 * In-process hnswlib-node on several threads at once, each with its own replica read from the
 * same graph file: the most search throughput these cores give with no server at all, so the
 * ceiling for any server's QPS on the same machine.
 */
import { Worker } from 'node:worker_threads';

export interface CeilingOptions {
  /** A graph written by writeIndexSync. */
  file: string;
  /** The compiled addon (require path) to load in each thread: the same build as the baseline. */
  addon: string;
  space: 'l2' | 'ip' | 'cosine';
  dim: number;
  ef: number;
  k: number;
  seconds: number;
  /** Query vectors; each thread takes its own share. */
  queries: Float32Array[];
}

export interface CeilingResult {
  threads: number;
  /** Searches per second, all threads together. */
  qps: number;
  perThread: number[];
}

// Plain CommonJS evaluated in the thread, so it needs no loader for TypeScript.
const THREAD = `
const { parentPort, workerData: w } = require('node:worker_threads');
const h = require(w.addon);
const idx = new h.HierarchicalNSW(w.space, w.dim);
idx.readIndexSync(w.file);
idx.setEf(w.ef);
const qs = [];
for (let i = 0; i < w.flat.length; i += w.dim) qs.push(Array.from(w.flat.subarray(i, i + w.dim)));
for (let i = 0; i < Math.min(200, qs.length); i++) idx.searchKnn(qs[i], w.k);
parentPort.postMessage('ready');
parentPort.once('message', (ms) => {
  let n = 0;
  const t = performance.now();
  const end = t + ms;
  while (performance.now() < end) idx.searchKnn(qs[n++ % qs.length], w.k);
  parentPort.postMessage(n / ((performance.now() - t) / 1000));
});
`;

/** Runs `threads` search loops at once, started together once every replica is loaded. */
export async function inProcessThreads(threads: number, o: CeilingOptions): Promise<CeilingResult> {
  const share = Math.floor(o.queries.length / threads);
  const workers = Array.from({ length: threads }, (_, t) => {
    const flat = new Float32Array(share * o.dim);
    for (let i = 0; i < share; i++) flat.set(o.queries[t * share + i]!, i * o.dim);
    return new Worker(THREAD, { eval: true, workerData: { addon: o.addon, file: o.file, space: o.space, dim: o.dim, ef: o.ef, k: o.k, flat } });
  });
  const next = (w: Worker) =>
    new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next));
    const results = workers.map(next);
    // A duration, not an end time: each thread's performance.now() has its own origin.
    for (const w of workers) w.postMessage(o.seconds * 1000);
    const perThread = (await Promise.all(results)) as number[];
    return { threads, qps: perThread.reduce((s, x) => s + x, 0), perThread };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
