import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { Receiver } from './receiver.js';
import type { Metrics } from '../metrics.js';
import { HttpError, badRequest } from '../errors.js';
import { BadMessage, decodeUpdate, type UpdateMetadata } from './schema.js';
import { parseName } from '../vectors/validate.js';

/** As config.ts accepts REGION. */
const REGION_NAME = /^[a-z0-9-]{1,50}$/;

interface PushEnvelope {
  message?: { data?: string; messageId?: string; attributes?: Record<string, string> };
  subscription?: string;
}

/** Why pushes are refused, or undefined when the push endpoint is configured. */
export function pushDisabledReason(cfg: ServiceConfig['push']): string | undefined {
  const missing = [cfg.audience ? undefined : 'PUSH_AUDIENCE', cfg.serviceAccount ? undefined : 'PUSH_SERVICE_ACCOUNT'].filter((v) => v !== undefined);
  if (missing.length === 0) return undefined;
  return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not configured`;
}

/**
 * Verifies the OIDC token Pub/Sub push attaches: signature against the JWKS (Google's by
 * default, the local emulator's when PUBSUB_JWKS_URL points there), issuer, the configured
 * audience (PUSH_AUDIENCE: the push subscription's oidcToken.audience) and the push service
 * account's verified email.
 */
export class PushVerifier {
  private jwks: JWTVerifyGetKey;
  constructor(private cfg: ServiceConfig['push']) {
    this.jwks = createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 });
  }

  async verify(req: FastifyRequest): Promise<void> {
    // Configured, never derived from the request: Host and X-Forwarded-Host are the client's to
    // choose, so a token minted for any other push endpoint would pass.
    const { audience, serviceAccount } = this.cfg;
    if (!audience || !serviceAccount) throw new HttpError(401, `push endpoint disabled: ${pushDisabledReason(this.cfg)}`);
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !auth.toLowerCase().startsWith('bearer ')) throw new HttpError(401, 'Authorization: Bearer <OIDC token> required');
    try {
      const { payload } = await jwtVerify(auth.slice(7).trim(), this.jwks, { issuer: this.cfg.issuers, audience });
      if (payload.email !== serviceAccount) throw new Error(`token email is not ${serviceAccount}`);
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
      parseName(meta.collection, 'metadata.collection');
      // Stored with the row as its origin: it must be a region's name (a NUL byte failed the statement).
      if (!REGION_NAME.test(update.region)) throw new BadMessage('region must be a region name like us-central1');
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
