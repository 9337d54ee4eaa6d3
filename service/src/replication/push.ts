import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { Receiver } from './receiver.js';
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

export function pushRoute(app: FastifyInstance, receiver: Receiver, cfg: ServiceConfig, metrics: Metrics, log: Logger): void {
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
    let outcome;
    try {
      outcome = await receiver.apply(update, meta);
    } catch (e) {
      metrics.replication.inc({ result: e instanceof HttpError && e.status === 503 ? 'retry' : 'rejected' });
      throw e;
    }
    metrics.replication.inc({ result: outcome });
    if (outcome === 'applied') metrics.replicationLag.observe(Math.max(0, Date.now() - update.timestamp) / 1000);
    log.debug({ vector_id: update.vector_id, region: update.region, outcome }, 'replicated update');
    return reply.code(204).send();
  });
}
