import { paginate, parseUpdateMask, wantsIntEnums } from '../../core/helpers.js';
import { compileFilter } from './filter.js';
import { dropPolicy } from './iam.js';
import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import {
  bodyOf, checkBody, codecs, emit, formatDuration, parseDuration, parseTopicRef, psErrors, subscriptionName, validateId, validateLabels, type Json,
} from './common.js';
import { subscriptions, topics, type StoredSubscription } from './model.js';
import { queuesFor } from './runtime.js';

const DAY = 86400;
const UPDATABLE = new Set([
  'ackDeadlineSeconds', 'pushConfig', 'labels', 'messageRetentionDuration', 'retainAckedMessages', 'expirationPolicy',
  'deadLetterPolicy', 'retryPolicy', 'enableExactlyOnceDelivery', 'detached', 'bigqueryConfig', 'cloudStorageConfig',
]);

export function renderSubscription(req: EmuRequest, ctx: EmulatorContext, s: StoredSubscription): Json {
  const topic = topics(ctx).peek(s.topic);
  const out: Json = { ...s, ...(topic?.messageRetentionDuration ? { topicMessageRetentionDuration: topic.messageRetentionDuration } : {}) };
  return codecs.subscription.forWire(out, wantsIntEnums(req));
}

export function getSubscriptionOrThrow(ctx: EmulatorContext, name: string): StoredSubscription {
  const s = subscriptions(ctx).get(name);
  if (!s) throw psErrors.notFound(name);
  return s;
}

function validatePushConfig(v: unknown): StoredSubscription['pushConfig'] {
  const p = bodyOf(v);
  const out: StoredSubscription['pushConfig'] = {};
  const endpoint = typeof p.pushEndpoint === 'string' ? p.pushEndpoint : '';
  if (endpoint) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw psErrors.invalid(`Invalid push endpoint given (endpoint=${endpoint}).`, 'push_config.push_endpoint');
    }
    // Plain http is accepted so the local data plane can push to 127.0.0.1 services.
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw psErrors.invalid(`Invalid push endpoint given (endpoint=${endpoint}).`, 'push_config.push_endpoint');
    out.pushEndpoint = endpoint;
  }
  const attributes = { ...((p.attributes as Record<string, string> | undefined) ?? {}) };
  const version = attributes['x-goog-version'];
  if (version !== undefined && version !== 'v1' && version !== 'v1beta1') {
    throw psErrors.invalid(`Invalid push config attribute x-goog-version: ${version}`, 'push_config.attributes');
  }
  // A push subscription reports the wire format it pushes in.
  if (endpoint && version === undefined) attributes['x-goog-version'] = 'v1';
  if (Object.keys(attributes).length) out.attributes = attributes;
  if (p.oidcToken !== undefined) {
    const o = bodyOf(p.oidcToken);
    if (typeof o.serviceAccountEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(o.serviceAccountEmail)) {
      throw psErrors.invalid(`Invalid service account email: ${String(o.serviceAccountEmail)}`, 'push_config.oidc_token.service_account_email');
    }
    out.oidcToken = { serviceAccountEmail: o.serviceAccountEmail, ...(typeof o.audience === 'string' && o.audience ? { audience: o.audience } : {}) };
  }
  if (p.pubsubWrapper !== undefined) out.pubsubWrapper = bodyOf(p.pubsubWrapper);
  if (p.noWrapper !== undefined) out.noWrapper = bodyOf(p.noWrapper);
  if (!endpoint && (out.oidcToken || out.noWrapper || out.pubsubWrapper)) {
    throw psErrors.invalid('push_config.push_endpoint is required with oidc_token or a wrapper.', 'push_config.push_endpoint');
  }
  return out;
}

