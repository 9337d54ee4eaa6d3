/**
 * The global external Application Load Balancer as a local front door, so a local deploy is
 * reached the way a real one is. Every
 * global forwarding rule gets a local port; a request walks the chain as in GCP:
 * forwarding rule -> target proxy -> URL map (host rules, route rules with the
 * X-Client-Region header matches, path rules, defaults, redirects) -> backend service ->
 * Cloud CDN lookup (cdn.ts) -> on a miss, the backend's Cloud Armor policy (armor.ts; like a
 * backend security policy, it sees only requests that go to the origin) -> the serverless
 * NEG's Cloud Run service, at the URI the run data plane serves it on.
 *
 * Local differences, by necessity: the HTTPS rule's port speaks plain HTTP (its certificate
 * is for the spec's domains); the HTTP rule's redirect to HTTPS points at that port;
 * origin.region_code comes from an `X-Client-Geo` request header (GCP derives it from the
 * client address); the client address is the TCP peer (any 127.x.y.z on loopback).
 *
 * The URLs are served at GET /__emulator/frontdoor; ports are kept in the data dir and
 * reused, so the printed URL stays valid across an emulator restart when the port is free.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { frontDoorSnapshot, type FrontDoorBackend, type FrontDoorListener } from '../../apis/compute/front-door.js';
import type { DataPlaneHost, DataPlanePart } from '../types.js';
import { ArmorEnforcer, type ArmorPolicy } from './armor.js';
import { CdnCache, type CdnPolicy } from './cdn.js';
import type { ExprRequest } from './expr.js';
import { clientIp } from './ip.js';
import { redirectLocation, resolveRoute } from './urlmap.js';

type Snapshot = ReturnType<typeof frontDoorSnapshot>;

interface Listener {
  /** Store key of the forwarding rule: projects/P/global/forwardingRules/N. */
  key: string;
  project: string;
  name: string;
  server: Server;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** The address and port GCP would give the rule. */
  ip: string;
  gcpPort: number;
}

export interface FrontDoorStatus {
  /** The front door: the HTTPS forwarding rule's local URL (else the first rule's). */
  url?: string;
  /** `serves`: its URL map sends requests to backends (false for a redirect-only map such as HTTP -> HTTPS). */
  listeners: { forwardingRule: string; project: string; protocol: string; ip: string; port: number; url: string; serves: boolean }[];
  cache: { entries: number; hits: number; misses: number };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);
const BIND_HOST = '127.0.0.1';

export interface FrontDoorOptions {
  /** Where chosen ports are remembered (default: the emulator's data dir). */
  portsFile?: string;
}

