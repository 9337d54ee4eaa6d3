import { GRPC_CODES } from './errors.js';
import { EmuError, type EmuRequest, type OperationRecord } from './types.js';

/** gax clients append `$alt=json;enum-encoding=int` when they send enums as numbers. */
export function wantsIntEnums(req: EmuRequest): boolean {
  return (req.query.get('$alt') ?? '').includes('enum-encoding=int');
}

/** `updateMask=a,b.c` (query, as gax sends it) -> ['a', 'b.c']; camelCase and snake_case alike. */
export function parseUpdateMask(req: EmuRequest, fromBody?: unknown): string[] {
  const raw = req.query.get('updateMask') ?? req.query.get('update_mask') ?? (typeof fromBody === 'string' ? fromBody : '');
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
}

/**
 * AIP-158 pagination over a sorted list: the token is the opaque offset of the next page.
 * pageSize 0/absent -> `defaultSize`; a malformed token is INVALID_ARGUMENT as in GCP.
 */
export function paginate<T>(items: T[], pageSizeRaw: string | null, pageToken: string | null, defaultSize = 500, maxSize = 1000): { page: T[]; nextPageToken?: string } {
  const size = Math.min(maxSize, Number(pageSizeRaw) > 0 ? Number(pageSizeRaw) : defaultSize);
  let start = 0;
  if (pageToken) {
    const decoded = Number(Buffer.from(pageToken, 'base64url').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0) throw new EmuError(400, 'INVALID_ARGUMENT', 'Invalid page token', 'invalid', { fieldViolations: [{ field: 'page_token', description: 'Invalid page token' }] });
    start = decoded;
  }
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(`o:${start + size}`).toString('base64url') : undefined;
  return next ? { page, nextPageToken: next } : { page };
}

/**
 * google.longrunning.Operation as gax REST clients expect it: metadata and response carry
 * `@type`; a failure is `error: {code: <gRPC int>, message}`.
 */
export function gaxOperation(
  rec: OperationRecord,
  opts: { metadataType: string; metadata: Record<string, unknown>; responseType: string },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: rec.name,
    metadata: { '@type': `type.googleapis.com/${opts.metadataType}`, ...opts.metadata },
    done: rec.done,
  };
  if (rec.done && rec.error) {
    out.error = { code: GRPC_CODES[rec.error.grpcStatus] ?? 2, message: rec.error.message };
  } else if (rec.done) {
    const resp = rec.response && typeof rec.response === 'object' ? (rec.response as Record<string, unknown>) : {};
    out.response = { '@type': `type.googleapis.com/${opts.responseType}`, ...resp };
  }
  return out;
}

/** RFC 4122 v4-shaped id from the seeded PRNG (reproducible, unlike crypto.randomUUID). */
export function seededUuid(random: () => number): string {
  const b = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Lowercase alphanumerics from the seeded PRNG (revision suffixes, generated ids). */
export function seededToken(random: () => number, length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

/** Query booleans as gax sends them ('true'/'false'). */
export function queryBool(req: EmuRequest, name: string): boolean {
  return req.query.get(name) === 'true';
}

/** GCP label rules: lowercase keys starting with a letter, values of lowercase letters, digits, '_' and '-', both up to 63. */
export function checkLabels(labels: unknown, field: string): void {
  for (const [k, v] of Object.entries((labels ?? {}) as Record<string, string>)) {
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k) || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(String(v))) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `${field}: invalid label '${k}: ${String(v)}'`, undefined, { fieldViolations: [{ field: `${field}.${k}`, description: 'labels use lowercase letters, digits, _ and -, at most 63 characters, keys starting with a letter' }] });
    }
  }
}

/** An AIP-193 error factory for one API's domain: status, gRPC code, message, optional field violation. */
export function domainErrors(domain: string): (status: number, grpc: string, message: string, field?: string) => EmuError {
  return (status, grpc, message, field) =>
    new EmuError(status, grpc, message, grpc, { domain, ...(field ? { fieldViolations: [{ field, description: message }] } : {}) });
}
