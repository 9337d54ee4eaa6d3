/**
 * A Cloud Run service's front: one stable local port (its status.uri) that forwards each
 * request to a ready instance of the revision the traffic split picks. While no instance
 * is ready it holds the request a little, as Cloud Run holds requests during a cold start.
 *
 * The proxy runs on a worker thread of its own (router-worker.ts), one for all services,
 * not on the emulator's main thread: the main thread also persists the state store and
 * delivers Pub/Sub pushes, and a request that waited behind that work measured ~10x the
 * service's own latency when the proxy ran there. The main thread computes each service's route table
 * (revisions, weights, ready instance ports, tags) and posts it whenever it changes; the
 * worker picks per request from the table it has.
 *
 * Tag URLs: Cloud Run gives a traffic tag its own URL (https://TAG---SERVICE-HASH-REGION.a.run.app)
 * that reaches only the tagged revision. Locally a request whose Host starts with `TAG---`
 * is that URL: `curl -H 'Host: TAG---x' http://127.0.0.1:PORT/...`, or, with a client that
 * resolves *.localhost to loopback (curl does), `curl http://TAG---SERVICE.localhost:PORT/...`.
 * An unknown tag answers 404 as Cloud Run's front end does.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What the router needs to know of a service: the split, and the ready instances of each revision. */
export interface RouteTable {
  /** Revision -> percent of traffic (revisions with no ready instance included: they queue). */
  weights: { key: string; weight: number }[];
  /** Revision -> ports of its ready instances. */
  ports: Record<string, number[]>;
  /** Traffic tag -> revision (tag URLs). */
  tags?: Record<string, string>;
}

export const EMPTY_TABLE: RouteTable = { weights: [], ports: {} };

/** Smooth weighted round robin: deterministic, and any window of 100 picks matches the percentages. */
export class WeightedPicker {
  private current = new Map<string, number>();

  pick(weights: { key: string; weight: number }[]): string | undefined {
    const live = weights.filter((w) => w.weight > 0);
    if (live.length === 0) return undefined;
    const total = live.reduce((a, w) => a + w.weight, 0);
    let best: string | undefined;
    let bestValue = -Infinity;
    for (const w of live) {
      const v = (this.current.get(w.key) ?? 0) + w.weight;
      this.current.set(w.key, v);
      if (v > bestValue) {
        bestValue = v;
        best = w.key;
      }
    }
    this.current.set(best!, bestValue - total);
    return best;
  }
}

