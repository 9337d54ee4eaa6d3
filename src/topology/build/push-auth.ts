import type { Ctx, RegionInfo } from '../context.js';
import { effectiveEnv } from './env.js';

/**
 * How a region's push subscriptions and its service agree on the OIDC token of each push
 * (service/src/replication/push.ts checks its audience and signer). Pub/Sub's default audience
 * is the push endpoint's URL, which exists only once the service does, and a service that took
 * its expected audience from the request it was checking would accept a token minted for any
 * other endpoint. So each subscription names its audience explicitly, from names known before
 * anything is deployed, and the service is told the same value (PUSH_AUDIENCE).
 */
export function defaultPushAudience(ctx: Ctx, r: RegionInfo, pushPath: string): string {
  // The service's full resource name, as Google writes one, and the path pushed to.
  return `//run.googleapis.com/${ctx.runServiceName(r)}${pushPath}`;
}

function envOf(ctx: Ctx, r: RegionInfo): Record<string, string> {
  return Object.fromEntries(effectiveEnv(ctx, r).map((e) => [e.name, e.value]));
}

/**
 * The topic whose push subscription delivers other regions' writes to the service: the one it
 * publishes its own writes to (PUBSUB_TOPIC, a full name or a bare topic id).
 */
function replicationTopic(ctx: Ctx, env: Record<string, string>) {
  const named = env.PUBSUB_TOPIC;
  if (named === undefined) return undefined;
  return ctx.spec.pubsub.topics.find((t) => t.subscription && (named === t.name || named === `projects/${ctx.p}/topics/${t.name}`));
}

/** The audience of a region's subscription to a topic: PUSH_AUDIENCE from the spec's env for the replication topic, when given. */
export function subscriptionAudience(ctx: Ctx, r: RegionInfo, topic: string, pushPath: string): string {
  const env = envOf(ctx, r);
  if (env.PUSH_AUDIENCE !== undefined && replicationTopic(ctx, env)?.name === topic) return env.PUSH_AUDIENCE;
  return defaultPushAudience(ctx, r, pushPath);
}

/**
 * PUSH_AUDIENCE and PUSH_SERVICE_ACCOUNT for a region's service: those of its replication
 * subscription. None when no subscription pushes to it (the service then refuses pushes).
 */
export function pushAuthEnv(ctx: Ctx, r: RegionInfo): Record<string, string> {
  const env = envOf(ctx, r);
  const t = replicationTopic(ctx, env);
  if (!t?.subscription) return {};
  return { PUSH_AUDIENCE: subscriptionAudience(ctx, r, t.name, t.subscription.pushPath), PUSH_SERVICE_ACCOUNT: ctx.serviceAccountEmail(r) };
}
