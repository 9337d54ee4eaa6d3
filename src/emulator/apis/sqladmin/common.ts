import { createHash } from 'node:crypto';
import { EmuError, type EmuRequest, type EmuResponse, type EmulatorContext } from '../../core/types.js';
import { paginate } from '../../core/helpers.js';
import { ProtoCodec, protoRoot, wantsIntEnums, type Json } from './protojson.js';

export type { Json };

export const API = 'sqladmin';

/** Cloud SQL Admin v1 messages, from the installed @google-cloud/sql protos. */
export const codec = new ProtoCodec(protoRoot('@google-cloud/sql'), 'google.cloud.sql.v1');

/** Collections, keyed by full resource name (`projects/{p}/instances/{i}[/databases/{d}]`). */
export const COL = {
  instances: 'sqladmin.instances',
  databases: 'sqladmin.databases',
  users: 'sqladmin.users',
  /** instance key -> the operation currently holding it (Cloud SQL runs one at a time). */
  locks: 'sqladmin.locks',
} as const;

/** Cloud SQL's legacy error body: `{error:{code, message, errors:[{domain:"global", reason, message}]}}`. */
export function sqlError(status: number, reason: string, message: string): EmuError {
  const grpc: Record<number, string> = { 400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 412: 'FAILED_PRECONDITION' };
  return new EmuError(status, grpc[status] ?? 'UNKNOWN', message, reason, { domain: 'global' });
}

export const errs = {
  invalid: (detail: string) => sqlError(400, 'invalid', `Invalid request: ${detail}`),
  instanceMissing: () => sqlError(404, 'instanceDoesNotExist', 'The Cloud SQL instance does not exist.'),
  /** What Cloud SQL answers for an instance you cannot see, e.g. a replica's missing primary. */
  notAuthorized: () => sqlError(403, 'notAuthorized', 'The client is not authorized to make this request.'),
  exists: () => sqlError(409, 'instanceAlreadyExists', 'The Cloud SQL instance already exists.'),
  busy: () => sqlError(409, 'operationInProgress', 'Operation failed because another operation was already in progress.'),
  stale: () => sqlError(412, 'staleData', 'Condition does not match.'),
};

export function instanceKey(project: string, instance: string): string {
  return `projects/${project}/instances/${instance}`;
}

export function userKey(instKey: string, name: string, host: string): string {
  return `${instKey}/users/${encodeURIComponent(host)}/${encodeURIComponent(name)}`;
}

export function databaseKey(instKey: string, name: string): string {
  return `${instKey}/databases/${name}`;
}

export function nowIso(ctx: EmulatorContext): string {
  return ctx.now().toISOString();
}

/** A seeded RFC 4122-shaped id, the form Cloud SQL uses for operation names. */
export function uuid(ctx: EmulatorContext): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(ctx.random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Content etag: changes whenever the resource does, like the real one. */
export function etagOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 64);
}

/** Parse a request body against a message type; a body that does not fit is a 400. */
export function decodeBody(type: string, body: unknown): Json {
  try {
    return codec.decode(type, body);
  } catch (e) {
    throw errs.invalid((e as Error).message.replace(/^fromProto3JSONToInternalRepresentation: /, ''));
  }
}

/** Render one message in the encoding the caller asked for. */
export function reply(req: EmuRequest, type: string, value: Json, status = 200): EmuResponse {
  return { status, body: codec.encode(type, value, wantsIntEnums(req)) };
}

export function baseLink(ctx: EmulatorContext, path: string): string {
  return `${ctx.baseUrl()}/v1/${path}`;
}

/** Cloud SQL pages with `maxResults` / `pageToken` (opaque offsets, malformed ones are a 400). */
export function page<T>(items: T[], maxResults: string | null, pageToken: string | null): { items: T[]; nextPageToken?: string } {
  const { page: slice, nextPageToken } = paginate(items, maxResults, pageToken, 1000, 1000);
  return nextPageToken ? { items: slice, nextPageToken } : { items: slice };
}