export function createFrontDoorPart(opts: FrontDoorOptions = {}): DataPlanePart & { status(): FrontDoorStatus } {
  let host: DataPlaneHost | undefined;
  const listeners = new Map<string, Listener>();
  const snapshots = new Map<string, Snapshot>();
  const cdn = new CdnCache();
  let armor = new ArmorEnforcer();
  let portsFile = '';
  let remembered: Record<string, number> = {};
  let syncing: Promise<void> = Promise.resolve();
  let syncAgain = false;
  let timer: NodeJS.Timeout | undefined;

  const log = (m: string) => host?.log(`front door: ${m}`);

  function snapshot(project: string): Snapshot {
    let s = snapshots.get(project);
    if (!s) {
      s = frontDoorSnapshot(host!.ctx, project);
      snapshots.set(project, s);
    }
    return s;
  }

  function ruleKeys(): { key: string; project: string; name: string }[] {
    const col = host!.ctx.store.collection<{ name?: string }>('compute.forwardingRules');
    return col
      .peekAll('projects/')
      .map((fr) => String((fr as { selfLink?: string }).selfLink ?? ''))
      .map((link) => /projects\/([^/]+)\/global\/forwardingRules\/([^/]+)$/.exec(link))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ key: `projects/${m[1]}/global/forwardingRules/${m[2]}`, project: m[1]!, name: m[2]! }));
  }

  /** Open a port for every global forwarding rule, close the ones whose rule is gone. */
  function scheduleSync(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      syncAgain = true;
      syncing = syncing.then(async () => {
        while (syncAgain) {
          syncAgain = false;
          await syncListeners().catch((e: unknown) => log(`sync failed: ${e instanceof Error ? e.message : String(e)}`));
        }
      });
    }, 20);
  }

  async function syncListeners(): Promise<void> {
    if (!host) return;
    snapshots.clear();
    const wanted = ruleKeys();
    for (const w of wanted) {
      const fr = snapshot(w.project).listeners.find((l) => l.forwardingRule.name === w.name);
      if (!fr) continue;
      const cur = listeners.get(w.key);
      if (cur) {
        cur.protocol = fr.protocol;
        cur.ip = fr.ip;
        cur.gcpPort = fr.port;
        continue;
      }
      const l = await open(w, fr);
      listeners.set(w.key, l);
      log(`${w.name} (${fr.protocol} ${fr.ip}:${fr.port}) on http://${BIND_HOST}:${l.port}`);
    }
    for (const [key, l] of listeners) {
      if (wanted.some((w) => w.key === key)) continue;
      listeners.delete(key);
      await close(l.server);
      log(`${l.name} closed`);
    }
    await rememberPorts();
  }

  async function open(w: { key: string; project: string; name: string }, fr: FrontDoorListener): Promise<Listener> {
    const l: Listener = { ...w, server: createServer(), port: 0, protocol: fr.protocol, ip: fr.ip, gcpPort: fr.port };
    l.server.on('request', (req, res) => {
      handle(l, req, res).catch((e: unknown) => {
        log(`${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('502 Bad Gateway\n');
      });
    });
    l.port = await listen(l.server, remembered[w.key] ?? 0);
    return l;
  }

  async function rememberPorts(): Promise<void> {
    remembered = { ...remembered, ...Object.fromEntries([...listeners].map(([k, l]) => [k, l.port])) };
    if (!portsFile) return;
    await mkdir(dirname(portsFile), { recursive: true });
    await writeFile(portsFile, JSON.stringify(remembered));
  }

  function localUrl(l: Listener): string {
    return `http://${BIND_HOST}:${l.port}`;
  }

  /** Local origin of the HTTPS rule on the same address as `l` (what an HTTPS redirect targets). */
  function httpsOrigin(l: Listener): string | undefined {
    const all = [...listeners.values()].filter((x) => x.project === l.project && x.protocol === 'HTTPS');
    const same = all.find((x) => x.ip === l.ip) ?? all[0];
    return same ? localUrl(same) : undefined;
  }

  async function handle(l: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const snap = snapshot(l.project);
    const fr = snap.listeners.find((x) => x.forwardingRule.name === l.name);
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const query = url.search.slice(1);
    const headers = lowerHeaders(req.headers);
    if (!fr?.urlMap) return text(res, 404, 'no URL map serves this forwarding rule');
    const rawHost = headers.host ?? `${BIND_HOST}:${l.port}`;
    const hostHeader = servedHost(rawHost, fr);

    const route = resolveRoute(fr.urlMap, { host: hostHeader, path, query, headers }, () => host!.ctx.random());
    if (route.kind === 'redirect') {
      const r = redirectLocation(route.redirect, { origin: `http://${rawHost}`, path, query }, httpsOrigin(l), route.matchedPrefix);
      res.writeHead(r.status, { location: r.location, 'content-type': 'text/html; charset=UTF-8', via: '1.1 google' });
      res.end(`<HTML><HEAD><TITLE>Moved</TITLE></HEAD><BODY><A HREF="${r.location}">here</A></BODY></HTML>\n`);
      return;
    }
    if (route.kind === 'none') return text(res, 404, 'no route');
    const backend = findBackend(snap, route.service);
    if (!backend) return text(res, 502, `backend service ${route.service} not found`);

    const bs = backend.backendService;
    const scheme = l.protocol === 'HTTPS' ? 'https' : 'http';
    const method = (req.method ?? 'GET').toUpperCase();
    const cdnOn = bs.enableCDN === true;
    const cdnPolicy = bs.cdnPolicy as CdnPolicy | undefined;
    const cacheKey = cdnOn ? cdn.key(String(bs.selfLink), cdnPolicy, { method, scheme, host: hostHeader, path, query, headers }) : undefined;
    if (cacheKey) {
      const hit = cdn.lookup(cacheKey);
      if (hit) {
        req.resume();
        const h: Record<string, string> = { ...hit.headers, age: String(hit.age), 'x-cache': 'HIT', via: '1.1 google', 'content-length': String(hit.body.length) };
        if (hit.clientTtl !== undefined) h['cache-control'] = `public, max-age=${Math.max(0, Math.min(hit.clientTtl, ttlLeft(hit.headers['cache-control'], hit.age, hit.clientTtl)))}`;
        res.writeHead(hit.status, h);
        res.end(method === 'HEAD' ? undefined : hit.body);
        return;
      }
    }

    const ip = clientIp(req.socket.remoteAddress);
    if (backend.securityPolicy) {
      const verdict = armor.evaluate(backend.securityPolicy as ArmorPolicy, exprRequest(ip, method, path, query, scheme, headers));
      if (!verdict.allow) {
        req.resume();
        return text(res, verdict.status, `${verdict.status} ${statusText(verdict.status)}`, { 'x-armor-rule': String(verdict.rule) });
      }
    }

    const origin = pickOrigin(backend);
    if (!origin) {
      req.resume();
      return text(res, 503, 'no healthy upstream', { 'retry-after': '1' });
    }
    const target = new URL(route.path + url.search, origin);
    const fwd: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) fwd[k] = v;
    fwd.host = route.host ?? rawHost;
    fwd['x-forwarded-for'] = [headers['x-forwarded-for'], ip, l.ip].filter(Boolean).join(',');
    fwd['x-forwarded-proto'] = scheme;
    fwd.via = '1.1 google';
    fwd['x-cloud-trace-context'] = `${randomBytes(16).toString('hex')}/${BigInt(`0x${randomBytes(7).toString('hex')}`)};o=1`;
    if (req.headers['content-length']) fwd['content-length'] = req.headers['content-length'];
    else if (req.headers['transfer-encoding']) fwd['transfer-encoding'] = req.headers['transfer-encoding'];

    const timeoutMs = Number(bs.timeoutSec ?? 30) * 1000;
    await new Promise<void>((resolve) => {
      const up = httpRequest(target, { method, headers: fwd, timeout: timeoutMs }, (upRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        out.via = '1.1 google';
        const status = upRes.statusCode ?? 502;
        if (!cacheKey) {
          if (upRes.headers['content-length']) out['content-length'] = upRes.headers['content-length'];
          res.writeHead(status, out);
          upRes.pipe(res);
          upRes.on('end', resolve);
          upRes.on('error', () => resolve());
          return;
        }
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('error', () => {
          if (!res.headersSent) text(res, 502, 'upstream connection error');
          resolve();
        });
        upRes.on('end', () => {
          const body = Buffer.concat(chunks);
          const flat = flatten(out);
          const cc = cdn.store(cacheKey, cdnPolicy, { status, headers: flat, body });
          if (cc) out['cache-control'] = cc;
          out['x-cache'] = 'MISS';
          out['content-length'] = String(body.length);
          res.writeHead(status, out);
          res.end(method === 'HEAD' ? undefined : body);
          resolve();
        });
      });
      up.on('timeout', () => up.destroy(new Error('timeout')));
      up.on('error', (e) => {
        if (!res.headersSent) text(res, (e as Error).message === 'timeout' ? 504 : 502, (e as Error).message === 'timeout' ? 'upstream request timeout' : 'upstream connect error');
        else res.destroy();
        resolve();
      });
      req.pipe(up);
    });
  }

  function findBackend(snap: Snapshot, service: string): FrontDoorBackend | undefined {
    const want = normalizeLink(service);
    return Object.entries(snap.backends).find(([k]) => normalizeLink(k) === want)?.[1];
  }

  /** A serverless NEG's Cloud Run service in its region; a ready one first. */
  function pickOrigin(backend: FrontDoorBackend): string | undefined {
    const candidates = backend.endpoints
      .filter((e) => e.cloudRunService)
      .map((e) => {
        const project = /projects\/([^/]+)\//.exec(e.neg)?.[1] ?? '';
        const name = `projects/${project}/locations/${e.region}/services/${e.cloudRunService}`;
        const svc = host!.services().find((s) => s.name === name);
        return { uri: host!.serviceUriFor(project, e.region, e.cloudRunService!), ready: svc?.ready ?? false };
      })
      .filter((c): c is { uri: string; ready: boolean } => !!c.uri);
    return (candidates.find((c) => c.ready) ?? candidates[0])?.uri;
  }

  async function stopAll(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    await syncing;
    const all = [...listeners.values()];
    listeners.clear();
    snapshots.clear();
    await Promise.all(all.map((l) => close(l.server)));
  }

  const part = {
    name: 'frontdoor',
    async attach(h: DataPlaneHost) {
      host = h;
      armor = new ArmorEnforcer((m) => log(m));
      portsFile = opts.portsFile ?? join(h.ctx.dataDir, 'dataplane', 'frontdoor-ports.json');
      remembered = await readFile(portsFile, 'utf8')
        .then((s) => JSON.parse(s) as Record<string, number>)
        .catch(() => ({}));
      h.ctx.events.on('resource.changed', (e) => {
        if (e.api !== 'compute') return;
        snapshots.clear();
        // A URL map update (including invalidateCache) or a backend change may change what is cached.
        if (e.kind === 'compute#urlMap' || e.kind === 'compute#backendService') cdn.invalidate();
        if (e.kind === 'compute#forwardingRule' || e.kind === 'compute#targetHttpsProxy' || e.kind === 'compute#targetHttpProxy') scheduleSync();
      });
      h.addControlRoute({ method: 'GET', path: '/frontdoor', handler: () => ({ body: part.status() }) });
      scheduleSync();
    },
    async reset() {
      await stopAll();
      cdn.invalidate();
      armor.clear();
      scheduleSync();
    },
    async stop() {
      await stopAll();
      host = undefined;
    },
    status(): FrontDoorStatus {
      const ls = [...listeners.values()].map((l) => {
        const map = host ? snapshot(l.project).listeners.find((x) => x.forwardingRule.name === l.name)?.urlMap : undefined;
        const serves = !!map && !map.defaultUrlRedirect;
        return { forwardingRule: l.key, project: l.project, protocol: l.protocol, ip: l.ip, port: l.gcpPort, url: localUrl(l), serves };
      });
      const main = ls.find((l) => l.serves && l.protocol === 'HTTPS') ?? ls.find((l) => l.serves);
      return { ...(main ? { url: main.url } : {}), listeners: ls, cache: { entries: cdn.size(), hits: cdn.hits, misses: cdn.misses } };
    },
  };
  return part;
}

/**
 * A request addressed to the front door's own local address (127.0.0.1:PORT, localhost:PORT)
 * stands for one addressed to the load balancer's domain: the first domain of its
 * certificate, else the URL map's first exact host. So host rules (and the routes behind
 * them) apply to a plain `curl http://127.0.0.1:PORT/...` as to the real domain.
 */
function servedHost(given: string, fr: FrontDoorListener): string {
  const name = given.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (!(isIP(name) || name === 'localhost')) return given;
  const cert = fr.certificates[0] as { managed?: { domains?: string[] }; subjectAlternativeNames?: string[] } | undefined;
  const fromCert = cert?.managed?.domains?.[0] ?? cert?.subjectAlternativeNames?.[0];
  const hosts = ((fr.urlMap?.hostRules as { hosts?: string[] }[] | undefined) ?? []).flatMap((h) => h.hosts ?? []);
  const domain = fromCert && !fromCert.startsWith('*') ? fromCert : hosts.find((h) => !h.includes('*'));
  return domain ?? given;
}

function exprRequest(ip: string, method: string, path: string, query: string, scheme: string, headers: Record<string, string>): ExprRequest {
  const inspect = [path, query, headers.cookie ?? '', headers.referer ?? ''].filter(Boolean);
  return { ip, regionCode: (headers['x-client-geo'] ?? '').toUpperCase(), method, path, query, scheme, headers, inspect };
}

function lowerHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function flatten(h: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
}

function normalizeLink(s: string): string {
  return s.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '').replace(/^compute:\/\//, '').replace(/^\/+/, '');
}

function ttlLeft(cacheControl: string | undefined, age: number, fallback: number): number {
  const m = /max-age=(\d+)/.exec(cacheControl ?? '');
  return m ? Number(m[1]) - age : fallback;
}

function text(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8', via: '1.1 google', ...extra });
  res.end(`${body}\n`);
}

function statusText(status: number): string {
  return { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 502: 'Bad Gateway' }[status] ?? 'Denied';
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('error', onError);
      if (port !== 0 && e.code === 'EADDRINUSE') resolve(listen(server, 0));
      else reject(e);
    };
    server.on('error', onError);
    server.listen(port, BIND_HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
