import { describe, expect, it } from 'vitest';
import { GoogleError } from 'google-gax';
import { classify, OperationFailedError, OperationTimeoutError } from '../../../src/gcp/errors.js';

function gaxFromBody(body: unknown): GoogleError {
  return GoogleError.parseHttpError(body);
}

describe('classify', () => {
  it('reads AIP-193 bodies through gax', () => {
    const e = gaxFromBody({ error: { code: 409, status: 'ALREADY_EXISTS', message: 'Resource already exists', details: [] } });
    expect(classify(e).kind).toBe('alreadyExists');
    expect(classify(gaxFromBody({ error: { code: 404, status: 'NOT_FOUND', message: 'no' } })).kind).toBe('notFound');
    expect(classify(gaxFromBody({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down' } }))).toMatchObject({ kind: 'transient', retryable: true });
    expect(classify(gaxFromBody({ error: { code: 503, status: 'UNAVAILABLE', message: 'x' } })).retryable).toBe(true);
    expect(classify(gaxFromBody({ error: { code: 409, status: 'ABORTED', message: 'etag mismatch' } })).retryable).toBe(true);
  });

  it('recovers compute legacy reasons the REST fallback drops', () => {
    const quota = gaxFromBody({ error: { code: 403, message: "Quota 'NETWORKS' exceeded. Limit: 5.0 globally.", errors: [{ domain: 'usageLimits', reason: 'quotaExceeded' }] } });
    expect(classify(quota)).toMatchObject({ kind: 'quota', retryable: true });
    const exists = gaxFromBody({ error: { code: 409, message: "The resource 'projects/p/global/networks/n' already exists", errors: [{ reason: 'alreadyExists' }] } });
    expect(classify(exists).kind).toBe('alreadyExists');
    const stale = gaxFromBody({ error: { code: 412, message: 'Supplied fingerprint does not match current fingerprint.', errors: [{ reason: 'conditionNotMet' }] } });
    expect(classify(stale)).toMatchObject({ kind: 'stale', retryable: true });
    const forbidden = gaxFromBody({ error: { code: 403, message: 'Permission denied on resource' } });
    expect(classify(forbidden)).toMatchObject({ kind: 'fatal', retryable: false });
  });

  it('reads gaxios-style errors with an HTTP status and a JSON message', () => {
    const e = Object.assign(new Error(JSON.stringify({ error: { code: 409, message: 'Operation in progress', errors: [{ reason: 'invalidState' }] } })), { code: 409 });
    expect(classify(e)).toMatchObject({ kind: 'transient', httpStatus: 409, reason: 'invalidState' });
    const notEmpty = Object.assign(new Error('The bucket you tried to delete is not empty.'), { code: 409, errors: [{ reason: 'conflict' }] });
    expect(classify(notEmpty)).toMatchObject({ kind: 'fatal', retryable: false });
    const storage = Object.assign(new Error('Not Found'), { code: 404, errors: [{ reason: 'notFound', message: 'Not Found' }] });
    expect(classify(storage).kind).toBe('notFound');
  });

  it('treats network failures and timeouts as unknown outcomes', () => {
    expect(classify(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind).toBe('unknownOutcome');
    expect(classify(new OperationTimeoutError('slow')).kind).toBe('unknownOutcome');
  });

  it('a passing DNS failure is retried; a name that does not resolve is not (nothing was sent)', () => {
    expect(classify(Object.assign(new Error('getaddrinfo EAI_AGAIN compute.googleapis.com'), { code: 'EAI_AGAIN' }))).toMatchObject({ retryable: true });
    const offline = classify(Object.assign(new Error('request to https://oauth2.googleapis.com/token failed, reason: getaddrinfo ENOTFOUND oauth2.googleapis.com'), { code: 'ENOTFOUND' }));
    expect(offline).toMatchObject({ kind: 'fatal', retryable: false });
    expect(offline.message).toMatch(/^ENOTFOUND: .* \(is this machine online\? check DNS and any proxy settings\)$/);
  });

  it("a Cloud Run revision that is not ready and cannot serve traffic is final, whatever its container printed", () => {
    const notReady = "Revision 'ruvector-00001-abc' is not ready and cannot serve traffic. Image 'us-docker.pkg.dev/p/r/ruvector:v1' not found.";
    expect(classify(new OperationFailedError(notReady, 9))).toMatchObject({ kind: 'fatal', retryable: false, grpcStatus: 'FAILED_PRECONDITION', message: notReady });
    // As google-gax rejects an operation's promise with the operation's error.
    expect(classify(Object.assign(new GoogleError(notReady), { code: 9 }))).toMatchObject({ kind: 'fatal', retryable: false });
    expect(classify(gaxFromBody({ error: { code: 400, status: 'FAILED_PRECONDITION', message: notReady } }))).toMatchObject({ kind: 'fatal', retryable: false });
    // The container's last output is part of the message and must not decide the kind.
    const output = "Revision 'ruvector-00002-xyz' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable: exited (1). Last output: relation \"vectors\" already exists | address in use by another process";
    expect(classify(new OperationFailedError(output, 9))).toMatchObject({ kind: 'fatal', retryable: false });
    // Other "not ready" errors are still waited out.
    expect(classify(new OperationFailedError('The instance is not ready yet.', 9))).toMatchObject({ kind: 'transient', retryable: true });
    expect(classify(gaxFromBody({ error: { code: 400, status: 'FAILED_PRECONDITION', message: 'Resource not ready' } }))).toMatchObject({ kind: 'transient', retryable: true });
  });

  it('classifies failed operations', () => {
    expect(classify(new OperationFailedError('QUOTA_EXCEEDED: Quota exceeded for REDIS_GB', 8)).kind).toBe('quota');
    expect(classify(new OperationFailedError('bad machine type', 3)).kind).toBe('fatal');
  });
});
