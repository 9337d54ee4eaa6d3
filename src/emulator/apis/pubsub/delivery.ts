import type { EmulatorContext } from '../../core/types.js';
import { COLLECTIONS, psErrors } from './common.js';

/** google.pubsub.v1.PubsubMessage in its JSON form (data stays base64). */
export interface WireMessage {
  data?: string;
  attributes?: Record<string, string>;
  messageId: string;
  publishTime: string;
  orderingKey?: string;
}

/** One leased message, as pull returns it (ReceivedMessage) and a pusher would POST it. */
export interface Delivery {
  ackId: string;
  message: WireMessage;
  /** Only when the subscription has a dead-letter policy, as in Pub/Sub. */
  deliveryAttempt?: number;
}

/** What the queue needs to know about a subscription (read fresh on every call). */
export interface DeliverySettings {
  ackDeadlineSeconds: number;
  messageRetentionSeconds: number;
  retryPolicy?: { minimumBackoffSeconds: number; maximumBackoffSeconds: number };
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
  /** enableMessageOrdering: messages sharing an ordering key go out one lease at a time, in order. */
  ordered?: boolean;
}

interface BacklogEntry {
  /** Store key: `${subscription}\0${zero-padded messageId}` (publish order). */
  key: string;
  message: WireMessage;
  /** Deliveries so far. */
  attempts: number;
  ackId?: string;
  /** Epoch ms the current lease ends (ack deadline). */
  leaseUntil?: number;
  /** Epoch ms from which the message may be delivered again (lease end + retry backoff). */
  availableAt: number;
  publishedAt: number;
}

/**
 * The per-subscription delivery queue: the seam between the control plane and whoever
 * consumes messages. Pull (`:pull`, `:acknowledge`, `:modifyAckDeadline`) is one consumer.
 * The data plane's push deliverer (dataplane/pubsub-push.ts) is another, with no change here:
 * for each subscription whose pushConfig.pushEndpoint is set (runtime.ts pushSubscriptions();
 * the queues come from runtime.ts queuesFor(ctx)) it waits with waitForWork() (woken by
 * publishes and nacks via onAvailable(), and by lease/backoff expiry via nextAvailableAt()),
 * calls lease(), POSTs each Delivery to the endpoint as `{message, subscription,
 * deliveryAttempt}` (with the push config's OIDC token and attributes), then ack()s on a
 * 2xx and modifyDeadline(..., 0) otherwise. Redelivery after the ack deadline, retry-policy
 * backoff, ordering keys and dead-lettering after maxDeliveryAttempts all live here, so
 * both consumers get them.
 *
 * Each backlog entry is its own record in ctx.store (collection pubsub.messages), written
 * through on every change, so undelivered messages survive an emulator restart; the working
 * set is an in-memory index per subscription, so a deep backlog (a push subscription whose
 * endpoint is not running) costs O(1) per publish, not a copy of the whole backlog.
 * Ack deadlines are real seconds (a contract with the consumer); retry backoff is GCP's
 * pacing and is scaled by --latency-scale.
 */
