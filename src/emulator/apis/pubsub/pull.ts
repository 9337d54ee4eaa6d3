import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { bodyOf, psErrors, subscriptionName } from './common.js';
import { queuesFor } from './runtime.js';
import { getSubscriptionOrThrow } from './subscriptions.js';

/** How long a pull without returnImmediately waits for a message before answering empty. */
const PULL_WAIT_MS = 2000;

function ackIdsOf(body: Record<string, unknown>): string[] {
  const ids = body.ackIds;
  if (!Array.isArray(ids) || ids.length === 0) throw psErrors.invalid('No ack ids specified.', 'ack_ids');
  return ids.map(String);
}

/** Pull: the first consumer of the delivery queue (see delivery.ts). */
export async function pull(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  if (getSubscriptionOrThrow(ctx, name).detached) throw psErrors.failedPrecondition('The subscription is detached from its topic.');
  const body = bodyOf(req.body);
  const max = Number(body.maxMessages ?? 0);
  if (!Number.isInteger(max) || max <= 0) throw psErrors.invalid('max_messages must be greater than 0.', 'max_messages');
  const q = queuesFor(ctx);
  let got = q.lease(name, Math.min(max, 1000));
  if (got.length === 0 && body.returnImmediately !== true) {
    const until = Date.now() + PULL_WAIT_MS;
    while (got.length === 0 && Date.now() < until) {
      await q.waitForWork(name, until);
      got = q.lease(name, Math.min(max, 1000));
    }
  }
  return { body: got.length ? { receivedMessages: got } : {} };
}

export function acknowledge(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  getSubscriptionOrThrow(ctx, name);
  queuesFor(ctx).ack(name, ackIdsOf(bodyOf(req.body)));
  return { body: {} };
}

export function modifyAckDeadline(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  getSubscriptionOrThrow(ctx, name);
  const body = bodyOf(req.body);
  const seconds = Number(body.ackDeadlineSeconds ?? 0);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
    throw psErrors.invalid(`Invalid ack deadline given: ${String(body.ackDeadlineSeconds)}. Must be between 0 and 600 seconds.`, 'ack_deadline_seconds');
  }
  queuesFor(ctx).modifyDeadline(name, ackIdsOf(body), seconds);
  return { body: {} };
}
