/**
 * A Cloud Run service's front: one stable local port (its status.uri) that forwards each
 * request to a ready instance of the revision the traffic split picks. While no instance
 * is ready it holds the request a little, as Cloud Run holds requests during a cold start.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Target {
  port: number;
  revision: string;
}

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

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export class ServiceRouter {
  private server: Server | undefined;
  port = 0;
  requests = 0;

  constructor(
    /** A ready instance for the next request, or undefined while none is. */
    private readonly choose: () => Target | undefined,
    private readonly holdMs = 10_000,
  ) {}

  async listen(preferredPort = 0): Promise<number> {
    const server = createServer((req, res) => void this.forward(req, res));
    server.keepAliveTimeout = 5000;
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

  private async target(): Promise<Target | undefined> {
    const deadline = Date.now() + this.holdMs;
    for (;;) {
      const t = this.choose();
      if (t || Date.now() > deadline || !this.server) return t;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const t = await this.target();
    if (!t) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
      res.end('Service Unavailable: no instance of this service is ready.\n');
      req.resume();
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
    const up = request({ host: '127.0.0.1', port: t.port, method: req.method, path: req.url, headers }, (r) => {
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
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
