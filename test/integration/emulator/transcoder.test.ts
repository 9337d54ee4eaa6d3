import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.js';

/**
 * Request bodies of the gax-style APIs are type-checked against the client libraries' own
 * protos, as Google's JSON transcoder does before any handler: a wrong JSON type or an unknown
 * field is a 400 INVALID_ARGUMENT whose field violation names the place. (Cloud Run's cases are
 * in run.test.ts.)
 */
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await emu.stop();
});

describe("the JSON transcoder's type checks", () => {
  const L = 'projects/p/locations/us-central1';
  const cases: [string, string, unknown, string, string][] = [
    ['POST', `/v1/${L}/instances?instanceId=r1`, { tier: 'BASIC', memorySizeGb: 'five' }, 'instance.memory_size_gb', "Invalid value at 'instance.memory_size_gb' (TYPE_INT32), \"five\""],
    ['POST', `/v1/${L}/instances?instanceId=r1`, { tier: 'PLATINUM', memorySizeGb: 1 }, 'instance.tier', 'type.googleapis.com/google.cloud.redis.v1.Instance.Tier'],
    ['POST', `/v1/${L}/instances?instanceId=r1`, { tier: 'BASIC', memorySizeGb: 1, redisConfigs: { maxmemory: 5 } }, 'instance.redis_configs["maxmemory"]', '(TYPE_STRING), 5'],
    ['POST', `/v1/${L}/connectors?connectorId=c1`, { network: 'n', ipCidrRange: '10.8.0.0/28', minInstances: 'two' }, 'connector.min_instances', '(TYPE_INT32), "two"'],
    ['POST', `/v1/${L}/connectors?connectorId=c1`, { network: ['n'], ipCidrRange: '10.8.0.0/28' }, 'connector.network', '(TYPE_STRING), ["n"]'],
    ['PUT', '/v1/projects/p/topics/topic1', { labels: ['a'] }, 'topic.labels', "Invalid value at 'topic.labels' (map)"],
    ['PUT', '/v1/projects/p/topics/topic1', { messageRetentionDuration: 7 }, 'topic.message_retention_duration', 'google.protobuf.Duration'],
    ['PUT', '/v1/projects/p/subscriptions/sub1', { topic: 'projects/p/topics/t1', ackDeadlineSeconds: 1.5 }, 'subscription.ack_deadline_seconds', '(TYPE_INT32), 1.5'],
    ['PUT', '/v1/projects/p/subscriptions/sub1', { topic: 'projects/p/topics/t1', pushConfig: { oidcToken: 'x' } }, 'subscription.push_config.oidc_token', 'google.pubsub.v1.PushConfig.OidcToken'],
    ['PUT', '/v1/projects/p/subscriptions/sub1', { topic: 'projects/p/topics/t1', ackDeadline: 10 }, 'subscription', 'Unknown name "ackDeadline" at \'subscription\': Cannot find field.'],
  ];
  it('refuses wrong types and unknown fields with the field, in every gax API', async () => {
    for (const [method, path, body, field, message] of cases) {
      const r = await fetch(emu.url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const { error } = (await r.json()) as { error: { code: number; status: string; message: string; details?: { fieldViolations?: { field: string }[] }[] } };
      expect(r.status, `${path} ${message}`).toBe(400);
      expect(error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
      expect(error.message).toContain(message);
      expect(error.details?.flatMap((d) => d.fieldViolations ?? []).map((v) => v.field)).toEqual([field]);
    }
  });
});
