import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { v1 } from '@google-cloud/pubsub';
import { IamProtos } from 'google-gax';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

const P = `projects/${PROJECT}`;
const VECTOR_UPDATE_AVRO = JSON.stringify({
  type: 'record',
  name: 'VectorUpdate',
  fields: [
    { name: 'vector_id', type: 'string' },
    { name: 'operation', type: 'string' },
    { name: 'timestamp', type: 'long' },
    { name: 'region', type: 'string' },
    { name: 'metadata', type: ['null', 'string'], default: null },
  ],
});

const update = (id: string, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ vector_id: id, operation: 'insert', timestamp: 1763600000000, region: 'us-central1', metadata: null, ...extra }));

/** Over REST, gax errors carry the HTTP status in `code` and the AIP-193 body in `message`: returns "409 ALREADY_EXISTS". */
async function failure(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    const body = errorBody(e);
    return `${(e as { code?: number }).code} ${body.status}`;
  }
}

describe('Pub/Sub v1 through the official clients (REST fallback)', () => {
  let t: TestEmulator;
  let publisher: v1.PublisherClient;
  let subscriber: v1.SubscriberClient;
  let schemas: v1.SchemaServiceClient;

  beforeAll(async () => {
    t = await startTestEmulator();
    publisher = t.clients.publisher();
    subscriber = t.clients.subscriber();
    schemas = t.clients.schemas();
    await schemas.createSchema({ parent: P, schemaId: 'vector-update-schema', schema: { type: 'AVRO', definition: VECTOR_UPDATE_AVRO } });
    await publisher.createTopic({
      name: `${P}/topics/vector-updates`,
      messageStoragePolicy: { allowedPersistenceRegions: ['us-central1', 'europe-west1', 'asia-northeast1'] },
      schemaSettings: { schema: `${P}/schemas/vector-update-schema`, encoding: 'JSON' },
    });
    await publisher.createTopic({ name: `${P}/topics/dead-letter`, messageRetentionDuration: { seconds: 604800 } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates, gets and lists schemas; BASIC view hides the definition; bad definitions are INVALID_ARGUMENT', async () => {
    const [full] = await schemas.getSchema({ name: `${P}/schemas/vector-update-schema` });
    expect(full).toMatchObject({ name: `${P}/schemas/vector-update-schema`, type: 'AVRO', definition: VECTOR_UPDATE_AVRO });
    expect(full.revisionId).toMatch(/^[0-9a-f]{8}$/);
    const [basic] = await schemas.getSchema({ name: `${P}/schemas/vector-update-schema`, view: 'BASIC' });
    expect(basic.definition).toBeFalsy();
    const [list] = await schemas.listSchemas({ parent: P });
    expect(list.map((s) => s.name)).toContain(`${P}/schemas/vector-update-schema`);
    expect(await failure(schemas.createSchema({ parent: P, schemaId: 'vector-update-schema', schema: { type: 'AVRO', definition: VECTOR_UPDATE_AVRO } }))).toBe('409 ALREADY_EXISTS');
    expect(await failure(schemas.createSchema({ parent: P, schemaId: 'broken', schema: { type: 'AVRO', definition: '{"type":"record"}' } }))).toBe('400 INVALID_ARGUMENT');
    expect(await failure(schemas.validateSchema({ parent: P, schema: { type: 'AVRO', definition: 'not json' } }))).toBe('400 INVALID_ARGUMENT');
    await schemas.validateSchema({ parent: P, schema: { type: 'AVRO', definition: VECTOR_UPDATE_AVRO } });
    await schemas.validateMessage({ parent: P, name: `${P}/schemas/vector-update-schema`, message: update('v-1'), encoding: 'JSON' });
    expect(await failure(schemas.validateMessage({ parent: P, name: `${P}/schemas/vector-update-schema`, message: Buffer.from('{"vector_id":1}'), encoding: 'JSON' }))).toBe('400 INVALID_ARGUMENT');
  });

  it('validates PROTOCOL_BUFFER schemas and their messages (JSON and binary)', async () => {
    const definition = 'syntax = "proto3";\nmessage Task { string task_id = 1; int64 priority = 2; }';
    await schemas.createSchema({ parent: P, schemaId: 'task-schema', schema: { type: 'PROTOCOL_BUFFER', definition } });
    await schemas.validateMessage({ parent: P, name: `${P}/schemas/task-schema`, message: Buffer.from('{"task_id":"t1","priority":"3"}'), encoding: 'JSON' });
    expect(await failure(schemas.validateMessage({ parent: P, name: `${P}/schemas/task-schema`, message: Buffer.from('{"nope":1}'), encoding: 'JSON' }))).toBe('400 INVALID_ARGUMENT');
    // field 1 (string "t1"), field 2 (varint 3)
    await schemas.validateMessage({ parent: P, name: `${P}/schemas/task-schema`, message: Buffer.from([0x0a, 0x02, 0x74, 0x31, 0x10, 0x03]), encoding: 'BINARY' });
    expect(await failure(schemas.createSchema({ parent: P, schemaId: 'two-msgs', schema: { type: 'PROTOCOL_BUFFER', definition: 'syntax = "proto3"; message A {} message B {}' } }))).toBe('400 INVALID_ARGUMENT');
  });

  it('round-trips the seed topic settings and answers int enums when asked', async () => {
    const [topic] = await publisher.getTopic({ topic: `${P}/topics/vector-updates` });
    expect(topic.messageStoragePolicy?.allowedPersistenceRegions).toEqual(['us-central1', 'europe-west1', 'asia-northeast1']);
    expect(topic.schemaSettings).toMatchObject({ schema: `${P}/schemas/vector-update-schema`, encoding: 'JSON' });
    const [dlq] = await publisher.getTopic({ topic: `${P}/topics/dead-letter` });
    expect(Number(dlq.messageRetentionDuration?.seconds)).toBe(604800);
    const raw = await fetch(`${t.url}/v1/${P}/topics/vector-updates?$alt=json%3Benum-encoding=int`).then((r) => r.json() as Promise<{ schemaSettings: { encoding: unknown } }>);
    expect(raw.schemaSettings.encoding).toBe(1);
    const rawNames = await fetch(`${t.url}/v1/${P}/topics/vector-updates`).then((r) => r.json() as Promise<{ schemaSettings: { encoding: unknown } }>);
    expect(rawNames.schemaSettings.encoding).toBe('JSON');
    expect(await failure(publisher.createTopic({ name: `${P}/topics/vector-updates` }))).toBe('409 ALREADY_EXISTS');
    expect(await failure(publisher.getTopic({ topic: `${P}/topics/missing` }))).toBe('404 NOT_FOUND');
    expect(await failure(publisher.createTopic({ name: `${P}/topics/bad`, schemaSettings: { schema: `${P}/schemas/nope`, encoding: 'JSON' } }))).toBe('404 NOT_FOUND');
  });

  it('updates topics through an update mask', async () => {
    const [updated] = await publisher.updateTopic({
      topic: { name: `${P}/topics/dead-letter`, labels: { tier: 'ops' } },
      updateMask: { paths: ['labels'] },
    });
    expect(updated.labels).toEqual({ tier: 'ops' });
    expect(Number(updated.messageRetentionDuration?.seconds)).toBe(604800);
    expect(await failure(publisher.updateTopic({ topic: { name: `${P}/topics/dead-letter`, labels: {} }, updateMask: { paths: ['name'] } }))).toBe('400 INVALID_ARGUMENT');
  });

  it('creates the seed push subscription with every setting and reports server defaults', async () => {
    const [sub] = await subscriber.createSubscription({
      name: `${P}/subscriptions/vector-updates-us-central1`,
      topic: `${P}/topics/vector-updates`,
      ackDeadlineSeconds: 30,
      messageRetentionDuration: { seconds: 86400 },
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 600 } },
      expirationPolicy: {},
      pushConfig: {
        pushEndpoint: 'https://ruvector-us-central1-abc.a.run.app/api/v1/pubsub/vector-updates',
        oidcToken: { serviceAccountEmail: `ruvector-us-central1@${PROJECT}.iam.gserviceaccount.com` },
        attributes: { 'x-goog-version': 'v1' },
      },
      deadLetterPolicy: { deadLetterTopic: `${P}/topics/dead-letter`, maxDeliveryAttempts: 5 },
      labels: { region: 'us-central1' },
    });
    expect(sub).toMatchObject({
      topic: `${P}/topics/vector-updates`,
      ackDeadlineSeconds: 30,
      pushConfig: { pushEndpoint: 'https://ruvector-us-central1-abc.a.run.app/api/v1/pubsub/vector-updates', attributes: { 'x-goog-version': 'v1' } },
      deadLetterPolicy: { deadLetterTopic: `${P}/topics/dead-letter`, maxDeliveryAttempts: 5 },
      state: 'ACTIVE',
      labels: { region: 'us-central1' },
    });
    expect(Number(sub.messageRetentionDuration?.seconds)).toBe(86400);
    expect(Number(sub.retryPolicy?.maximumBackoff?.seconds)).toBe(600);
    expect(sub.expirationPolicy?.ttl).toBeFalsy();
    const [plain] = await subscriber.createSubscription({ name: `${P}/subscriptions/defaults`, topic: `${P}/topics/dead-letter` });
    expect(plain.ackDeadlineSeconds).toBe(10);
    expect(Number(plain.messageRetentionDuration?.seconds)).toBe(604800);
    expect(Number(plain.expirationPolicy?.ttl?.seconds)).toBe(2678400);
    expect(Number(plain.topicMessageRetentionDuration?.seconds)).toBe(604800);

    expect(await failure(subscriber.createSubscription({ name: `${P}/subscriptions/x-bad-dl`, topic: `${P}/topics/vector-updates`, deadLetterPolicy: { deadLetterTopic: `${P}/topics/dead-letter`, maxDeliveryAttempts: 3 } }))).toBe('400 INVALID_ARGUMENT');
    expect(await failure(subscriber.createSubscription({ name: `${P}/subscriptions/x-no-topic`, topic: `${P}/topics/none` }))).toBe('404 NOT_FOUND');
    expect(await failure(subscriber.createSubscription({ name: `${P}/subscriptions/x-ack`, topic: `${P}/topics/vector-updates`, ackDeadlineSeconds: 700 }))).toBe('400 INVALID_ARGUMENT');

    const [changed] = await subscriber.updateSubscription({
      subscription: { name: `${P}/subscriptions/vector-updates-us-central1`, ackDeadlineSeconds: 60 },
      updateMask: { paths: ['ack_deadline_seconds'] },
    });
    expect(changed.ackDeadlineSeconds).toBe(60);
    expect(changed.pushConfig?.pushEndpoint).toContain('/api/v1/pubsub/vector-updates');
    await subscriber.modifyPushConfig({ subscription: `${P}/subscriptions/vector-updates-us-central1`, pushConfig: {} });
    const [pullNow] = await subscriber.getSubscription({ subscription: `${P}/subscriptions/vector-updates-us-central1` });
    expect(pullNow.pushConfig?.pushEndpoint).toBeFalsy();
    const [names] = await publisher.listTopicSubscriptions({ topic: `${P}/topics/vector-updates` });
    expect(names).toContain(`${P}/subscriptions/vector-updates-us-central1`);
  });

  it('validates published messages against the Avro schema', async () => {
    const [ok] = await publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{ data: update('v-ok'), attributes: { source: 'test' } }] });
    expect(ok.messageIds).toHaveLength(1);
    expect(ok.messageIds![0]).toMatch(/^\d+$/);
    const wrapped = await publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{ data: update('v-meta', { metadata: { string: '{"k":1}' } }) }] });
    expect(wrapped[0].messageIds).toHaveLength(1);
    expect(await failure(publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{ data: Buffer.from('{"vector_id":"v"}') }] }))).toBe('400 INVALID_ARGUMENT');
    expect(await failure(publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{ data: update('v-bad', { timestamp: 'yesterday' }) }] }))).toBe('400 INVALID_ARGUMENT');
    expect(await failure(publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{}] }))).toBe('400 INVALID_ARGUMENT');
    expect(await failure(publisher.publish({ topic: `${P}/topics/nowhere`, messages: [{ data: update('x') }] }))).toBe('404 NOT_FOUND');
  });

  it('pulls and acknowledges; a nack redelivers; the ack deadline expiring redelivers', async () => {
    const sub = `${P}/subscriptions/pull-ack`;
    await subscriber.createSubscription({ name: sub, topic: `${P}/topics/vector-updates`, ackDeadlineSeconds: 10 });
    await publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{ data: update('v-a') }, { data: update('v-b') }] });
    const [first] = await subscriber.pull({ subscription: sub, maxMessages: 10 });
    const got = first.receivedMessages ?? [];
    expect(got.map((m) => JSON.parse(Buffer.from(m.message!.data as Uint8Array).toString()).vector_id)).toEqual(['v-a', 'v-b']);
    expect(got[0]!.deliveryAttempt).toBeFalsy(); // only reported with a dead-letter policy
    await subscriber.acknowledge({ subscription: sub, ackIds: [got[0]!.ackId!] });
    await subscriber.modifyAckDeadline({ subscription: sub, ackIds: [got[1]!.ackId!], ackDeadlineSeconds: 0 });
    const [again] = await subscriber.pull({ subscription: sub, maxMessages: 10 });
    expect(again.receivedMessages?.map((m) => m.message?.messageId)).toEqual([got[1]!.message!.messageId]);
    // Let the lease lapse: after one second the message comes back on its own.
    await subscriber.modifyAckDeadline({ subscription: sub, ackIds: [again.receivedMessages![0]!.ackId!], ackDeadlineSeconds: 1 });
    const [afterDeadline] = await subscriber.pull({ subscription: sub, maxMessages: 10 });
    expect(afterDeadline.receivedMessages?.map((m) => m.message?.messageId)).toEqual([got[1]!.message!.messageId]);
    await subscriber.acknowledge({ subscription: sub, ackIds: [afterDeadline.receivedMessages![0]!.ackId!] });
    const [empty] = await subscriber.pull({ subscription: sub, maxMessages: 10, returnImmediately: true });
    expect(empty.receivedMessages ?? []).toHaveLength(0);
    expect(await failure(subscriber.acknowledge({ subscription: sub, ackIds: ['not-an-ack-id'] }))).toBe('400 INVALID_ARGUMENT');
  });

  it('dead-letters a message after maxDeliveryAttempts nacks', async () => {
    const sub = `${P}/subscriptions/dl-source`;
    const dlSub = `${P}/subscriptions/dead-letter-reader`;
    await subscriber.createSubscription({ name: dlSub, topic: `${P}/topics/dead-letter` });
    await subscriber.createSubscription({
      name: sub,
      topic: `${P}/topics/vector-updates`,
      deadLetterPolicy: { deadLetterTopic: `${P}/topics/dead-letter`, maxDeliveryAttempts: 5 },
      retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 1 } },
    });
    const [pub] = await publisher.publish({ topic: `${P}/topics/vector-updates`, messages: [{ data: update('v-poison'), attributes: { k: 'v' } }] });
    const attempts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [r] = await subscriber.pull({ subscription: sub, maxMessages: 1 });
      const m = r.receivedMessages![0]!;
      expect(m.message?.messageId).toBe(pub.messageIds![0]);
      attempts.push(m.deliveryAttempt!);
      await subscriber.modifyAckDeadline({ subscription: sub, ackIds: [m.ackId!], ackDeadlineSeconds: 0 });
    }
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    const [none] = await subscriber.pull({ subscription: sub, maxMessages: 1, returnImmediately: true });
    expect(none.receivedMessages ?? []).toHaveLength(0);
    const [dead] = await subscriber.pull({ subscription: dlSub, maxMessages: 10 });
    const d = dead.receivedMessages![0]!.message!;
    expect(JSON.parse(Buffer.from(d.data as Uint8Array).toString()).vector_id).toBe('v-poison');
    expect(d.attributes).toMatchObject({
      k: 'v',
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
      CloudPubSubDeadLetterSourceSubscription: 'dl-source',
      CloudPubSubDeadLetterSourceSubscriptionProject: PROJECT,
    });
    expect(d.messageId).not.toBe(pub.messageIds![0]);
  });

  it('works through the handwritten PubSub class too (topic.publishMessage, getSubscriptions)', async () => {
    const ps = t.clients.pubsub();
    const [topic] = await ps.createTopic('agent-coordination');
    const [sub] = await topic.createSubscription('agent-coordination-us-central1', { ackDeadlineSeconds: 20, messageRetentionDuration: 3600 });
    const id = await topic.publishMessage({ data: Buffer.from('hello'), attributes: { kind: 'task' } });
    expect(id).toMatch(/^\d+$/);
    const [subs] = await topic.getSubscriptions();
    expect(subs.map((s) => s.name)).toEqual([sub.name]);
    const [r] = await subscriber.pull({ subscription: sub.name, maxMessages: 1 });
    expect(Buffer.from(r.receivedMessages![0]!.message!.data as Uint8Array).toString()).toBe('hello');
  });

  it('deleting a topic leaves its subscriptions pointing at _deleted-topic_', async () => {
    await publisher.createTopic({ name: `${P}/topics/task-distribution` });
    await subscriber.createSubscription({ name: `${P}/subscriptions/task-orphan`, topic: `${P}/topics/task-distribution` });
    await publisher.deleteTopic({ topic: `${P}/topics/task-distribution` });
    const [s] = await subscriber.getSubscription({ subscription: `${P}/subscriptions/task-orphan` });
    expect(s.topic).toBe('_deleted-topic_');
    await subscriber.deleteSubscription({ subscription: `${P}/subscriptions/task-orphan` });
    expect(await failure(subscriber.getSubscription({ subscription: `${P}/subscriptions/task-orphan` }))).toBe('404 NOT_FOUND');
  });

  it('applies subscription filters at publish time and rejects bad filter syntax', async () => {
    await publisher.createTopic({ name: `${P}/topics/filtered` });
    const sub = `${P}/subscriptions/only-eu`;
    await subscriber.createSubscription({ name: sub, topic: `${P}/topics/filtered`, filter: 'attributes.region = "europe-west1" AND NOT attributes:skip' });
    expect(await failure(subscriber.createSubscription({ name: `${P}/subscriptions/bad-filter`, topic: `${P}/topics/filtered`, filter: 'attributes.a = "x" AND attributes.b = "y" OR attributes:c' }))).toBe('400 INVALID_ARGUMENT');
    await publisher.publish({
      topic: `${P}/topics/filtered`,
      messages: [
        { data: Buffer.from('eu'), attributes: { region: 'europe-west1' } },
        { data: Buffer.from('us'), attributes: { region: 'us-central1' } },
        { data: Buffer.from('eu-skip'), attributes: { region: 'europe-west1', skip: '1' } },
      ],
    });
    const [r] = await subscriber.pull({ subscription: sub, maxMessages: 10 });
    expect(r.receivedMessages?.map((m) => Buffer.from(m.message!.data as Uint8Array).toString())).toEqual(['eu']);
  });

  it('with message ordering, holds a key back while its earlier message is outstanding', async () => {
    await publisher.createTopic({ name: `${P}/topics/ordered` });
    const sub = `${P}/subscriptions/ordered-sub`;
    await subscriber.createSubscription({ name: sub, topic: `${P}/topics/ordered`, enableMessageOrdering: true });
    await publisher.publish({
      topic: `${P}/topics/ordered`,
      messages: [
        { data: Buffer.from('a1'), orderingKey: 'a' },
        { data: Buffer.from('b1'), orderingKey: 'b' },
        { data: Buffer.from('a2'), orderingKey: 'a' },
      ],
    });
    const text = (r: { receivedMessages?: { message?: { data?: unknown } | null }[] | null }) =>
      (r.receivedMessages ?? []).map((m) => Buffer.from(m.message!.data as Uint8Array).toString());
    const [first] = await subscriber.pull({ subscription: sub, maxMessages: 1 });
    expect(text(first)).toEqual(['a1']);
    const [second] = await subscriber.pull({ subscription: sub, maxMessages: 10, returnImmediately: true });
    expect(text(second)).toEqual(['b1']); // a2 waits for a1
    await subscriber.acknowledge({ subscription: sub, ackIds: [first.receivedMessages![0]!.ackId!] });
    const [third] = await subscriber.pull({ subscription: sub, maxMessages: 10 });
    expect(text(third)).toEqual(['a2']);
  });

  it('commits, lists, reads, rolls back and deletes schema revisions; topics validate against their revision range', async () => {
    const name = `${P}/schemas/evolving`;
    const v1 = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'id', type: 'string' }] });
    const v2 = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'id', type: 'long' }] });
    const [r1] = await schemas.createSchema({ parent: P, schemaId: 'evolving', schema: { type: 'AVRO', definition: v1 } });
    const [r2] = await schemas.commitSchema({ name, schema: { type: 'AVRO', definition: v2 } });
    expect(r2.revisionId).not.toBe(r1.revisionId);
    const [latest] = await schemas.getSchema({ name });
    expect(latest.definition).toBe(v2);
    const [old] = await schemas.getSchema({ name: `${name}@${r1.revisionId}` });
    expect(old.definition).toBe(v1);
    const [revs] = await schemas.listSchemaRevisions({ name });
    expect(revs.map((r) => r.revisionId)).toEqual([r2.revisionId, r1.revisionId]);

    await publisher.createTopic({ name: `${P}/topics/evolving-any`, schemaSettings: { schema: name, encoding: 'JSON' } });
    await publisher.createTopic({ name: `${P}/topics/evolving-v1`, schemaSettings: { schema: name, encoding: 'JSON', lastRevisionId: r1.revisionId! } });
    const asString = [{ data: Buffer.from('{"id":"x"}') }];
    const asLong = [{ data: Buffer.from('{"id":7}') }];
    await publisher.publish({ topic: `${P}/topics/evolving-any`, messages: asString });
    await publisher.publish({ topic: `${P}/topics/evolving-any`, messages: asLong });
    await publisher.publish({ topic: `${P}/topics/evolving-v1`, messages: asString });
    expect(await failure(publisher.publish({ topic: `${P}/topics/evolving-v1`, messages: asLong }))).toBe('400 INVALID_ARGUMENT');

    const [r3] = await schemas.rollbackSchema({ name, revisionId: r1.revisionId });
    expect(r3.definition).toBe(v1);
    const [deleted] = await schemas.deleteSchemaRevision({ name: `${name}@${r2.revisionId}` });
    expect(deleted.revisionId).toBe(r2.revisionId);
    const [after] = await schemas.listSchemaRevisions({ name });
    expect(after.map((r) => r.revisionId)).toEqual([r3.revisionId, r1.revisionId]);
    expect(await failure(schemas.commitSchema({ name, schema: { type: 'PROTOCOL_BUFFER', definition: 'syntax = "proto3"; message M {}' } }))).toBe('400 INVALID_ARGUMENT');
  });

  it('keeps IAM policies on topics and subscriptions, refusing a stale etag with ABORTED', async () => {
    // The clients' IAM methods are typed with the request message classes, not their I* interfaces.
    const { GetIamPolicyRequest, SetIamPolicyRequest } = IamProtos.google.iam.v1;
    const get = (resource: string) => GetIamPolicyRequest.create({ resource });
    const topic = `${P}/topics/dead-letter`;
    const [empty] = await publisher.getIamPolicy(get(topic));
    expect(empty.bindings ?? []).toHaveLength(0);
    const member = `serviceAccount:service-123@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const [set] = await publisher.setIamPolicy(SetIamPolicyRequest.create({ resource: topic, policy: { bindings: [{ role: 'roles/pubsub.publisher', members: [member] }], etag: empty.etag } }));
    expect(set.bindings).toEqual([expect.objectContaining({ role: 'roles/pubsub.publisher', members: [member] })]);
    expect(await failure(publisher.setIamPolicy(SetIamPolicyRequest.create({ resource: topic, policy: { bindings: [], etag: empty.etag } })))).toBe('409 ABORTED');
    const [sub] = await subscriber.getIamPolicy(get(`${P}/subscriptions/defaults`));
    expect(sub.etag).toBeTruthy();
    expect(await failure(publisher.getIamPolicy(get(`${P}/topics/missing`)))).toBe('404 NOT_FOUND');
  });
});

describe('Pub/Sub persistence', () => {
  it('a restarted emulator keeps topics, subscriptions and undelivered messages', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ruvector-pubsub-state-'));
    try {
      const a = await startTestEmulator({ stateDir });
      await a.clients.publisher().createTopic({ name: `${P}/topics/persisted` });
      await a.clients.subscriber().createSubscription({ name: `${P}/subscriptions/persisted-sub`, topic: `${P}/topics/persisted` });
      const [pub] = await a.clients.publisher().publish({ topic: `${P}/topics/persisted`, messages: [{ data: Buffer.from('survives') }] });
      await a.emu.core.store.flush();
      await a.stop();
      const b = await startTestEmulator({ stateDir });
      try {
        const [r] = await b.clients.subscriber().pull({ subscription: `${P}/subscriptions/persisted-sub`, maxMessages: 5 });
        expect(r.receivedMessages?.map((m) => m.message?.messageId)).toEqual(pub.messageIds);
        const [next] = await b.clients.publisher().publish({ topic: `${P}/topics/persisted`, messages: [{ data: Buffer.from('after') }] });
        expect(BigInt(next.messageIds![0]!) > BigInt(pub.messageIds![0]!)).toBe(true);
      } finally {
        await b.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
