import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The key a client presented: Qdrant clients send `api-key`, others a bearer token. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const h = req.headers['api-key'];
  if (typeof h === 'string' && h.length > 0) return h;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return undefined;
}

export function requireWriteKey(req: FastifyRequest, expected: string | undefined): void {
  if (expected === undefined) throw new HttpError(401, 'writes are disabled: the server has no RUVECTOR_API_KEY configured');
  const got = presentedKey(req);
  if (got === undefined) throw new HttpError(401, 'api-key header or Authorization: Bearer token required for writes', { 'www-authenticate': 'Bearer' });
  // Compare digests so the comparison time does not depend on where the keys differ.
  if (!timingSafeEqual(digest(got), digest(expected))) throw new HttpError(401, 'api-key is not valid', { 'www-authenticate': 'Bearer' });
}

const keyIds = new Map<string, string>();

/** Rate-limit identity: the API key (hashed, never logged in clear) or the client address. */
export function userOf(req: FastifyRequest, expected: string | undefined): string {
  const got = presentedKey(req);
  if (got !== undefined && expected !== undefined && got === expected) {
    // Hashed once: this runs on every search.
    let id = keyIds.get(expected);
    if (id === undefined) keyIds.set(expected, (id = `key-${digest(expected).toString('hex').slice(0, 12)}`));
    return id;
  }
  const uid = req.headers['x-user-id'];
  if (typeof uid === 'string' && /^[\w.@-]{1,64}$/.test(uid) && got !== undefined && expected !== undefined && got === expected) return uid;
  return `ip-${req.ip}`;
}
