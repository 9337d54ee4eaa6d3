/**
 * One place that turns whatever a GCP client library throws into a decision the engine can
 * make: retry, treat as "not there", treat as "already there", or give up.
 *
 * Errors arrive in several shapes:
 * - google-gax GoogleError (Run, Redis, SQL, Compute, VPC Access, Secret Manager, Pub/Sub over
 *   REST fallback): `code` is a numeric gRPC code (mapped from the HTTP status when the body had
 *   no `status`), `reason`/`domain` from ErrorInfo when present. Compute's legacy bodies lose
 *   their `errors[].reason`, so 403 quotaExceeded shows up as PERMISSION_DENIED + a message.
 * - gaxios GaxiosError / Storage ApiError: `code` or `status` is the HTTP status, the body is in
 *   `response.data` or sometimes only in `message` as raw JSON.
 * - failures inside finished operations, which providers wrap in OperationFailedError.
 * - network errors (ECONNRESET, ETIMEDOUT...) whose outcome is unknown.
 */

export const GRPC = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const GRPC_NAMES = Object.fromEntries(Object.entries(GRPC).map(([k, v]) => [v, k])) as Record<number, string>;

const HTTP_TO_GRPC: Record<number, number> = {
  400: GRPC.INVALID_ARGUMENT,
  401: GRPC.UNAUTHENTICATED,
  403: GRPC.PERMISSION_DENIED,
  404: GRPC.NOT_FOUND,
  409: GRPC.ABORTED,
  412: GRPC.FAILED_PRECONDITION,
  429: GRPC.RESOURCE_EXHAUSTED,
  499: GRPC.CANCELLED,
  500: GRPC.INTERNAL,
  501: GRPC.UNIMPLEMENTED,
  502: GRPC.UNAVAILABLE,
  503: GRPC.UNAVAILABLE,
  504: GRPC.DEADLINE_EXCEEDED,
};

/** What the engine should do about an error. */
export type ErrorKind =
  | 'notFound'
  | 'alreadyExists'
  /** etag / fingerprint / settingsVersion went stale: re-observe, then retry. */
  | 'stale'
  /** Throttled, overloaded, quota momentarily out, or another operation in progress. */
  | 'transient'
  /** The request may or may not have taken effect (timeout, connection reset, 5xx). */
  | 'unknownOutcome'
  /** A resource is still referenced by another one (delete order / eventual consistency). */
  | 'inUse'
  | 'quota'
  | 'fatal';

export interface ClassifiedError {
  kind: ErrorKind;
  retryable: boolean;
  grpcCode?: number;
  grpcStatus?: string;
  httpStatus?: number;
  reason?: string;
  message: string;
}

/** A finished long-running operation that reports failure. */
export class OperationFailedError extends Error {
  constructor(
    message: string,
    readonly grpcCode?: number,
    readonly httpStatus?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'OperationFailedError';
  }
}

/** Waiting on an operation gave up; the work may still finish. */
export class OperationTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationTimeoutError';
  }
}

/**
 * The API stopped answering: several tries in a row could not even connect. Retrying for the
 * rest of the budget (~15 minutes against GCP) would only be a silent wait, so this is final.
 */
export class ApiUnreachableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ApiUnreachableError';
  }
}