/** A request's traffic tag from its Host (`TAG---rest`), if it names one. */
export function tagOf(host: string | undefined): string | undefined {
  const m = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)---/i.exec(host ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Per-request choice over a route table: the split, then round robin over the revision's ready instances. */
export class TablePicker {
  private picker = new WeightedPicker();
  private rr = new Map<string, number>();

  /** A port to send to; undefined while nothing is ready; 'unknown-tag' for a tag the service does not have. */
  pick(table: RouteTable, tag?: string): number | undefined | 'unknown-tag' {
    let key: string | undefined;
    if (tag !== undefined) {
      key = table.tags?.[tag];
      if (!key) return 'unknown-tag';
    } else {
      const w = table.weights;
      const available = w.filter((x) => (table.ports[x.key]?.length ?? 0) > 0);
      // A revision with no ready instance keeps its share waiting only when nothing else could serve: Cloud Run would queue it.
      key = this.picker.pick(available.length === w.length ? w : available);
    }
    const ready = key ? table.ports[key] ?? [] : [];
    if (!key || ready.length === 0) return undefined;
    const n = this.rr.get(key) ?? 0;
    this.rr.set(key, n + 1);
    return ready[n % ready.length];
  }
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * The proxy itself: an HTTP server forwarding to the instances its table names, over
 * kept-alive connections (a socket per request would add a handshake, and a TIME_WAIT, each).
 */
export class RouterCore {
  private server: Server | undefined;
  private table: RouteTable = EMPTY_TABLE;
  private readonly picker = new TablePicker();
  private waiters = new Set<() => void>();
  /** Idle upstream sockets close before the service's own keep-alive timeout (Node's 5 s) would close them under a request. */
  private readonly agent = new Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 64, timeout: 4000, scheduling: 'lifo' });
  port = 0;
  requests = 0;

  constructor(private readonly holdMs = 10_000) {}

  setTable(table: RouteTable): void {
    this.table = table;
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  async listen(preferredPort = 0): Promise<number> {
    const server = createServer({ noDelay: true, keepAliveTimeout: 5000 }, (req, res) => {
      // Never an unhandled rejection: on the router thread it would end every service's router.
      this.forward(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Bad Gateway: ${e instanceof Error ? e.message : String(e)}\n`);
      });
    });
    const tryListen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      await tryListen(preferredPort);
    } catch (e) {
      if (preferredPort === 0) throw e;
      await tryListen(0);
    }
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** A ready instance's port, waiting (up to holdMs) for the table to name one. */
  private async target(tag: string | undefined): Promise<number | undefined | 'unknown-tag'> {
    const deadline = Date.now() + this.holdMs;
    for (;;) {
      const t = this.picker.pick(this.table, tag);
      if (t !== undefined || !this.server) return t;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const tag = tagOf(req.headers.host);
    const port = await this.target(tag);
    if (port === 'unknown-tag') {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Not Found: this service has no traffic tag '${tag}'.\n`);
      return;
    }
    if (port === undefined) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
      res.end(`Service Unavailable: no instance of ${tag ? `the revision tagged '${tag}'` : 'this service'} is ready.\n`);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    const peer = req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    // Cloud Run's front end appends the caller's address, except for traffic a Google load
    // balancer already forwarded (it appended client and LB addresses itself): the service
    // counts trusted hops from the right (1 direct, 2 behind the LB).
    const viaGoogleLb = /\b1\.1 google\b/.test(String(req.headers.via ?? '')) && /^(127\.|::1$|::ffff:127\.)/.test(peer);
    if (!viaGoogleLb) headers['x-forwarded-for'] = xff ? `${String(xff)}, ${peer}` : peer;
    headers['x-forwarded-proto'] ??= 'http';
    const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: this.agent }, (r) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(r.statusCode ?? 502, out);
      r.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) {
        // The instance went away mid-request (killed, crashed): Cloud Run answers 503 for it.
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Service Unavailable: the instance serving this request stopped (${e.message}).\n`);
      } else res.destroy();
    });
    req.pipe(up);
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.setTable(EMPTY_TABLE);
    this.agent.destroy();
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

/** Messages between ServiceRouter (main thread) and router-worker.ts. */
export type ToWorker =
  | { op: 'listen'; id: number; port: number; holdMs: number }
  | { op: 'table'; id: number; table: RouteTable }
  | { op: 'close'; id: number };
export type FromWorker =
  | { op: 'listening'; id: number; port: number }
  | { op: 'failed'; id: number; message: string }
  | { op: 'closed'; id: number }
  | { op: 'requests'; counts: [number, number][] };

/**
 * The one worker thread all of this process's routers run on. Started ahead of the first
 * service (hold(), from the run part's attach: a service's URL is known only once its
 * router listens, and a client reading the service right after creating it should get it),
 * ended when nothing holds it and no router is left.
 */
export class RouterThread {
  private static current: RouterThread | undefined;
  private static holds = 0;
  private readonly worker: Worker;
  private readonly pending = new Map<string, { resolve(v: FromWorker): void; reject(e: Error): void }>();
  readonly routers = new Map<number, ServiceRouter>();
  private nextId = 1;
  private ending = false;

  static get(): RouterThread {
    return (RouterThread.current ??= new RouterThread());
  }

  /** Keep the thread running (and start it now) until unhold(). */
  static hold(): void {
    RouterThread.holds++;
    RouterThread.get();
  }

  static unhold(): void {
    RouterThread.holds = Math.max(0, RouterThread.holds - 1);
    RouterThread.current?.maybeEnd();
  }

  private constructor() {
    const here = import.meta.url;
    if (here.endsWith('.ts')) {
      // Running from source (vitest, tsx): the worker registers tsx before loading the TypeScript entry.
      const tsx = join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist/esm/api/index.mjs');
      const entry = new URL('./router-worker.ts', here).href;
      this.worker = new Worker(`import(${JSON.stringify(pathToFileURL(tsx).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
    } else this.worker = new Worker(new URL('./router-worker.js', here));
    // The routers' servers must not keep the emulator (or a test) alive on their own.
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      if (m.op === 'requests') {
        for (const [id, n] of m.counts) {
          this.routers.get(id)?.counted(n);
        }
        return;
      }
      const key = `${m.op === 'closed' ? 'close' : 'listen'}:${m.id}`;
      const p = this.pending.get(key);
      this.pending.delete(key);
      p?.resolve(m);
    });
    const dead = (e: Error) => {
      if (RouterThread.current === this) RouterThread.current = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', dead);
    this.worker.on('exit', (code) => {
      dead(new Error(`router thread exited (${code})`));
      if (this.ending) return;
      // It died under its routers: they listen again, on their ports, on a new thread.
      const orphans = [...this.routers.values()];
      this.routers.clear();
      for (const r of orphans) void r.respawn();
    });
  }

  id(): number {
    return this.nextId++;
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  call(m: ToWorker & { op: 'listen' | 'close' }): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.pending.set(`${m.op}:${m.id}`, { resolve, reject });
      this.worker.postMessage(m);
    });
  }

  /** A router closed. */
  release(id: number): void {
    this.routers.delete(id);
    this.maybeEnd();
  }

  private maybeEnd(): void {
    if (this.routers.size > 0 || RouterThread.holds > 0) return;
    if (RouterThread.current === this) RouterThread.current = undefined;
    this.ending = true;
    void this.worker.terminate();
  }
}

