import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiModules } from './apis/index.js';
import { createCore, type Core } from './core/context.js';
import { renderError, toEmuError } from './core/errors.js';
import { FaultInjector, type FaultConfig } from './core/faults.js';
import type { QuotaMode } from './core/quotas.js';
import { RequestLog } from './core/request-log.js';
import { Router } from './core/router.js';
import { EmuError, type ApiModule, type ApiStyle, type DataPlane, type EmuRequest, type EmuResponse, type EmulatorContext, type Route } from './core/types.js';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Persist the world here; omitted = in memory only. */
  stateDir?: string;
  /** Multiplies every operation's GCP duration (default 0.01: a 5-minute Redis create takes 3 s). */
  latencyScale?: number;
  /** Fraction of API calls answered 429/503 (seeded). */
  faultRate?: number;
  /** Fraction of API calls delayed by faultDelayMs (seeded). */
  faultDelayRate?: number;
  faultDelayMs?: number;
  seed?: number;
  quotas?: QuotaMode;
  /** Upper bound of the seeded delay before a new resource shows in get/list (default 0). */
  consistencyDelayMs?: number;
  /** API modules to serve (default: every module in apis/index.ts). */
  modules?: ApiModule[];
  dataPlane?: DataPlane;
  /** Largest request body accepted, bytes. */
  maxBodyBytes?: number;
}