/** Builds the stored subscription from a client's body, filling Pub/Sub's defaults. */
function buildSubscription(ctx: EmulatorContext, name: string, body: Json, prev?: StoredSubscription): StoredSubscription {
  const topic = prev ? prev.topic : parseTopicRef(body.topic, 'topic');
  if (prev && body.topic !== undefined && body.topic !== prev.topic) throw psErrors.invalid('The topic of a subscription cannot be changed.', 'topic');
  if (!prev && !topics(ctx).peek(topic)) throw psErrors.notFound(topic);

  const ack = body.ackDeadlineSeconds === undefined || body.ackDeadlineSeconds === 0 ? 10 : Number(body.ackDeadlineSeconds);
  if (!Number.isInteger(ack) || ack < 10 || ack > 600) {
    throw psErrors.invalid(`Invalid ack deadline given: ${String(body.ackDeadlineSeconds)}. Must be between 10 and 600 seconds.`, 'ack_deadline_seconds');
  }
  const retention = parseDuration(body.messageRetentionDuration, 'message_retention_duration') ?? 7 * DAY;
  if (retention < 600 || retention > 31 * DAY) throw psErrors.invalid('message_retention_duration must be between 10 minutes and 31 days.', 'message_retention_duration');

  const s: StoredSubscription = {
    name,
    topic,
    pushConfig: validatePushConfig(body.pushConfig),
    ackDeadlineSeconds: ack,
    messageRetentionDuration: formatDuration(retention),
    expirationPolicy: { ttl: formatDuration(31 * DAY) },
    state: 'ACTIVE',
  };
  if (body.retainAckedMessages === true) s.retainAckedMessages = true;
  const labels = validateLabels(body.labels);
  if (labels) s.labels = labels;
  const ordering = body.enableMessageOrdering === true;
  if (prev && ordering !== (prev.enableMessageOrdering === true)) throw psErrors.invalid('enable_message_ordering cannot be changed.', 'enable_message_ordering');
  if (ordering) s.enableMessageOrdering = true;
  if (body.expirationPolicy !== undefined) {
    const ttl = parseDuration(bodyOf(body.expirationPolicy).ttl, 'expiration_policy.ttl');
    if (ttl === undefined) s.expirationPolicy = {}; // never expires
    else if (ttl < DAY || ttl < retention) {
      throw psErrors.invalid('expiration_policy.ttl must be at least 1 day and at least message_retention_duration.', 'expiration_policy.ttl');
    } else s.expirationPolicy = { ttl: formatDuration(ttl) };
  }
  const filter = typeof body.filter === 'string' ? body.filter : '';
  if (prev && filter !== (prev.filter ?? '')) throw psErrors.invalid('The filter of a subscription cannot be changed.', 'filter');
  if (filter.length > 256) throw psErrors.invalid('filter is longer than 256 bytes.', 'filter');
  if (filter) {
    compileFilter(filter);
    s.filter = filter;
  }
  if (body.deadLetterPolicy !== undefined) {
    const d = bodyOf(body.deadLetterPolicy);
    const dlt = parseTopicRef(d.deadLetterTopic, 'dead_letter_policy.dead_letter_topic');
    if (!topics(ctx).peek(dlt)) throw psErrors.notFound(dlt);
    const max = d.maxDeliveryAttempts === undefined || d.maxDeliveryAttempts === 0 ? 5 : Number(d.maxDeliveryAttempts);
    if (!Number.isInteger(max) || max < 5 || max > 100) {
      throw psErrors.invalid(`Invalid max_delivery_attempts: ${String(d.maxDeliveryAttempts)}. Must be between 5 and 100.`, 'dead_letter_policy.max_delivery_attempts');
    }
    s.deadLetterPolicy = { deadLetterTopic: dlt, maxDeliveryAttempts: max };
  }
  if (body.retryPolicy !== undefined) {
    const r = bodyOf(body.retryPolicy);
    const min = parseDuration(r.minimumBackoff, 'retry_policy.minimum_backoff') ?? 10;
    const max = parseDuration(r.maximumBackoff, 'retry_policy.maximum_backoff') ?? 600;
    if (min < 0 || min > 600 || max < 0 || max > 600 || min > max) {
      throw psErrors.invalid('retry_policy backoffs must be within 0s..600s with minimum_backoff <= maximum_backoff.', 'retry_policy');
    }
    s.retryPolicy = { minimumBackoff: formatDuration(min), maximumBackoff: formatDuration(max) };
  }
  if (body.detached === true) s.detached = true;
  if (body.enableExactlyOnceDelivery === true) s.enableExactlyOnceDelivery = true;
  return s;
}

