import { describe, expect, it } from 'vitest';
import { ApiUnreachableError, classify, describeError } from '../../../src/gcp/errors.js';
import { MAX_UNREACHABLE, RetriesExhaustedError, withRetry } from '../../../src/engine/retry.js';

const backoff = { baseMs: 1, maxMs: 2, maxAttempts: 20 };
const refused = (): Error => Object.assign(new Error('request to http://127.0.0.1:9/v1/x failed, reason: connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
const unavailable = (): Error => Object.assign(new Error('The service is currently unavailable'), { code: 503 });

describe('withRetry and an API that does not answer', () => {
  it('gives up after a few connection failures in a row, saying so, instead of the whole budget', async () => {
    let calls = 0;
    const err = await withRetry(async () => {
      calls++;
      throw refused();
    }, backoff).catch((e: unknown) => e);
    expect(calls).toBe(MAX_UNREACHABLE);
    expect(err).toBeInstanceOf(ApiUnreachableError);
    expect(describeError(err)).toBe(`gave up: the API did not answer ${MAX_UNREACHABLE} times in a row (connect ECONNREFUSED 127.0.0.1:9); check that it is up and reachable, then run the command again`);
    // Final: no caller's retry loop around this one starts over.
    expect(classify(err).retryable).toBe(false);
  });

  it('counts only failures in a row: an API that answers in between keeps the normal budget', async () => {
    let calls = 0;
    const err = await withRetry(async () => {
      throw ++calls % 2 ? refused() : unavailable();
    }, backoff).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(backoff.maxAttempts);
  });

  it('errors the caller bounds by time use up no attempts: the others keep their whole budget', async () => {
    let calls = 0;
    const missing = (): Error => Object.assign(new Error('not visible yet'), { code: 404 });
    const err = await withRetry(async () => {
      // Four "not visible yet" between each throttled call.
      throw ++calls % 5 ? missing() : unavailable();
    }, { ...backoff, maxAttempts: 3 }, { shouldRetry: () => true, uncounted: (c) => c.kind === 'notFound' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(15);
  });
});
