import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { Engine } from '../engine.js';
import type { Metrics } from '../metrics.js';
import { HttpError, badRequest } from '../errors.js';
import { BadMessage, decodeUpdate, type UpdateMetadata } from './schema.js';

interface PushEnvelope {
  message?: { data?: string; messageId?: string; attributes?: Record<string, string> };
  subscription?: string;
}

/**
 * Verifies the OIDC token Pub/Sub push attaches: signature against the JWKS (Google's by
 * default, the local emulator's when PUBSUB_JWKS_URL points there), issuer, audience and the
 * push service account's verified email.
 */
export class PushVerifier {
  private jwks: JWTVerifyGetKey;
  constructor(private cfg: ServiceConfig['push']) {
    this.jwks = createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 });
  }

  async verify(req: FastifyRequest): Promise<void> {
    if (!this.cfg.serviceAccount) throw new HttpError(401, 'push endpoint disabled: PUSH_SERVICE_ACCOUNT is not configured');
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !auth.toLowerCase().startsWith('bearer ')) throw new HttpError(401, 'Authorization: Bearer <OIDC token> required');
    // Pub/Sub's default audience is the push endpoint exactly as configured, query string included.
    const audience = this.cfg.audience ?? `${req.protocol}://${req.host}${req.url}`;
    try {
      const { payload } = await jwtVerify(auth.slice(7).trim(), this.jwks, { issuer: this.cfg.issuers, audience });
      if (payload.email !== this.cfg.serviceAccount) throw new Error(`token email is not ${this.cfg.serviceAccount}`);
      if (payload.email_verified !== true) throw new Error('token email is not verified');
    } catch (e) {
      throw new HttpError(401, `push token rejected: ${(e as Error).message}`);
    }
  }
}

export function pushRoute(app: FastifyInstance, engine: Engine, cfg: ServiceConfig, metrics: Metrics, log: Logger): void {
  const verifier = new PushVerifier(cfg.push);
  app.post('/api/v1/pubsub/vector-updates', { schema: { body: { type: 'object', required: ['message'], properties: { message: { type: 'object' } } } } }, async (req, reply) => {
    await verifier.verify(req);
    const env = req.body as PushEnvelope;
    const data = env.message?.data;
    if (typeof data !== 'string') throw badRequest('message.data is required');
    let update;
    let meta: UpdateMetadata;
    try {
      update = decodeUpdate(Buffer.from(data, 'base64').toString('utf8'));
      meta = JSON.parse(update.metadata ?? 'null') as UpdateMetadata;
      if (!meta || typeof meta.collection !== 'string') throw new BadMessage('metadata must be JSON with a collection');
    } catch (e) {
      metrics.replication.inc({ result: 'malformed' });
      throw badRequest(`message.data: ${(e as Error).message}`);
    }
    if (update.region === cfg.region) {
      metrics.replication.inc({ result: 'own-region' });
      return reply.code(204).send();
    }
    if (!engine.collections.has(meta.collection)) await engine.syncCollections();
    if (!engine.collections.has(meta.collection)) {
      metrics.replication.inc({ result: 'no-collection' });
      return reply.code(204).send();
    }
    // The message carries no vector: read the row the writer committed to the shared primary.
    const row = await engine.store.row(meta.collection, update.vector_id);
    if (!row || row.versionTs < update.timestamp) {
      if (update.operation === 'delete' && !row) return reply.code(204).send();
      // Our replica of the primary has not caught up yet: a non-2xx makes Pub/Sub redeliver with backoff.
      metrics.replication.inc({ result: 'not-yet-visible' });
      throw new HttpError(503, `vector ${update.vector_id} at ${update.timestamp} is not visible in the database yet`, { 'retry-after': '10' });
    }
    const applied = await engine.applyRows([row], true);
    metrics.replication.inc({ result: applied ? 'applied' : 'stale' });
    metrics.replicationLag.observe(Math.max(0, Date.now() - update.timestamp) / 1000);
    log.debug({ vector_id: update.vector_id, region: update.region, applied }, 'replicated update');
    return reply.code(204).send();
  });
}
