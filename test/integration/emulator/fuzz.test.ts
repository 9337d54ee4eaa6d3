import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.js';
import { rng } from '../../service/helpers.js';
import { mutator, type Json } from '../../fuzz.js';

/**
 * Seeded random mutations of valid create/update/publish requests to every API the emulator
 * serves: each answer is a success or a 4xx in Google's error shape ({error: {code, message}}),
 * never a 500. (Cloud Run's v2 API answered 500s for bodies of the wrong types before the
 * transcoder's type checks; see run.test.ts.)
 */
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, host: '127.0.0.1', seed: 1 });
});
afterAll(async () => {
  await emu.stop();
});

describe('fuzzed emulator requests', () => {
  it('never get a 500 or an error outside Google\'s shape', async () => {
    const rand = rng(1129);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
    const odd = (): Json =>
      pick<Json>([null, 0, -1, 1e308, 1.5, 'x', '', 'NaN', true, [], {}, [1, 2], [null], { a: 1 }, 'a'.repeat(3000), 2 ** 53 + 2, '10.0.0.0/8', '10.8.0.0/28', 'us-central1', '999.1.1.1/33', 'projects/p/global/networks/n', '-1', 'ü\u0000']);
    const mutate = mutator(rand, odd, ['extra', '__proto__', 'name', 'labels', 'etag']);
    const n = () => `f${Math.floor(rand() * 6)}`;
    const P = 'projects/p';
    const L = `${P}/locations/us-central1`;
    const templates: [string, () => string, () => Json][] = [
      ['POST', () => `/compute/v1/${P}/global/networks`, () => ({ name: n(), autoCreateSubnetworks: false, routingConfig: { routingMode: 'GLOBAL' } })],
      ['POST', () => `/compute/v1/${P}/regions/us-central1/subnetworks`, () => ({ name: n(), network: `${P}/global/networks/f1`, ipCidrRange: `10.${Math.floor(rand() * 5)}.0.0/20`, privateIpGoogleAccess: true })],
      ['POST', () => `/compute/v1/${P}/global/addresses`, () => ({ name: n(), addressType: pick(['INTERNAL', 'EXTERNAL']), purpose: 'VPC_PEERING', prefixLength: 16, network: `${P}/global/networks/f1` })],
      ['POST', () => `/compute/v1/${P}/global/securityPolicies`, () => ({ name: n(), rules: [{ priority: 1000, action: 'deny(403)', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['1.2.3.4/32'] } } }, { priority: 2147483647, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } }] })],
      ['POST', () => `/compute/v1/${P}/regions/us-central1/networkEndpointGroups`, () => ({ name: n(), networkEndpointType: 'SERVERLESS', cloudRun: { service: 'svc' } })],
      ['POST', () => `/compute/v1/${P}/global/backendServices`, () => ({ name: n(), loadBalancingScheme: 'EXTERNAL_MANAGED', protocol: 'HTTPS', backends: [{ group: `${P}/regions/us-central1/networkEndpointGroups/f1` }], securityPolicy: `${P}/global/securityPolicies/f1`, enableCDN: true, cdnPolicy: { cacheMode: 'CACHE_ALL_STATIC', cacheKeyPolicy: { includeQueryString: true } } })],
      ['POST', () => `/compute/v1/${P}/global/urlMaps`, () => ({ name: n(), defaultService: `${P}/global/backendServices/f1` })],
      ['POST', () => `/compute/v1/${P}/global/targetHttpsProxies`, () => ({ name: n(), urlMap: `${P}/global/urlMaps/f1`, sslCertificates: [`${P}/global/sslCertificates/f1`] })],
      ['POST', () => `/compute/v1/${P}/global/sslCertificates`, () => ({ name: n(), type: 'MANAGED', managed: { domains: ['a.example.com'] } })],
      ['POST', () => `/compute/v1/${P}/global/forwardingRules`, () => ({ name: n(), target: `${P}/global/targetHttpsProxies/f1`, portRange: '443', loadBalancingScheme: 'EXTERNAL_MANAGED', IPAddress: `${P}/global/addresses/f1` })],
      ['POST', () => `/v1/${L}/instances?instanceId=${n()}`, () => ({ tier: pick(['STANDARD_HA', 'BASIC']), memorySizeGb: 5, redisVersion: 'REDIS_7_0', authorizedNetwork: `${P}/global/networks/f1`, connectMode: 'PRIVATE_SERVICE_ACCESS', replicaCount: 1, readReplicasMode: 'READ_REPLICAS_ENABLED', authEnabled: true, transitEncryptionMode: 'SERVER_AUTHENTICATION' })],
      ['POST', () => `/v1/projects/p/instances`, () => ({ name: n(), databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-custom-2-7680', availabilityType: 'REGIONAL', ipConfiguration: { ipv4Enabled: false, privateNetwork: `${P}/global/networks/f1` }, backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true }, databaseFlags: [{ name: 'max_connections', value: '500' }] } })],
      ['POST', () => `/v1/projects/p/instances`, () => ({ name: n() + 'r', databaseVersion: 'POSTGRES_15', region: 'europe-west1', masterInstanceName: 'f1', instanceType: 'READ_REPLICA_INSTANCE', settings: { tier: 'db-custom-2-7680' } })],
      ['POST', () => `/v1/projects/p/instances/f1/databases`, () => ({ name: n() })],
      ['POST', () => `/v1/projects/p/instances/f1/users`, () => ({ name: n(), password: 'pw' })],
      ['POST', () => `/v2/${L}/services?serviceId=${n()}`, () => ({ template: { containers: [{ image: 'gcr.io/p/ruvector:v1', resources: { limits: { cpu: '4', memory: '8Gi' } }, env: [{ name: 'A', value: 'b' }], ports: [{ containerPort: 8080 }] }], scaling: { minInstanceCount: 0, maxInstanceCount: 5 }, vpcAccess: { connector: `${L}/connectors/f1`, egress: 'PRIVATE_RANGES_ONLY' }, maxInstanceRequestConcurrency: 80, timeout: '300s' }, ingress: 'INGRESS_TRAFFIC_ALL', traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }] })],
      ['PATCH', () => `/v2/${L}/services/f1`, (): Json => ({ template: { containers: [{ image: 'gcr.io/p/ruvector:v2' }] }, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'f1-00001', percent: 50 }, { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 50 }] })],
      ['POST', () => `/v1/${L}/connectors?connectorId=${n()}`, () => ({ network: 'f1', ipCidrRange: `10.8.${Math.floor(rand() * 4)}.0/28`, minInstances: 2, maxInstances: 10, machineType: 'e2-micro' })],
      ['POST', () => `/storage/v1/b?project=p`, () => ({ name: `ruv-${n()}`, location: 'US', storageClass: 'STANDARD', versioning: { enabled: true }, lifecycle: { rule: [{ action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 30 } }] }, iamConfiguration: { uniformBucketLevelAccess: { enabled: true } } })],
      ['PUT', () => `/v1/${P}/topics/${n()}`, () => ({ labels: { a: 'b' }, messageRetentionDuration: '604800s' })],
      ['PUT', () => `/v1/${P}/subscriptions/${n()}`, () => ({ topic: `${P}/topics/f1`, ackDeadlineSeconds: 30, pushConfig: { pushEndpoint: 'https://x.run.app/api/v1/pubsub/vector-updates', oidcToken: { serviceAccountEmail: 'a@p.iam.gserviceaccount.com', audience: 'x' } }, retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' }, deadLetterPolicy: { deadLetterTopic: `${P}/topics/f2`, maxDeliveryAttempts: 5 } })],
      ['POST', () => `/v1/${P}/topics/f1:publish`, () => ({ messages: [{ data: Buffer.from('{"a":1}').toString('base64'), attributes: { a: 'b' } }] })],
      ['POST', () => `/v1/${P}/subscriptions/f1:pull`, () => ({ maxMessages: 10 })],
      ['POST', () => `/v1/${P}/secrets?secretId=${n()}`, () => ({ replication: { automatic: {} }, labels: { a: 'b' } })],
      ['POST', () => `/v1/${P}/secrets/f1:addVersion`, () => ({ payload: { data: Buffer.from('s3cret').toString('base64') } })],
      ['POST', () => `/v1/${P}/serviceAccounts`, () => ({ accountId: `sa-${n()}`, serviceAccount: { displayName: 'x' } })],
    ];

    const send = async (method: string, path: string, body: string) => {
      const r = await fetch(emu.url + path, { method, headers: { 'content-type': 'application/json' }, body });
      return { status: r.status, text: await r.text() };
    };
    for (const [m, p, b] of templates) await send(m, p(), JSON.stringify(b()));
    const statuses = new Map<number, number>();
    const wrong: string[] = [];
    for (let i = 0; i < 2500; i++) {
      const [m, p, b] = pick(templates);
      const path = p();
      const text = JSON.stringify(rand() < 0.8 ? mutate(b()) : b());
      const body = rand() < 0.03 ? text.slice(0, -1) : text;
      const r = await send(m, path, body);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status < 400) continue;
      let shaped = false;
      try {
        const e = (JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown } }).error;
        shaped = e?.code === r.status && typeof e.message === 'string';
      } catch {
        // not JSON
      }
      if (r.status >= 500 || !shaped) wrong.push(`${m} ${path} ${body.slice(0, 300)} -> ${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(100);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(500);
  });
});
