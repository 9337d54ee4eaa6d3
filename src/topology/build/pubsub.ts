import { Ctx, res } from '../context.js';
import { ref } from '../refs.js';
import { subscriptionAudience } from './push-auth.js';

/** Topics, the Avro schema and per-region push subscriptions (seed §5.1). */
export function buildPubSub(ctx: Ctx): void {
  const topics = ctx.spec.pubsub.topics;
  const topicName = (id: string) => `projects/${ctx.p}/topics/${id}`;

  for (const t of topics) {
    const deps: string[] = [];
    const spec: Record<string, unknown> = { labels: ctx.labels() };
    if (t.persistenceRegions) {
      const regions = t.persistenceRegions === 'tier1' ? ctx.spec.regions.tier1 : t.persistenceRegions;
      spec.messageStoragePolicy = { allowedPersistenceRegions: regions };
    }
    if (t.messageRetention) spec.messageRetentionDuration = t.messageRetention;
    if (t.schema) {
      const schemaName = `projects/${ctx.p}/schemas/${t.schema.name}`;
      ctx.add(
        res('pubsub.Schema', schemaName, {
          type: t.schema.type,
          definition: typeof t.schema.definition === 'string' ? t.schema.definition : JSON.stringify(t.schema.definition),
        }, []),
      );
      spec.schemaSettings = { schema: schemaName, encoding: t.schema.encoding };
      deps.push(schemaName);
    }
    ctx.add(res('pubsub.Topic', topicName(t.name), spec, deps));
  }

  for (const t of topics) {
    const sub = t.subscription;
    if (!sub) continue;
    for (const r of ctx.regions) {
      const service = ctx.runServiceName(r);
      const spec: Record<string, unknown> = {
        topic: topicName(t.name),
        ackDeadlineSeconds: sub.ackDeadlineSeconds,
        messageRetentionDuration: sub.messageRetention,
        pushConfig: {
          // Cloud Run URLs exist only once the service does: resolved at deploy time.
          pushEndpoint: `${ref(service, 'uri')}${sub.pushPath}`,
          oidcToken: { serviceAccountEmail: ctx.serviceAccountEmail(r), audience: subscriptionAudience(ctx, r, t.name, sub.pushPath) },
          ...(sub.attributes ? { attributes: sub.attributes } : {}),
        },
        labels: ctx.labels(),
      };
      if (sub.retryPolicy) spec.retryPolicy = sub.retryPolicy;
      // An empty expirationPolicy (no ttl) is how the API says "never expire".
      if (sub.neverExpire) spec.expirationPolicy = {};
      const deps = [topicName(t.name), service, ctx.serviceAccountName(r)];
      if (sub.deadLetter) {
        spec.deadLetterPolicy = { deadLetterTopic: topicName(sub.deadLetter.topic), maxDeliveryAttempts: sub.deadLetter.maxDeliveryAttempts };
        deps.push(topicName(sub.deadLetter.topic));
      }
      ctx.add(res('pubsub.Subscription', `projects/${ctx.p}/subscriptions/${ctx.fill(sub.name, r)}`, spec, deps, { region: r.region }));
    }
  }
}