/** Nothing answered at the API's address (refused, no route): it, or the way to it, is down. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return typeof e === 'object' && e !== null && (UNREACHABLE_CODES.has(String(e.code)) || UNREACHABLE_CODES.has(String(e.cause?.code)));
}

type Loose = Record<string, unknown>;

function asObj(v: unknown): Loose | undefined {
  return v && typeof v === 'object' ? (v as Loose) : undefined;
}

/** Find the `{error: {...}}` body however the library stored it. */
function errorBody(e: Loose): Loose | undefined {
  const response = asObj(e.response);
  const data = response?.data;
  const fromData = asObj(typeof data === 'string' ? tryJson(data) : data);
  if (fromData?.error) return asObj(fromData.error);
  const errors = e.errors;
  if (Array.isArray(errors) && errors.length && typeof e.code === 'number') return { code: e.code, errors, message: e.message };
  if (typeof e.message === 'string' && e.message.trimStart().startsWith('{')) {
    const parsed = asObj(tryJson(e.message));
    if (parsed?.error) return asObj(parsed.error);
  }
  return undefined;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ECONNABORTED']);
/**
 * A name that does not resolve (ENOTFOUND; a passing DNS failure is EAI_AGAIN): no network, a
 * proxy or DNS setting, a wrong endpoint. Nothing was sent, and retrying for the engine's ~15
 * minutes of backoff only hid it behind a silent wait.
 */
const UNRESOLVED_CODES = new Set(['ENOTFOUND']);

export function classify(err: unknown): ClassifiedError {
  const e = asObj(err) ?? { message: String(err) };
  let message = typeof e.message === 'string' ? e.message : String(err);
  let grpcCode: number | undefined;
  let httpStatus: number | undefined;
  let reason = typeof e.reason === 'string' ? e.reason : undefined;

  if (err instanceof ApiUnreachableError) {
    return { kind: 'fatal', retryable: false, message };
  }
  if (err instanceof OperationTimeoutError) {
    return { kind: 'unknownOutcome', retryable: true, message };
  }
  if (err instanceof OperationFailedError) {
    grpcCode = err.grpcCode;
    httpStatus = err.httpStatus;
    reason = err.reason ?? reason;
  }

  const body = errorBody(e);
  if (body) {
    if (typeof body.message === 'string') message = body.message;
    if (typeof body.code === 'number') httpStatus = body.code;
    if (typeof body.status === 'string' && body.status in GRPC) grpcCode = GRPC[body.status as keyof typeof GRPC];
    const errs = Array.isArray(body.errors) ? (body.errors as Loose[]) : [];
    const firstReason = errs.map((x) => x.reason).find((r) => typeof r === 'string');
    if (typeof firstReason === 'string') reason = reason ?? firstReason;
    const details = Array.isArray(body.details) ? (body.details as Loose[]) : [];
    const info = details.find((d) => typeof d.reason === 'string');
    if (info && typeof info.reason === 'string') reason = reason ?? info.reason;
  }

  const code = e.code;
  const status = e.status;
  if (typeof code === 'number') {
    if (code >= 100) httpStatus = httpStatus ?? code;
    else grpcCode = grpcCode ?? code;
  } else if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return { kind: 'unknownOutcome', retryable: true, message: `${code}: ${message}` };
    if (UNRESOLVED_CODES.has(code)) return { kind: 'fatal', retryable: false, message: `${code}: ${message} (is this machine online? check DNS and any proxy settings)` };
    if (/^\d{3}$/.test(code)) httpStatus = httpStatus ?? Number(code);
  }
  if (typeof status === 'number' && status >= 100) httpStatus = httpStatus ?? status;
  if (grpcCode === undefined && httpStatus !== undefined) grpcCode = HTTP_TO_GRPC[httpStatus];

  const base = { grpcCode, grpcStatus: grpcCode === undefined ? undefined : GRPC_NAMES[grpcCode], httpStatus, reason, message };
  const r = (reason ?? '').toLowerCase();
  const m = message.toLowerCase();

  // Cloud Run's verdict on a revision that cannot run (a rollout operation's error, code 9):
  // retrying makes the same revision again and fails the same way (or races the failed
  // operation with a 409), so the reason goes to the person. First: the message ends with the
  // container's own output, which may say anything ("already exists", "in use by", ...).
  if (grpcCode === GRPC.FAILED_PRECONDITION && /is not ready and cannot serve traffic/.test(message)) {
    return { ...base, kind: 'fatal', retryable: false };
  }
  // Order matters: the message/reason checks recover what the REST fallback mapping loses.
  if (r === 'alreadyexists' || r === 'instancealreadyexists' || grpcCode === GRPC.ALREADY_EXISTS || /already exists/.test(m)) {
    return { ...base, kind: 'alreadyExists', retryable: false };
  }
  if (r === 'notfound' || grpcCode === GRPC.NOT_FOUND || httpStatus === 404) {
    return { ...base, kind: 'notFound', retryable: false };
  }
  if (r === 'quotaexceeded' || /quota .*exceeded|exceeded.*quota/.test(m)) {
    return { ...base, kind: 'quota', retryable: true };
  }
  if (r === 'ratelimitexceeded' || r === 'userratelimitexceeded' || grpcCode === GRPC.RESOURCE_EXHAUSTED || httpStatus === 429) {
    return { ...base, kind: 'transient', retryable: true };
  }
  // Never retried: emptying a bucket destroys data, and that is for a person to decide.
  if (/bucket you tried to delete is not empty|not empty/.test(m)) {
    return { ...base, kind: 'fatal', retryable: false };
  }
  if (r === 'conditionnotmet' || httpStatus === 412 || /fingerprint|etag|settingsversion|precondition/.test(m) && grpcCode !== GRPC.INVALID_ARGUMENT) {
    return { ...base, kind: 'stale', retryable: true };
  }
  if (r === 'resourceinusebyanotherresource' || /in use by|is being used by|still in use|has dependent|used by/.test(m)) {
    return { ...base, kind: 'inUse', retryable: true };
  }
  if (
    r === 'invalidstate' ||
    r === 'operationinprogress' ||
    r === 'resourcenotready' ||
    /operation (is )?(already )?in progress|another operation|not ready|being (created|deleted|updated)/.test(m)
  ) {
    return { ...base, kind: 'transient', retryable: true };
  }
  if (grpcCode === GRPC.UNAVAILABLE || grpcCode === GRPC.ABORTED || httpStatus === 503 || httpStatus === 502) {
    return { ...base, kind: 'transient', retryable: true };
  }
  if (grpcCode === GRPC.DEADLINE_EXCEEDED || grpcCode === GRPC.INTERNAL || grpcCode === GRPC.UNKNOWN || httpStatus === 500 || httpStatus === 504) {
    return { ...base, kind: 'unknownOutcome', retryable: true };
  }
  if (grpcCode === undefined && httpStatus === undefined && /socket hang up|network|fetch failed|timed? ?out/.test(m)) {
    return { ...base, kind: 'unknownOutcome', retryable: true };
  }
  return { ...base, kind: 'fatal', retryable: false };
}

export const isNotFound = (err: unknown): boolean => classify(err).kind === 'notFound';
export const isAlreadyExists = (err: unknown): boolean => classify(err).kind === 'alreadyExists';

/** A short, single-line description safe for summaries (bodies can be long JSON). */
export function describeError(err: unknown): string {
  // RetriesExhaustedError (engine/retry.ts, which imports this module): say what the last try met.
  const gaveUp = err as { last?: unknown; attempts?: number };
  if (gaveUp && typeof gaveUp === 'object' && 'last' in gaveUp && gaveUp.attempts) return `${describeError(gaveUp.last)} (gave up after ${gaveUp.attempts} attempts)`;
  const c = classify(err);
  const code = c.httpStatus ?? c.grpcStatus ?? '';
  const reason = c.reason ? ` ${c.reason}` : '';
  // The first line: what follows is a stack or a dump, not the gist.
  const msg = c.message.trim().split('\n')[0]!.replace(/\s+/g, ' ').slice(0, 300);
  return `${code ? `${code}${reason}: ` : ''}${msg}`;
}