/** The main thread's handle on one service's router (which runs on the router thread). */
export class ServiceRouter {
  private thread: RouterThread | undefined;
  private id = 0;
  private table: RouteTable = EMPTY_TABLE;
  port = 0;
  /** Requests received (reported by the router thread a few times a second). */
  requests = 0;
  /** Requests counted by threads before the current one. */
  private earlier = 0;

  constructor(private readonly holdMs = 10_000) {}

  /** The service's current routes; sent to the router thread at once. */
  setTable(table: RouteTable): void {
    this.table = table;
    if (this.thread && this.id) this.thread.post({ op: 'table', id: this.id, table });
  }

  async listen(preferredPort = 0): Promise<number> {
    const thread = RouterThread.get();
    const id = thread.id();
    this.thread = thread;
    this.id = id;
    thread.routers.set(id, this);
    const m = await thread.call({ op: 'listen', id, port: preferredPort, holdMs: this.holdMs }).catch((e: Error) => ({ op: 'failed' as const, id, message: e.message }));
    if (m.op !== 'listening') {
      thread.release(id);
      this.thread = undefined;
      throw new Error(`router: ${m.op === 'failed' ? m.message : m.op}`);
    }
    this.port = m.port;
    thread.post({ op: 'table', id, table: this.table });
    return this.port;
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    await thread.call({ op: 'close', id: this.id }).catch(() => undefined);
    thread.release(this.id);
  }

  /** Its thread died: listen again on the same port (the service's URL) with the same routes. */
  async respawn(): Promise<void> {
    if (!this.thread) return;
    this.thread = undefined;
    this.earlier = this.requests;
    await this.listen(this.port).catch(() => undefined);
  }

  counted(n: number): void {
    this.requests = this.earlier + n;
  }
}
