import type { EmulatorContext } from '../../core/types.js';
import { COLLECTIONS, parseDuration, psErrors, type Json } from './common.js';
import { DeliveryQueues, type DeliverySettings, type WireMessage } from './delivery.js';
import { compileFilter, type MessageFilter } from './filter.js';
import { subscriptions, topics, type StoredSubscription } from './model.js';
import { validatorsFor } from './schema-revisions.js';
import { DELETED_SCHEMA } from './schemas.js';
import type { Encoding } from './schema-codecs.js';

const registry = new WeakMap<EmulatorContext, DeliveryQueues>();

/** The delivery queues of one emulator instance (pull uses them; a pusher may too). */
export function queuesFor(ctx: EmulatorContext): DeliveryQueues {
  let q = registry.get(ctx);
  if (!q) {
    q = new DeliveryQueues(ctx, (name) => deliverySettings(ctx, name), (topic, msgs) => {
      // The dead-letter topic may have been deleted since, or refuse the message (its own
      // schema): then the message is dropped rather than failing the consumer's pull.
      if (!topics(ctx).peek(topic)) return;
      try {
        publish(ctx, topic, msgs);
      } catch {
        /* dropped, see above */
      }
    });
    registry.set(ctx, q);
  }
  return q;
}

function deliverySettings(ctx: EmulatorContext, name: string): DeliverySettings | undefined {
  const s = subscriptions(ctx).peek(name);
  if (!s) return undefined;
  return {
    ackDeadlineSeconds: s.ackDeadlineSeconds,
    messageRetentionSeconds: parseDuration(s.messageRetentionDuration, 'messageRetentionDuration') ?? 604800,
    ...(s.retryPolicy
      ? {
          retryPolicy: {
            minimumBackoffSeconds: parseDuration(s.retryPolicy.minimumBackoff, 'minimumBackoff') ?? 10,
            maximumBackoffSeconds: parseDuration(s.retryPolicy.maximumBackoff, 'maximumBackoff') ?? 600,
          },
        }
      : {}),
    ...(s.deadLetterPolicy ? { deadLetterPolicy: s.deadLetterPolicy } : {}),
    ...(s.enableMessageOrdering ? { ordered: true } : {}),
  };
}