export function createSubscription(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const { project, subscription } = req.params as { project: string; subscription: string };
  validateId('subscription', subscription);
  const name = subscriptionName(project, subscription);
  checkBody('Subscription', req.body, 'subscription');
  const s = buildSubscription(ctx, name, codecs.subscription.toNames(bodyOf(req.body)));
  if (subscriptions(ctx).peek(name)) throw psErrors.alreadyExists(name);
  // A new subscription starts empty, whatever an earlier one of that name (or a reset world) left.
  queuesFor(ctx).drop(name);
  subscriptions(ctx).insert(name, s);
  emit(ctx, 'subscription', name, s, 'created');
  return { body: renderSubscription(req, ctx, s) };
}

export function getSubscription(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const s = getSubscriptionOrThrow(ctx, subscriptionName(req.params.project!, req.params.subscription!));
  return { body: renderSubscription(req, ctx, s) };
}

export function listSubscriptions(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const all = subscriptions(ctx).list(`projects/${req.params.project}/subscriptions/`);
  const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'));
  return { body: { subscriptions: page.map((s) => renderSubscription(req, ctx, s)), ...(nextPageToken ? { nextPageToken } : {}) } };
}

export function updateSubscription(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  const current = getSubscriptionOrThrow(ctx, name);
  const body = bodyOf(req.body);
  const patch = codecs.subscription.toNames(bodyOf(body.subscription));
  const mask = parseUpdateMask(req, body.updateMask);
  if (mask.length === 0) throw psErrors.invalid('The update_mask in the UpdateSubscriptionRequest must be set.', 'update_mask');
  const desired: Json = { ...current };
  for (const path of mask) {
    const top = path.split('.')[0]!;
    if (!UPDATABLE.has(top)) throw psErrors.invalid(`Invalid update_mask provided in the UpdateSubscriptionRequest: the '${path}' field cannot be updated.`, 'update_mask');
    if (patch[top] === undefined) delete desired[top];
    else desired[top] = patch[top];
  }
  const next = buildSubscription(ctx, name, desired, current);
  subscriptions(ctx).put(name, next);
  if (next.detached && !current.detached) queuesFor(ctx).drop(name);
  emit(ctx, 'subscription', name, next, 'updated');
  return { body: renderSubscription(req, ctx, next) };
}

export function deleteSubscription(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  const s = subscriptions(ctx).peek(name);
  if (!s) throw psErrors.notFound(name);
  subscriptions(ctx).delete(name);
  dropPolicy(ctx, name);
  queuesFor(ctx).drop(name);
  emit(ctx, 'subscription', name, s, 'deleted');
  return { body: {} };
}

export function modifyPushConfig(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  const s = getSubscriptionOrThrow(ctx, name);
  const next = { ...s, pushConfig: validatePushConfig(bodyOf(req.body).pushConfig) };
  subscriptions(ctx).put(name, next);
  emit(ctx, 'subscription', name, next, 'updated');
  return { body: {} };
}

export function detachSubscription(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = subscriptionName(req.params.project!, req.params.subscription!);
  const s = getSubscriptionOrThrow(ctx, name);
  const next = { ...s, detached: true };
  subscriptions(ctx).put(name, next);
  queuesFor(ctx).drop(name);
  emit(ctx, 'subscription', name, next, 'updated');
  return { body: {} };
}