export class DeliveryQueues {
  private readonly listeners = new Set<(subscription: string) => void>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly settingsOf: (subscription: string) => DeliverySettings | undefined,
    /** Republishes dead-lettered messages to their dead-letter topic. */
    private readonly forward: (topic: string, messages: { data?: string; attributes?: Record<string, string>; orderingKey?: string }[]) => void,
  ) {}

  /** subscription -> entries by key, in publish order. */
  private readonly cache = new Map<string, Map<string, BacklogEntry>>();

  private col() {
    return this.ctx.store.collection<BacklogEntry>(COLLECTIONS.backlog);
  }

  private entries(subscription: string): Map<string, BacklogEntry> {
    let m = this.cache.get(subscription);
    if (!m) {
      m = new Map();
      for (const e of this.col().peekAll(`${subscription}\u0000`)) m.set(e.key, e);
      this.cache.set(subscription, m);
    }
    return m;
  }

  private write(e: BacklogEntry): void {
    this.col().put(e.key, e);
  }

  private remove(subscription: string, e: BacklogEntry): void {
    this.entries(subscription).delete(e.key);
    this.col().delete(e.key);
  }

  /** Called with a subscription name whenever it may have deliverable messages. */
  onAvailable(listener: (subscription: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(subscription: string): void {
    for (const l of [...this.listeners]) l(subscription);
  }

  enqueue(subscription: string, messages: WireMessage[]): void {
    if (messages.length === 0) return;
    const now = Date.now();
    const m = this.entries(subscription);
    for (const message of messages) {
      const e: BacklogEntry = { key: `${subscription}\u0000${message.messageId.padStart(20, '0')}`, message, attempts: 0, availableAt: now, publishedAt: now };
      m.set(e.key, e);
      this.write(e);
    }
    this.notify(subscription);
  }

  /** Forget a subscription's backlog (deleted, detached, or created afresh under an old name). */
  drop(subscription: string): void {
    for (const e of [...this.entries(subscription).values()]) this.col().delete(e.key);
    this.cache.delete(subscription);
  }

  private backoffMs(s: DeliverySettings, attempts: number): number {
    if (!s.retryPolicy) return 0;
    const { minimumBackoffSeconds: min, maximumBackoffSeconds: max } = s.retryPolicy;
    const seconds = Math.min(max, min * 2 ** Math.max(0, attempts - 1));
    return seconds * 1000 * this.ctx.latencyScale;
  }

  private settings(subscription: string): DeliverySettings {
    const s = this.settingsOf(subscription);
    if (!s) {
      this.cache.delete(subscription); // gone (deleted, or the emulator was reset)
      throw psErrors.notFound(subscription);
    }
    return s;
  }

  /**
   * Leases up to `max` deliverable messages for the ack deadline. A message that already
   * had maxDeliveryAttempts deliveries goes to the dead-letter topic instead.
   */
  lease(subscription: string, max: number): Delivery[] {
    const s = this.settings(subscription);
    const now = Date.now();
    const out: Delivery[] = [];
    const dead: BacklogEntry[] = [];
    // With message ordering, a key whose earlier message is still outstanding (or waiting
    // out its backoff) holds back everything after it.
    const blockedKeys = new Set<string>();
    for (const e of [...this.entries(subscription).values()]) {
      if (e.publishedAt + s.messageRetentionSeconds * 1000 < now) {
        this.remove(subscription, e); // past retention: gone
        continue;
      }
      const leased = e.leaseUntil !== undefined && e.leaseUntil > now;
      const key = s.ordered ? e.message.orderingKey : undefined;
      if (out.length >= max || leased || e.availableAt > now || (key !== undefined && blockedKeys.has(key))) {
        if (key !== undefined) blockedKeys.add(key);
        continue;
      }
      if (s.deadLetterPolicy && e.attempts >= s.deadLetterPolicy.maxDeliveryAttempts) {
        this.remove(subscription, e);
        dead.push(e);
        continue;
      }
      e.attempts += 1;
      e.ackId = this.newAckId(e.message.messageId, e.attempts);
      e.leaseUntil = now + s.ackDeadlineSeconds * 1000;
      e.availableAt = e.leaseUntil + this.backoffMs(s, e.attempts);
      this.write(e);
      out.push({ ackId: e.ackId, message: e.message, ...(s.deadLetterPolicy ? { deliveryAttempt: e.attempts } : {}) });
    }
    if (dead.length && s.deadLetterPolicy) {
      const project = subscription.split('/')[1]!;
      this.forward(
        s.deadLetterPolicy.deadLetterTopic,
        dead.map((e) => ({
          ...(e.message.data !== undefined ? { data: e.message.data } : {}),
          attributes: {
            ...(e.message.attributes ?? {}),
            CloudPubSubDeadLetterSourceDeliveryCount: String(e.attempts),
            CloudPubSubDeadLetterSourceSubscription: subscription.split('/')[3]!,
            CloudPubSubDeadLetterSourceSubscriptionProject: project,
            CloudPubSubDeadLetterSourceTopicPublishTime: e.message.publishTime,
          },
          ...(e.message.orderingKey ? { orderingKey: e.message.orderingKey } : {}),
        })),
      );
    }
    return out;
  }

  ack(subscription: string, ackIds: string[]): void {
    this.settings(subscription);
    ackIds.forEach(checkAckId);
    const ids = new Set(ackIds);
    for (const e of [...this.entries(subscription).values()]) {
      if (e.ackId && ids.has(e.ackId)) this.remove(subscription, e);
    }
  }

  /** New deadline for leased messages; 0 is a nack (deliverable again after the retry backoff). */
  modifyDeadline(subscription: string, ackIds: string[], seconds: number): void {
    const s = this.settings(subscription);
    ackIds.forEach(checkAckId);
    const ids = new Set(ackIds);
    const now = Date.now();
    let touched = false;
    for (const e of this.entries(subscription).values()) {
      if (!e.ackId || !ids.has(e.ackId)) continue;
      e.leaseUntil = now + seconds * 1000;
      e.availableAt = e.leaseUntil + this.backoffMs(s, e.attempts);
      this.write(e);
      touched = true;
    }
    if (touched && seconds === 0) this.notify(subscription);
  }

  /** Epoch ms when the next message becomes deliverable (undefined: nothing waiting). */
  nextAvailableAt(subscription: string): number | undefined {
    let next: number | undefined;
    for (const e of this.entries(subscription).values()) {
      const t = Math.max(e.availableAt, e.leaseUntil ?? 0);
      if (next === undefined || t < next) next = t;
    }
    return next;
  }

  /** Resolves on a publish/nack for the subscription, when a lease or backoff ends, or at `until`. */
  async waitForWork(subscription: string, until: number): Promise<void> {
    const next = this.nextAvailableAt(subscription);
    const wakeAt = Math.min(until, next ?? until);
    const delay = Math.max(0, wakeAt - Date.now());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      const off = this.onAvailable((s) => {
        if (s === subscription) done();
      });
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  private newAckId(messageId: string, attempt: number): string {
    const nonce = Math.floor(this.ctx.random() * 36 ** 6).toString(36);
    return Buffer.from(`${messageId}:${attempt}:${nonce}`).toString('base64url');
  }
}

function checkAckId(id: string): void {
  const decoded = Buffer.from(String(id), 'base64url').toString('utf8');
  if (!/^\d+:\d+:[0-9a-z]+$/.test(decoded)) {
    throw psErrors.invalid(`You have passed an invalid ack ID to the service (ack_id=${id}).`, 'ack_ids');
  }
}
