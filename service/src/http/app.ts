import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import { HttpError } from '../errors.js';
import { READ_ONLY_SQLSTATE } from '../store/db.js';
import type { Metrics } from '../metrics.js';
import { postgresOutage } from '../store/outage.js';
import { checkRequestLine, loggableUrl } from './request-line.js';
import { bodyTooLarge, type BodyLimit } from './limits.js';

const MAX_PATH_PARAM = 255 * 12;

function isQdrant(req: FastifyRequest): boolean {
  return (req.routeOptions.config as { qdrant?: boolean } | undefined)?.qdrant === true;
}

/** Renders every failure as {status, error} (Qdrant routes: Qdrant's {status: {error}}), never a stack. */
function send(req: FastifyRequest, reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}): FastifyReply {
  reply.code(status).headers(headers);
  if (isQdrant(req)) return reply.send({ status: { error: message }, time: 0 });
  return reply.send({ status, error: message });
}

/** Called for every failed request so query analytics carry error codes too. */
export type ErrorSink = (route: string, method: string, status: number, ms: number) => void;

/**
 * A request node's parser refused or gave up on before any route saw it (a timeout, headers too
 * large, malformed HTTP): answered in the service's error shape, then the connection closed.
 */
function clientError(err: Error & { code?: string }, socket: Duplex, receive: ServiceConfig['receive']): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, `the request was not received in time: headers are due within ${receive.headersMs} ms and the whole request within ${receive.requestMs} ms`]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, 'malformed HTTP request'];
  if (socket.writable) {
    const body = JSON.stringify({ status, error: message });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** During an outage every request fails alike: one warning per interval says how many did. */
class OutageLog {
  private since = 0;
  private count = 0;
  constructor(private log: Logger, private intervalMs = 10_000) {}

  note(req: FastifyRequest, reason: string): void {
    this.count++;
    const now = Date.now();
    if (now - this.since < this.intervalMs) return;
    this.log.warn({ reason, requests: this.count, method: req.method, ...loggableUrl(req.url) }, 'postgres unavailable: answering 503');
    this.since = now;
    this.count = 0;
  }
}

export function createApp(cfg: ServiceConfig, log: Logger, metrics: Metrics, onError: ErrorSink = () => {}): FastifyInstance {
  const app = Fastify({
    loggerInstance: log,
    // Per-request access logs would dominate CPU at thousands of searches a second; metrics cover them.
    logController: new LogController({ disableRequestLogging: true }),
    // Nor a child logger per request (~4% of the main thread under search load): the one
    // request-scoped log line, a 500, names its method and URL itself.
    childLoggerFactory: (logger) => logger,
    bodyLimit: cfg.limits.bodyBytes,
    // Point ids are up to 255 characters, and percent-encoded UTF-8 takes up to 12 per
    // character: fastify's default (100) refused GETs of ids that upserts had accepted.
    routerOptions: { maxParamLength: MAX_PATH_PARAM },
    // Errors raised before routing (a bad percent-encoding, an over-long segment) in the
    // service's shape too, not fastify's.
    frameworkErrors: (err, req, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : err.code === 'FST_ERR_BAD_URL' ? 400 : 500;
      const message = status === 414 ? `a path segment is longer than ${MAX_PATH_PARAM} characters` : status === 400 ? 'the path is not valid percent-encoded UTF-8' : 'internal error';
      // No route was matched, so the path says which API the client speaks.
      (reply as FastifyReply).code(status).send(req.url.startsWith('/api/') ? { status, error: message } : { status: { error: message }, time: 0 });
    },
    // A hop count, not `true`: the client controls the left end of X-Forwarded-For.
    trustProxy: (_addr: string, hop: number) => hop < cfg.trustedProxyHops,
    forceCloseConnections: 'idle',
    // Bounds receiving a request, not answering it (see ServiceConfig.receive). Node checks
    // for expired connections every connectionsCheckingInterval (30 s by default): often
    // enough here that a timeout fires close to when it is due.
    requestTimeout: cfg.receive.requestMs,
    http: {
      headersTimeout: cfg.receive.headersMs,
      requestTimeout: cfg.receive.requestMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(cfg.receive.headersMs / 4))),
    },
    clientErrorHandler: (err, socket) => clientError(err, socket, cfg.receive),
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  const outageLog = new OutageLog(log);
  app.setErrorHandler((err: FastifyError | HttpError | Error, req, reply) => {
    if (err instanceof HttpError) return send(req, reply, err.status, err.message, err.headers);
    if ((err as { code?: unknown }).code === READ_ONLY_SQLSTATE) {
      return send(req, reply, 503, `region ${cfg.region}'s database is a read replica: send writes to a primary (tier-1) region`);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const where = fe.validationContext ?? 'body';
      const v = fe.validation[0];
      const field = `${where}${v?.instancePath ?? ''}`.replace(/\//g, '.');
      const msg = v ? `${field}${v.keyword === 'required' ? `.${String((v.params as { missingProperty?: string }).missingProperty)} is required` : ` ${v.message ?? 'is invalid'}`}` : fe.message;
      return send(req, reply, 400, msg);
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = (req.routeOptions.config as { bodyLimit?: BodyLimit } | undefined)?.bodyLimit ?? { bytes: cfg.limits.bodyBytes, variable: 'MAX_BODY_BYTES' };
      return send(req, reply, 413, bodyTooLarge(limit));
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) {
      return send(req, reply, 400, `body is not valid JSON: ${err.message}`);
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return send(req, reply, fe.statusCode, fe.message);
    const outage = postgresOutage(err);
    if (outage) {
      outageLog.note(req, outage.reason);
      return send(req, reply, 503, `postgres is unavailable (${outage.reason}); retry in ${outage.retryAfterSec} s`, { 'retry-after': String(outage.retryAfterSec) });
    }
    req.log.error({ err: { message: err.message, stack: err.stack }, method: req.method, ...loggableUrl(req.url), reqId: req.id }, 'request failed');
    return send(req, reply, 500, 'internal error');
  });

  app.addHook('onRequest', async (req) => checkRequestLine(req));

  app.setNotFoundHandler((req, reply) => send(req, reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`));

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.http.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) onError(route, req.method, reply.statusCode, reply.elapsedTime);
  });

  return app as unknown as FastifyInstance;
}
