import { EmuError } from '../../../core/types.js';

/** Compute's error wording, as the real API phrases it (clients and humans grep for it). */
export const err = {
  notFound: (key: string) => new EmuError(404, 'NOT_FOUND', `The resource '${key}' was not found`, 'notFound'),
  alreadyExists: (key: string) => new EmuError(409, 'ALREADY_EXISTS', `The resource '${key}' already exists`, 'alreadyExists'),
  invalid: (field: string, value: unknown, why: string) =>
    new EmuError(400, 'INVALID_ARGUMENT', `Invalid value for field '${field}': '${display(value)}'. ${why}`, 'invalid'),
  required: (field: string) => new EmuError(400, 'INVALID_ARGUMENT', `Required field '${field}' not specified`, 'required'),
  badRequest: (message: string, reason = 'badRequest') => new EmuError(400, 'INVALID_ARGUMENT', message, reason),
  staleFingerprint: (what = 'fingerprint') =>
    new EmuError(412, 'FAILED_PRECONDITION', `Supplied ${what} does not match current metadata ${what}.`, 'conditionNotMet'),
  inUse: (noun: string, key: string, by: string) =>
    new EmuError(400, 'FAILED_PRECONDITION', `The ${noun} resource '${key}' is already being used by '${by}'`, 'resourceInUseByAnotherResource'),
};

function display(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** `quotaExceeded` -> `QUOTA_EXCEEDED`: the code Compute puts in operation error entries. */
export function operationErrorCode(reason: string | undefined, grpcStatus: string): string {
  if (!reason) return grpcStatus;
  return reason.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'BAD_REQUEST', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 412: 'PRECONDITION_FAILED', 429: 'TOO_MANY_REQUESTS', 500: 'INTERNAL_SERVER_ERROR', 503: 'SERVICE_UNAVAILABLE',
};

export function httpStatusText(status: number): string {
  return STATUS_TEXT[status] ?? String(status);
}
