/**
 * Pub/Sub push through the data plane: a push subscription created with the official client
 * POSTs the envelope to a real local HTTP endpoint with an ID token that verifies against the
 * emulator's JWKS; 2xx acks, a 500 is retried with the subscription's backoff and then
 * dead-lettered to the dead-letter topic, where a pull subscriber finds it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { createPushPart } from '../../../src/emulator/dataplane/pubsub-push.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: { message: { data?: string; attributes?: Record<string, string>; messageId: string; publishTime: string }; subscription: string; deliveryAttempt?: number };
}

let t: TestEmulator;
let endpoint: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  t = await startTestEmulator({ latencyScale: 0.001, dataPlane: createLocalDataPlane({ parts: [createPushPart()], log: () => {} }) });
  endpoint = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.writeHead(req.url?.startsWith('/fail') ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t?.stop();
  await new Promise((r) => endpoint?.close(r));
});

async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const topic = (id: string) => `projects/${PROJECT}/topics/${id}`;
const subscription = (id: string) => `projects/${PROJECT}/subscriptions/${id}`;

describe('Pub/Sub push', () => {
  it('POSTs the envelope with an OIDC token that verifies against the emulator JWKS, and acks on 2xx', async () => {
    const pub = t.clients.publisher();
    const sub = t.clients.subscriber();
    await pub.createTopic({ name: topic('updates') });
    await sub.createSubscription({
      name: subscription('updates-push'),
      topic: topic('updates'),
      ackDeadlineSeconds: 10,
      pushConfig: { pushEndpoint: `${base}/ok/vector-updates`, oidcToken: { serviceAccountEmail: `ruvector@${PROJECT}.iam.gserviceaccount.com` } },
    });
    const [{ messageIds }] = await pub.publish({ topic: topic('updates'), messages: [{ data: Buffer.from('{"v":1}'), attributes: { kind: 'upsert' } }] });

    const got = await until(() => received.find((r) => r.body.message.messageId === messageIds![0]));
    expect(got.path).toBe('/ok/vector-updates');
    expect(got.body.subscription).toBe(subscription('updates-push'));
    expect(Buffer.from(got.body.message.data!, 'base64').toString()).toBe('{"v":1}');
    expect(got.body.message.attributes).toEqual({ kind: 'upsert' });
    expect(got.body.deliveryAttempt).toBeUndefined(); // no dead-letter policy

    const auth = String(got.headers.authorization);
    expect(auth).toMatch(/^Bearer /);
    const jwks = createRemoteJWKSet(new URL(`${t.url}/__emulator/oauth2/v3/certs`));
    const { payload, protectedHeader } = await jwtVerify(auth.slice(7), jwks, { issuer: 'https://accounts.google.com', audience: `${base}/ok/vector-updates` });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.email).toBe(`ruvector@${PROJECT}.iam.gserviceaccount.com`);
    expect(payload.email_verified).toBe(true);
    // A token from someone else's key does not verify.
    const forged = auth.slice(7).replace(/\.[^.]+$/, '.AAAA');
    await expect(jwtVerify(forged, jwks)).rejects.toThrow();

    // Acked: the message is not delivered again, and a pull of the same subscription is empty of it.
    const status = await t.control<{ parts: { 'pubsub-push': { subscriptions: Record<string, { acked: number; nacked: number }> } } }>('GET', '/__emulator/dataplane');
    expect(status.parts['pubsub-push'].subscriptions[subscription('updates-push')]).toMatchObject({ acked: 1, nacked: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect(received.filter((r) => r.body.message.messageId === messageIds![0])).toHaveLength(1);
  });

  it('retries a 500 with backoff and dead-letters after maxDeliveryAttempts', async () => {
    const pub = t.clients.publisher();
    const sub = t.clients.subscriber();
    await pub.createTopic({ name: topic('work') });
    await pub.createTopic({ name: topic('dead') });
    await sub.createSubscription({ name: subscription('dead-pull'), topic: topic('dead') });
    await sub.createSubscription({
      name: subscription('work-push'),
      topic: topic('work'),
      ackDeadlineSeconds: 10,
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 600 } },
      deadLetterPolicy: { deadLetterTopic: topic('dead'), maxDeliveryAttempts: 5 },
      pushConfig: { pushEndpoint: `${base}/fail/work`, oidcToken: { serviceAccountEmail: `ruvector@${PROJECT}.iam.gserviceaccount.com`, audience: 'ruvector-push' } },
    });
    const [{ messageIds }] = await pub.publish({ topic: topic('work'), messages: [{ data: Buffer.from('boom') }] });

    const dead = await until(async () => {
      const [r] = await sub.pull({ subscription: subscription('dead-pull'), maxMessages: 10 });
      return r.receivedMessages?.length ? r.receivedMessages : undefined;
    });
    expect(dead).toHaveLength(1);
    expect(Buffer.from(dead[0]!.message!.data as Uint8Array).toString()).toBe('boom');
    expect(dead[0]!.message!.attributes).toMatchObject({ CloudPubSubDeadLetterSourceDeliveryCount: '5', CloudPubSubDeadLetterSourceSubscription: 'work-push' });

    const attempts = received.filter((r) => r.body.message.messageId === messageIds![0]);
    expect(attempts.map((a) => a.body.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
    const jwks = createRemoteJWKSet(new URL(`${t.url}/__emulator/oauth2/v3/certs`));
    const { payload } = await jwtVerify(String(attempts[0]!.headers.authorization).slice(7), jwks, { audience: 'ruvector-push' });
    expect(payload.aud).toBe('ruvector-push');
  });

  it('stops pushing to a subscription once its push endpoint is cleared', async () => {
    const pub = t.clients.publisher();
    const sub = t.clients.subscriber();
    await pub.createTopic({ name: topic('switch') });
    await sub.createSubscription({ name: subscription('switch-sub'), topic: topic('switch'), pushConfig: { pushEndpoint: `${base}/ok/switch` } });
    await sub.modifyPushConfig({ subscription: subscription('switch-sub'), pushConfig: {} });
    const [{ messageIds }] = await pub.publish({ topic: topic('switch'), messages: [{ data: Buffer.from('pull me') }] });
    const [r] = await until(async () => {
      const res = await sub.pull({ subscription: subscription('switch-sub'), maxMessages: 10 });
      return res[0].receivedMessages?.length ? res : undefined;
    });
    expect(r.receivedMessages![0]!.message!.messageId).toBe(messageIds![0]);
    expect(received.some((x) => x.body.message.messageId === messageIds![0])).toBe(false);
  });
});
