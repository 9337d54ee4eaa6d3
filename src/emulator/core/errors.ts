import { EmuError, type ApiStyle } from './types.js';

/** gRPC canonical code numbers (google.rpc.Code), used inside operation errors. */
export const GRPC_CODES: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9,
  ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
  DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** Legacy (compute/storage/sql) reason for a gRPC status when the thrower gave none. */
const LEGACY_REASON: Record<string, string> = {
  NOT_FOUND: 'notFound', ALREADY_EXISTS: 'alreadyExists', INVALID_ARGUMENT: 'invalid',
  FAILED_PRECONDITION: 'conditionNotMet', ABORTED: 'conditionNotMet', RESOURCE_EXHAUSTED: 'rateLimitExceeded',
  PERMISSION_DENIED: 'forbidden', UNAVAILABLE: 'backendError', INTERNAL: 'internalError',
  UNIMPLEMENTED: 'notImplemented', UNAUTHENTICATED: 'required', DEADLINE_EXCEEDED: 'deadlineExceeded',
};

/** Shorthands for the errors every API throws. */
export const errors = {
  notFound: (what: string) => new EmuError(404, 'NOT_FOUND', `Resource '${what}' was not found`, 'notFound'),
  alreadyExists: (what: string) => new EmuError(409, 'ALREADY_EXISTS', `Resource '${what}' already exists`, 'alreadyExists'),
  invalid: (message: string, field?: string) =>
    new EmuError(400, 'INVALID_ARGUMENT', message, 'invalid', field ? { fieldViolations: [{ field, description: message }] } : undefined),
  failedPrecondition: (message: string) => new EmuError(400, 'FAILED_PRECONDITION', message, 'failedPrecondition'),
  aborted: (message: string) => new EmuError(409, 'ABORTED', message, 'conditionNotMet'),
  conditionNotMet: (message: string) => new EmuError(412, 'FAILED_PRECONDITION', message, 'conditionNotMet'),
  unimplemented: (message: string) => new EmuError(501, 'UNIMPLEMENTED', message, 'notImplemented'),
};

function defaultDomain(style: ApiStyle): string {
  return style === 'compute' || style === 'storage' || style === 'sql' ? 'global' : 'googleapis.com';
}

/** Renders an EmuError as the JSON body its API sends on the wire. */
export function renderError(style: ApiStyle, err: EmuError, api: string): { status: number; body: unknown } {
  const status = err.httpStatus;
  if (style === 'gax') {
    const details: Record<string, unknown>[] = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: err.reason && /^[A-Z0-9_]+$/.test(err.reason) ? err.reason : err.grpcStatus,
        // Legacy domains ('usageLimits', 'global') mean nothing to gax callers: use the service name.
        domain: err.details?.domain?.includes('.') ? err.details.domain : `${api}.googleapis.com`,
        metadata: err.details?.metadata ?? {},
      },
    ];
    if (err.details?.fieldViolations?.length) {
      details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: err.details.fieldViolations });
    }
    return { status, body: { error: { code: status, message: err.message, status: err.grpcStatus, details } } };
  }
  const reason = err.reason ?? LEGACY_REASON[err.grpcStatus] ?? 'unknown';
  const domain = err.details?.domain ?? defaultDomain(style);
  const errorsList = err.details?.fieldViolations?.length
    ? err.details.fieldViolations.map((v) => ({ domain, reason, message: v.description, location: v.field, locationType: 'parameter' }))
    : [{ domain, reason, message: err.message }];
  return { status, body: { error: { code: status, message: err.message, errors: errorsList } } };
}

/** The error an operation records when its work fails: `{code: <gRPC int>, message}` plus the HTTP/legacy bits. */
export function operationError(err: EmuError): { httpStatus: number; grpcStatus: string; message: string; reason?: string } {
  return { httpStatus: err.httpStatus, grpcStatus: err.grpcStatus, message: err.message, reason: err.reason };
}

export function toEmuError(e: unknown): EmuError {
  if (e instanceof EmuError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new EmuError(500, 'INTERNAL', `Internal error: ${message}`, 'internalError');
}
