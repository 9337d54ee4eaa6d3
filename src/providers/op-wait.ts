/**
 * Polling a long-running operation. Progress is told once what the wait is for; a throttled or
 * failed poll is retried; and polls that reach no server end the wait after a few in a row with
 * an error saying so (the operation may still finish, and a rerun picks it up), rather than
 * polling a dead API in silence until the operation's deadline (45 minutes against GCP).
 */
import { classify, isUnreachable, OperationTimeoutError } from '../gcp/errors.js';
import { MAX_UNREACHABLE, sleep, unreachableAfter } from '../engine/retry.js';
import type { ProviderContext } from './types.js';

/** Polls in a row the API answered with a retryable error before the wait hands that error on. */
export const MAX_FAILED_POLLS = 10;

export interface PollSpec<Op> {
  done(op: Op): boolean;
  next(op: Op): Promise<Op>;
  /** The poll itself blocks server-side until the operation is done (Compute's wait): no pause between answers. */
  blocking?: boolean;
}

export async function pollOperation<Op>(ctx: ProviderContext, what: string, first: Op, o: PollSpec<Op>): Promise<Op> {
  let op = first;
  if (o.done(op)) return op;
  ctx.onWait?.(what);
  const deadline = Date.now() + ctx.poll.timeoutMs;
  let delay = ctx.poll.initialMs;
  let failed = 0;
  let unreachable = 0;
  while (!o.done(op)) {
    if (Date.now() > deadline) throw new OperationTimeoutError(`${what} still not done after ${Math.round(ctx.poll.timeoutMs / 1000)}s`);
    if (!o.blocking || failed > 0) {
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(ctx.poll.maxMs, Math.ceil(delay * 1.5));
    }
    try {
      op = await o.next(op);
      failed = 0;
      unreachable = 0;
      if (o.blocking) delay = ctx.poll.initialMs;
    } catch (err) {
      if (!classify(err).retryable) throw err;
      unreachable = isUnreachable(err) ? unreachable + 1 : 0;
      const dead = unreachableAfter(err, unreachable, MAX_UNREACHABLE, `gave up waiting for ${what}`);
      if (dead) throw dead;
      if (++failed >= MAX_FAILED_POLLS) throw err;
    }
  }
  return op;
}
