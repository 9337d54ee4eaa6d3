import type { ApiModule, Handler, Route } from '../../core/types.js';
import { iamHandlers } from './iam.js';
import { acknowledge, modifyAckDeadline, pull } from './pull.js';
import { commitSchema, deleteRevision, listRevisions, rollbackSchema } from './schema-revisions.js';
import { createSchema, deleteSchema, getSchema, listSchemas, validateMessage, validateSchema } from './schemas.js';
import {
  createSubscription, deleteSubscription, detachSubscription, getSubscription, listSubscriptions, modifyPushConfig, updateSubscription,
} from './subscriptions.js';
import {
  createTopic, deleteTopic, getTopicHandler, listTopicSnapshots, listTopics, listTopicSubscriptions, publishHandler, updateTopic,
} from './topics.js';

/**
 * Pub/Sub v1 over REST (the shape the gax clients send with `fallback: true`; the official
 * emulator's surface minus streaming pull): topics, subscriptions, schemas, publish, pull.
 * No long-running operations. Delivery goes through per-subscription queues
 * (delivery.ts), the seam a push deliverer plugs into.
 */
function routes(): Route[] {
  const out: Route[] = [];
  const add = (method: Route['method'], path: string, handler: Handler, write = false) =>
    out.push({ method, path: `/v1/projects/{project}${path}`, handler, write, style: 'gax', api: 'pubsub' });

  add('PUT', '/topics/{topic}', createTopic, true);
  add('GET', '/topics/{topic}', getTopicHandler);
  add('PATCH', '/topics/{topic}', updateTopic, true);
  add('DELETE', '/topics/{topic}', deleteTopic, true);
  add('GET', '/topics', listTopics);
  add('POST', '/topics/{topic}:publish', publishHandler, true);
  add('GET', '/topics/{topic}/subscriptions', listTopicSubscriptions);
  add('GET', '/topics/{topic}/snapshots', listTopicSnapshots);

  add('PUT', '/subscriptions/{subscription}', createSubscription, true);
  add('GET', '/subscriptions/{subscription}', getSubscription);
  add('PATCH', '/subscriptions/{subscription}', updateSubscription, true);
  add('DELETE', '/subscriptions/{subscription}', deleteSubscription, true);
  add('GET', '/subscriptions', listSubscriptions);
  add('POST', '/subscriptions/{subscription}:pull', pull, true);
  add('POST', '/subscriptions/{subscription}:acknowledge', acknowledge, true);
  add('POST', '/subscriptions/{subscription}:modifyAckDeadline', modifyAckDeadline, true);
  add('POST', '/subscriptions/{subscription}:modifyPushConfig', modifyPushConfig, true);
  add('POST', '/subscriptions/{subscription}:detach', detachSubscription, true);

  add('POST', '/schemas', createSchema, true);
  add('GET', '/schemas', listSchemas);
  add('GET', '/schemas/{schema}', getSchema);
  add('DELETE', '/schemas/{schema}', deleteSchema, true);
  add('GET', '/schemas/{schema}:listRevisions', listRevisions);
  add('POST', '/schemas/{schema}:commit', commitSchema, true);
  add('POST', '/schemas/{schema}:rollback', rollbackSchema, true);
  add('DELETE', '/schemas/{schema}:deleteRevision', deleteRevision, true);
  add('POST', '/schemas:validate', validateSchema);
  add('POST', '/schemas:validateMessage', validateMessage);
  for (const kind of ['topics', 'subscriptions', 'schemas'] as const) {
    const iam = iamHandlers(kind);
    add('POST', `/${kind}/{resource}:getIamPolicy`, iam.get);
    add('POST', `/${kind}/{resource}:setIamPolicy`, iam.set, true);
    add('POST', `/${kind}/{resource}:testIamPermissions`, iam.test);
  }
  return out;
}

const pubsub: ApiModule = { name: 'pubsub', routes };
export default pubsub;
