import { ApiUnreachableError, classify, isUnreachable, type ClassifiedError } from '../gcp/errors.js';

export interface BackoffOptions {
  /** First delay, ms. */
  baseMs: number;
  /** Ceiling for one delay, ms. */
  maxMs: number;
  /** Give up after this many attempts in total (first try included). */
  maxAttempts: number;
  /** Give up sooner, after this many tries in a row that could not connect (default MAX_UNREACHABLE). */
  maxUnreachable?: number;
  /** Source of jitter in [0,1); injectable so tests are reproducible. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, maxAttempts: 8 };

/**
 * Tries (or operation polls) in a row that reached no server before giving up: a dead API or
 * network refuses at once, and the whole budget would be minutes of silence before saying so.
 */
export const MAX_UNREACHABLE = 5;

/** The error for the `n`th connection failure in a row, once that is `max`: final, saying what it met. */
export function unreachableAfter(err: unknown, n: number, max: number, doing: string): ApiUnreachableError | undefined {
  if (n < max) return undefined;
  const why = classify(err).message.replace(/^.*reason: /, '').split('\n')[0];
  return new ApiUnreachableError(`${doing}: the API did not answer ${n} times in a row (${why}); check that it is up and reachable, then run the command again`, err);
}

/** setTimeout's largest delay: a longer one fires at once (Node warns and uses 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Waits ms, however long: a 30-day --pause or burst window is waited in timer-sized steps. */
export async function sleep(ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) await new Promise((r) => setTimeout(r, Math.min(left, MAX_TIMER_MS)));
}

/**
 * "Full jitter" exponential backoff (AWS architecture blog): a uniformly random delay in
 * [base/2, min(max, base * 2^attempt)] so many workers retrying the same throttled API spread out.
 */
export function backoffDelay(attempt: number, o: Pick<BackoffOptions, 'baseMs' | 'maxMs' | 'random'>): number {
  const cap = Math.min(o.maxMs, o.baseMs * 2 ** attempt);
  const r = (o.random ?? Math.random)();
  return Math.round(o.baseMs / 2 + r * Math.max(0, cap - o.baseMs / 2));
}

export class RetriesExhaustedError extends Error {
  constructor(
    readonly last: unknown,
    readonly attempts: number,
  ) {
    super(last instanceof Error ? last.message : String(last));
    this.name = 'RetriesExhaustedError';
  }
}

export interface RetryHooks {
  /** Decide per error; default: classify(err).retryable. */
  shouldRetry?: (c: ClassifiedError, err: unknown, attempt: number) => boolean;
  onRetry?: (c: ClassifiedError, attempt: number, delayMs: number) => void;
  /** A retried error that does not use up an attempt: the caller bounds it otherwise (by time). */
  uncounted?: (c: ClassifiedError, err: unknown) => boolean;
}

/** Run fn until it succeeds, a non-retryable error occurs, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: BackoffOptions, hooks: RetryHooks = {}): Promise<T> {
  const wait = o.sleep ?? sleep;
  let unreachable = 0;
  let spent = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const c = classify(err);
      const retry = hooks.shouldRetry ? hooks.shouldRetry(c, err, attempt) : c.retryable;
      if (!retry) throw err;
      unreachable = isUnreachable(err) ? unreachable + 1 : 0;
      const dead = unreachableAfter(err, unreachable, o.maxUnreachable ?? MAX_UNREACHABLE, 'gave up');
      if (dead) throw dead;
      if (!hooks.uncounted?.(c, err) && ++spent >= o.maxAttempts) throw new RetriesExhaustedError(err, attempt + 1);
      const delay = backoffDelay(attempt, o);
      hooks.onRetry?.(c, attempt + 1, delay);
      await wait(delay);
    }
  }
}

/** Poll `check` until it returns a value, with growing delays; undefined after the deadline. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  o: { initialMs: number; maxMs: number; timeoutMs: number; sleep?: (ms: number) => Promise<void> },
): Promise<T | undefined> {
  const wait = o.sleep ?? sleep;
  const deadline = Date.now() + o.timeoutMs;
  let delay = o.initialMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await wait(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(o.maxMs, Math.ceil(delay * 1.5));
  }
}