export interface RunningEmulator {
  url: string;
  host: string;
  port: number;
  requestLog: RequestLog;
  ctx: EmulatorContext;
  /** Core internals (store, ops, quotas, events) for tests and the data plane. */
  core: Core;
  faults: FaultInjector;
  stateDir?: string;
  stop(): Promise<void>;
  reset(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=UTF-8';

/** Style for a path no route knows, so even a 404 comes back in the dialect the client parses. */
function styleForPath(path: string): ApiStyle {
  if (path.startsWith('/compute/')) return 'compute';
  if (path.startsWith('/storage/') || path.startsWith('/upload/') || path.startsWith('/download/')) return 'storage';
  if (/^\/(sql\/)?v1(beta4)?\/projects\/[^/]+\/(instances|operations|flags|tiers)/.test(path)) return 'sql';
  return 'gax';
}

function decodePath(raw: string): string {
  return raw
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join('/');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new EmuError(413, 'INVALID_ARGUMENT', `Request body larger than ${limit} bytes`, 'uploadTooLarge'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON when declared as JSON, or when an undeclared body looks like JSON. Raw bytes stay in `raw`. */
function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const ct = (contentType ?? '').toLowerCase();
  const declared = ct.includes('json');
  const sniff = !ct || ct.startsWith('text/plain');
  if (!declared && !sniff) return undefined;
  const text = raw.toString('utf8');
  if (!declared && !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    if (declared) throw new EmuError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.', 'parseError');
    return undefined;
  }
}

function send(res: ServerResponse, r: EmuResponse): number {
  const status = r.status ?? 200;
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  let payload: Buffer | string | undefined;
  if (r.raw !== undefined) {
    payload = r.raw;
    if (!lower.has('content-type')) headers['Content-Type'] = 'application/octet-stream';
  } else if (status !== 204 && status !== 304) {
    payload = JSON.stringify(r.body ?? {});
    if (!lower.has('content-type')) headers['Content-Type'] = JSON_TYPE;
  }
  if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(status, headers);
  res.end(payload);
  return status;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = opts.seed ?? 1;
  const core = await createCore({
    stateDir: opts.stateDir,
    latencyScale: opts.latencyScale ?? 0.01,
    seed,
    quotas: opts.quotas ?? 'gcp-defaults',
    consistencyDelayMs: opts.consistencyDelayMs ?? 0,
    dataPlane: opts.dataPlane,
  });
  const { ctx } = core;
  const faultConfig: FaultConfig = {
    rate: opts.faultRate ?? 0,
    delayRate: opts.faultDelayRate ?? 0,
    delayMs: opts.faultDelayMs ?? 0,
    seed,
  };
  const faults = new FaultInjector(faultConfig);
  const requestLog = new RequestLog();
  const router = new Router();
  const modules = opts.modules ?? apiModules;
  for (const m of modules) router.add(m.routes(ctx));
  // Completers are registered by routes(); only now can restored operations finish.
  core.ops.resume();
  const maxBody = opts.maxBodyBytes ?? 512 * 1024 * 1024;
  const startedAt = Date.now();
  let port = 0;
  let host = opts.host ?? '127.0.0.1';

  async function control(method: string, path: string, query: URLSearchParams, body: unknown): Promise<EmuResponse> {
    const sub = path.slice('/__emulator'.length);
    if (sub === '/health' && method === 'GET') {
      return {
        body: {
          ok: true,
          pid: process.pid,
          host,
          port,
          stateDir: opts.stateDir ?? null,
          uptimeMs: Date.now() - startedAt,
          modules: modules.map((m) => m.name),
          routes: router.routes().length,
          latencyScale: ctx.latencyScale,
          faults: faults.config,
          consistencyDelayMs: core.store.consistencyDelayMs,
          quotas: core.quotas.mode,
          requests: { total: requestLog.count(), writes: requestLog.count({ write: true }), faults: requestLog.entries().filter((e) => e.fault).length },
          dataPlane: Boolean(opts.dataPlane),
        },
      };
    }
    if (sub === '/requests' && method === 'GET') {
      const write = query.get('write');
      const since = query.get('since');
      const filter = {
        api: query.get('api') ?? undefined,
        method: query.get('method') ?? undefined,
        path: query.get('path') ?? undefined,
        write: write === null ? undefined : write === 'true',
        since: since === null ? undefined : Number(since),
      };
      const entries = requestLog.entries(filter);
      const limit = Number(query.get('limit') ?? 1000);
      return {
        body: {
          count: entries.length,
          writes: entries.filter((e) => e.write).length,
          reads: entries.filter((e) => !e.write).length,
          faults: entries.filter((e) => e.fault).length,
          // The most recent `limit` entries; counts cover the whole filtered log.
          entries: limit > 0 ? entries.slice(-limit) : [],
        },
      };
    }
    if (sub === '/requests' && method === 'DELETE') {
      requestLog.clear();
      return { body: {} };
    }
    if (sub === '/reset' && method === 'POST') {
      await reset();
      return { body: { ok: true } };
    }
    if (sub === '/quotas' && method === 'GET') {
      return { body: { mode: core.quotas.mode, quotas: core.quotas.all(query.get('scope') ?? undefined) } };
    }
    if (sub === '/quotas' && method === 'POST') {
      const b = (body ?? {}) as { scope?: string; metric?: string; limit?: number };
      if (!b.scope || !b.metric || typeof b.limit !== 'number') throw new EmuError(400, 'INVALID_ARGUMENT', 'scope, metric and limit are required');
      core.quotas.setLimit(b.scope, b.metric, b.limit);
      return { body: { scope: b.scope, metric: b.metric, limit: b.limit } };
    }
    if (sub === '/config' && method === 'POST') {
      const b = (body ?? {}) as Partial<FaultConfig> & { consistencyDelayMs?: number; latencyScale?: number; quotas?: QuotaMode };
      faults.configure({ rate: b.rate, delayRate: b.delayRate, delayMs: b.delayMs, seed: b.seed });
      if (typeof b.consistencyDelayMs === 'number') core.store.consistencyDelayMs = b.consistencyDelayMs;
      if (typeof b.latencyScale === 'number') ctx.latencyScale = b.latencyScale;
      if (b.quotas === 'unlimited' || b.quotas === 'gcp-defaults') core.quotas.mode = b.quotas;
      return { body: { faults: faults.config, consistencyDelayMs: core.store.consistencyDelayMs, latencyScale: ctx.latencyScale, quotas: core.quotas.mode } };
    }
    if (sub === '/events' && method === 'GET') return { body: { events: core.events.recent } };
    const fromDataPlane = await opts.dataPlane?.control?.(method, sub, query, body);
    if (fromDataPlane) return fromDataPlane;
    throw new EmuError(404, 'NOT_FOUND', `Unknown emulator endpoint ${method} ${path}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const at = new Date().toISOString();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const path = decodePath(rawPath);
    let style: ApiStyle = styleForPath(rawPath);
    let api = 'unknown';
    let write = method !== 'GET' && method !== 'HEAD';
    let fault: string | undefined;
    let status = 500;
    try {
      const raw = await readBody(req, maxBody);
      if (rawPath.startsWith('/__emulator/')) {
        api = 'emulator';
        write = false;
        status = send(res, await control(method, rawPath, query, parseBody(raw, req.headers['content-type'])));
        return;
      }
      const m = router.match(method, rawPath);
      if (!m.route) {
        if (m.pathMatched) {
          style = m.pathMatched.style;
          api = m.pathMatched.api;
          throw new EmuError(405, 'UNIMPLEMENTED', `Method ${method} is not supported for ${path}`, 'methodNotAllowed');
        }
        throw new EmuError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`, 'notFound');
      }
      const route: Route = m.route;
      style = route.style;
      api = route.api;
      write = route.write ?? write;
      const decision = faults.decide();
      if (decision.delayMs > 0) await new Promise((r) => setTimeout(r, decision.delayMs));
      fault = decision.label;
      if (decision.error) throw decision.error;
      const emuReq: EmuRequest = {
        method,
        path,
        query,
        headers: req.headers,
        raw,
        body: parseBody(raw, req.headers['content-type']),
        params: m.params,
      };
      status = send(res, await route.handler(emuReq, ctx));
    } catch (e) {
      const err = toEmuError(e);
      if (err.httpStatus >= 500 && !(e instanceof EmuError)) process.emitWarning(`emulator handler failed: ${e instanceof Error ? e.stack : String(e)}`);
      const r = renderError(style, err, api);
      if (!res.headersSent) status = send(res, { status: r.status, body: r.body });
    } finally {
      requestLog.add({ at, method, path, ...(q < 0 ? {} : { query: url.slice(q + 1) }), status, latencyMs: Math.round((performance.now() - t0) * 1000) / 1000, api, write, ...(fault ? { fault } : {}) });
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  // As Google's front end (610 s idle keep-alive): clients hold idle connections for minutes,
  // and a server that closes them sooner races a request being sent on one (ECONNRESET).
  server.keepAliveTimeout = 610_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  port = addr.port;
  host = addr.address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  core.setBaseUrl(url);
  if (opts.dataPlane) await opts.dataPlane.attach(ctx);

  async function reset(): Promise<void> {
    await opts.dataPlane?.reset?.();
    await core.reset();
    faults.reseed();
    requestLog.clear();
  }

  let stopped: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    requestLog,
    ctx,
    core,
    faults,
    stateDir: opts.stateDir,
    reset,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (opts.dataPlane?.stop) await opts.dataPlane.stop();
        await core.close();
      })();
      return stopped;
    },
  };
}