const MAX_MESSAGES = 1000;
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** Message ids are decimal strings from a persisted counter (16 digits, like Pub/Sub's). */
function nextMessageIds(ctx: EmulatorContext, n: number): string[] {
  const counters = ctx.store.collection<number>(COLLECTIONS.counters);
  const start = counters.peek('messageId') ?? 4_000_000_000_000_000;
  counters.put('messageId', start + n);
  return Array.from({ length: n }, (_v, i) => String(start + i + 1));
}

/**
 * Validates a publish request (sizes, attributes, the topic's schema) and fans the messages
 * out to every attached subscription of the topic as it is at publish time.
 */
export function publish(ctx: EmulatorContext, topicName: string, messagesIn: unknown): string[] {
  const topic = topics(ctx).peek(topicName);
  if (!topic) throw psErrors.notFound(topicName);
  if (!Array.isArray(messagesIn) || messagesIn.length === 0) throw psErrors.invalid('The request must contain at least one message.', 'messages');
  if (messagesIn.length > MAX_MESSAGES) throw psErrors.invalid(`The value for message_count is too large. You passed ${messagesIn.length} in the request, but the maximum value is ${MAX_MESSAGES}.`, 'messages');
  let bytes = 0;
  const msgs = messagesIn.map((m: Json, i) => {
    const data = typeof m.data === 'string' && m.data !== '' ? m.data : undefined;
    const attributes = m.attributes && typeof m.attributes === 'object' ? (m.attributes as Record<string, string>) : undefined;
    const hasAttrs = !!attributes && Object.keys(attributes).length > 0;
    if (!data && !hasAttrs) {
      throw psErrors.invalid('Some messages are empty. Each message must contain either non-empty data, or at least one attribute.', `messages[${i}]`);
    }
    if (data && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(data)) throw psErrors.invalid(`Invalid value at 'messages[${i}].data' (TYPE_BYTES), Base64 decoding failed.`, `messages[${i}].data`);
    for (const [k, v] of Object.entries(attributes ?? {})) {
      if (k.toLowerCase().startsWith('goog')) throw psErrors.invalid(`The attribute key '${k}' is reserved (it starts with "goog").`, `messages[${i}].attributes`);
      if (Buffer.byteLength(k) > 256 || Buffer.byteLength(String(v)) > 1024) throw psErrors.invalid(`An attribute in message ${i} is too large.`, `messages[${i}].attributes`);
    }
    bytes += (data ? (data.length * 3) / 4 : 0) + JSON.stringify(attributes ?? {}).length;
    return { data, attributes: hasAttrs ? attributes : undefined, orderingKey: typeof m.orderingKey === 'string' && m.orderingKey ? m.orderingKey : undefined };
  });
  if (bytes > MAX_REQUEST_BYTES) throw psErrors.invalid('The request is larger than the 10 MB limit.', 'messages');

  if (topic.schemaSettings) {
    if (topic.schemaSettings.schema === DELETED_SCHEMA) {
      throw psErrors.failedPrecondition('The schema associated with this topic has been deleted; messages cannot be published.');
    }
    const { schema, firstRevisionId, lastRevisionId } = topic.schemaSettings;
    const validators = validatorsFor(ctx, schema, firstRevisionId, lastRevisionId);
    if (validators.length === 0) throw psErrors.failedPrecondition(`The topic's schema ${schema} does not exist.`);
    const encoding: Encoding = topic.schemaSettings.encoding === 'BINARY' ? 'BINARY' : 'JSON';
    msgs.forEach((m, i) => {
      const data = Buffer.from(m.data ?? '', 'base64');
      // Valid when any revision in the topic's range accepts it.
      const problems = validators.map((v) => v.check(data, encoding));
      if (problems.every((p) => p !== undefined)) {
        throw psErrors.invalid(`Invalid data in message: Message failed schema validation. (message ${i}: ${problems.at(-1)})`, `messages[${i}].data`);
      }
    });
  }

  const ids = nextMessageIds(ctx, msgs.length);
  const publishTime = ctx.now().toISOString();
  const wire: WireMessage[] = msgs.map((m, i) => ({
    ...(m.data !== undefined ? { data: m.data } : {}),
    ...(m.attributes ? { attributes: m.attributes } : {}),
    messageId: ids[i]!,
    publishTime,
    ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
  }));
  const q = queuesFor(ctx);
  for (const sub of subscriptions(ctx).peekAll()) {
    if (sub.topic !== topicName || sub.detached) continue;
    // Messages a subscription's filter rejects are acknowledged on its behalf: never delivered.
    const f = sub.filter ? filterFor(sub.filter) : undefined;
    q.enqueue(sub.name, f ? wire.filter((m) => f(m.attributes ?? {})) : wire);
  }
  return ids;
}

const filters = new Map<string, MessageFilter>();
function filterFor(src: string): MessageFilter {
  let f = filters.get(src);
  if (!f) {
    f = compileFilter(src);
    filters.set(src, f);
  }
  return f;
}

/**
 * Push subscriptions as they stand now: what the push deliverer (dataplane/pubsub-push.ts) serves, each with
 * pushConfig {pushEndpoint, oidcToken, attributes, wrappers}. It consumes their messages
 * through queuesFor(ctx) (lease / ack / modifyDeadline) and learns of new work from
 * queuesFor(ctx).onAvailable() and of config changes from ctx.events ('subscription').
 */
export function pushSubscriptions(ctx: EmulatorContext): StoredSubscription[] {
  return subscriptions(ctx).peekAll().filter((s) => !!s.pushConfig.pushEndpoint && !s.detached);
}
