/**
 * Pub/Sub push across an emulator restart, and push retry pacing.
 *
 * - A Cloud Run service restored from the state dir starts with the push part's env
 *   (PUBSUB_JWKS_URL), so a push subscription restored with it is
 *   verified and acked, not rejected with 401 (the parts' prepare phase runs before the run
 *   part starts restored services).
 * - A rejected push (401 here) waits out the subscription's retry backoff, Pub/Sub's
 *   defaults (10s..600s) without a retryPolicy, scaled by the latency scale: never a hot loop.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoreParts, createLocalDataPlane, type LocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { createPushPart, MIN_RETRY_MS, type PushStats } from '../../../src/emulator/dataplane/pubsub-push.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { makeWorld, seedEnv, until as untilLogged, type RunStatus } from './run-helpers.js';

const topic = (id: string) => `projects/${PROJECT}/topics/${id}`;
const subscription = (id: string) => `projects/${PROJECT}/subscriptions/${id}`;
const pushStats = async (t: TestEmulator, sub: string) =>
  (await t.control<{ parts: { 'pubsub-push': { subscriptions: Record<string, PushStats> } } }>('GET', '/__emulator/dataplane')).parts['pubsub-push'].subscriptions[sub];

describe('push retries wait out the retry backoff', () => {
  const SCALE = 0.01;
  let t: TestEmulator;
  let endpoint: Server;
  let base = '';
  const seen = new Map<string, number[]>();

  beforeAll(async () => {
    t = await startTestEmulator({ latencyScale: SCALE, dataPlane: createLocalDataPlane({ parts: [createPushPart()], log: () => {} }) });
    // Rejects every push as the service does without PUSH_SERVICE_ACCOUNT.
    endpoint = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: { messageId: string } }).message.messageId;
        seen.set(id, [...(seen.get(id) ?? []), Date.now()]);
        res.writeHead(401).end('push endpoint disabled: PUSH_SERVICE_ACCOUNT is not configured');
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await t?.stop();
    await new Promise((r) => endpoint?.close(r));
  });

  async function rejectedTimes(id: string, retryPolicy?: { minimumBackoff: { seconds: number }; maximumBackoff: { seconds: number } }): Promise<{ times: number[]; sub: string; messageId: string }> {
    const pub = t.clients.publisher();
    await pub.createTopic({ name: topic(id) });
    await t.clients.subscriber().createSubscription({ name: subscription(id), topic: topic(id), ackDeadlineSeconds: 10, ...(retryPolicy ? { retryPolicy } : {}), pushConfig: { pushEndpoint: `${base}/${id}` } });
    const [{ messageIds }] = await pub.publish({ topic: topic(id), messages: [{ data: Buffer.from('x') }] });
    const times = await untilLogged(`4 deliveries on ${id}`, () => {
      const got = seen.get(messageIds![0]!) ?? [];
      return got.length >= 4 ? got.slice(0, 4) : undefined;
    }, 30_000);
    return { times, sub: subscription(id), messageId: messageIds![0]! };
  }

  const gaps = (times: number[]) => times.slice(1).map((x, i) => x - times[i]!);

  it('without a retryPolicy: Pub/Sub defaults, 10s doubling (scaled), for a 401', async () => {
    const { times, sub, messageId } = await rejectedTimes('no-policy');
    // 10 s, 20 s, 40 s at latency scale 0.01 (a few ms of slack for timer granularity).
    const want = [10_000, 20_000, 40_000].map((ms) => Math.max(MIN_RETRY_MS, ms * SCALE) - 5);
    gaps(times).forEach((g, i) => expect(g).toBeGreaterThanOrEqual(want[i]!));
    const stats = await pushStats(t, sub);
    expect(stats).toMatchObject({ acked: 0, lastStatus: 401 });
    // One message: every delivery so far is one of its attempts, none in a tight loop.
    expect(stats!.delivered).toBeLessThanOrEqual(seen.get(messageId)!.length + 1);
  });

  it("with a retryPolicy: its minimumBackoff, doubling up to its maximumBackoff", async () => {
    const { times } = await rejectedTimes('with-policy', { minimumBackoff: { seconds: 30 }, maximumBackoff: { seconds: 45 } });
    const want = [30_000, 45_000, 45_000].map((ms) => ms * SCALE - 5);
    gaps(times).forEach((g, i) => expect(g).toBeGreaterThanOrEqual(want[i]!));
  });
});

describe('push to a Cloud Run service restored after an emulator restart', () => {
  const REGION = 'us-central1';
  const parent = `projects/${PROJECT}/locations/${REGION}`;
  const SQL = `dp-push-${process.pid}`;
  const SA = `ruvector-run@${PROJECT}.iam.gserviceaccount.com`;
  const name = `${parent}/services/ruvector-push`;
  const AUDIENCE = `//run.googleapis.com/${name}/api/v1/pubsub/vector-updates`;
  const logs: string[] = [];
  const until = <T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000) => untilLogged(what, f, ms, logs);
  let stateDir = '';
  let t: TestEmulator | undefined;
  let plane: LocalDataPlane;

  async function start(): Promise<void> {
    plane = createLocalDataPlane({ core: await createCoreParts(), parts: [createPushPart()], log: (m) => logs.push(m) });
    t = await startTestEmulator({ stateDir, dataPlane: plane, quotas: 'unlimited' });
  }

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'ruvector-push-restart-'));
    await start();
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('the restored service gets PUBSUB_JWKS_URL, and the restored push subscription is acked', async () => {
    await makeWorld(t!, { region: REGION, sql: SQL });
    const startupProbe = { httpGet: { path: '/health/startup' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 60 };
    await (
      await t!.clients.runServices().createService({
        parent,
        serviceId: 'ruvector-push',
        // The push audience and signer, as the topology declares them (its subscription's oidcToken).
        service: { template: { serviceAccount: SA, scaling: { minInstanceCount: 1, maxInstanceCount: 1 }, containers: [{ image: 'ruvector:local', env: [...seedEnv({ region: REGION, sql: SQL }), { name: 'PUSH_AUDIENCE', value: AUDIENCE }, { name: 'PUSH_SERVICE_ACCOUNT', value: SA }], startupProbe }] } },
      })
    )[0].promise();
    const [svc] = await plane.waitReady({ names: [name], timeoutMs: 60_000 });
    const pushEndpoint = `${svc!.uri}/api/v1/pubsub/vector-updates`;
    await t!.clients.publisher().createTopic({ name: topic('updates') });
    await t!.clients.subscriber().createSubscription({ name: subscription('updates-push'), topic: topic('updates'), ackDeadlineSeconds: 10, pushConfig: { pushEndpoint, oidcToken: { serviceAccountEmail: SA, audience: AUDIENCE } } });

    await t!.stop();
    t = undefined;
    await start();

    // The service came back from the state dir at the same address, with the push env.
    const [back] = await plane.waitReady({ names: [name], timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs.slice(-20).join('\n')}`);
    });
    expect(back!.uri).toBe(svc!.uri);
    const run = (plane.status() as { parts: { run: RunStatus } }).parts.run;
    const pid = run.services.find((s) => s.name === name)!.revisions[0]!.instances[0]!.pid!;
    const env = Object.fromEntries((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    expect(env.PUBSUB_JWKS_URL).toBe(`${t!.url}/__emulator/oauth2/v3/certs`);
    expect(env.PUSH_SERVICE_ACCOUNT).toBe(SA);
    expect(env.PUSH_AUDIENCE).toBe(AUDIENCE);

    // An update from this service's own region: verified, then acknowledged with a 204.
    const update = { vector_id: 'v1', operation: 'insert', timestamp: Date.now(), region: REGION, metadata: JSON.stringify({ collection: 'docs' }) };
    await t!.clients.publisher().publish({ topic: topic('updates'), messages: [{ data: Buffer.from(JSON.stringify(update)) }] });
    const stats = await until('the push acked', async () => {
      const s = await pushStats(t!, subscription('updates-push'));
      return s && s.acked + s.nacked > 0 ? s : undefined;
    });
    expect(stats).toMatchObject({ delivered: 1, acked: 1, nacked: 0, lastStatus: 204 });
  }, 180_000);
});
