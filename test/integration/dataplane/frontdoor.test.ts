/**
 * The local front door: a load balancer built through the official Compute client (serverless
 * NEGs -> backend services with Cloud CDN and Cloud Armor -> URL map with the seed's
 * X-Client-Region routes -> HTTPS proxy -> forwarding rule, plus the HTTP redirect rule)
 * answers on a local port and sends requests to the Cloud Run services the run data plane
 * serves. The services here are a plain HTTP echo (RUVECTOR_SERVICE_ENTRY), so the test
 * sees exactly what the front door forwarded.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as compute from '@google-cloud/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDataPlane, type LocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import { createFrontDoorPart, type FrontDoorStatus } from '../../../src/emulator/dataplane/frontdoor/index.js';
import { createRunPart } from '../../../src/emulator/dataplane/run/index.js';
import { canConnect } from '../../../src/emulator/dataplane/ports.js';
import { PROJECT, startTestEmulator, type TestEmulator } from '../emulator/helpers.js';

const REGIONS = ['us-central1', 'europe-west1'];
const ECHO = `
import { createServer } from 'node:http';
let n = 0;
createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/health/')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok"}'); return; }
  n += 1;
  const status = url.pathname === '/missing' ? 404 : 200;
  const headers = { 'content-type': 'application/json' };
  if (url.pathname === '/api/v1/search') headers['cache-control'] = 'public, max-age=60';
  res.writeHead(status, headers);
  res.end(JSON.stringify({ region: process.env.REGION, path: url.pathname, query: url.search, n, xff: req.headers['x-forwarded-for'], via: req.headers.via, proto: req.headers['x-forwarded-proto'] }));
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let t: TestEmulator;
let plane: LocalDataPlane;
let dir: string;
let door: string;
const logs: string[] = [];
const savedEntry = process.env.RUVECTOR_SERVICE_ENTRY;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: () => Record<string, unknown> }

function call(url: string, o: { method?: string; headers?: Record<string, string>; from?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers, localAddress: o.from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ruvector-frontdoor-'));
  await writeFile(join(dir, 'echo.mjs'), ECHO);
  process.env.RUVECTOR_SERVICE_ENTRY = join(dir, 'echo.mjs');
  plane = createLocalDataPlane({ core: { run: createRunPart({ instanceCap: 1 }) }, parts: [createFrontDoorPart()], log: (m) => logs.push(m) });
  t = await startTestEmulator({ dataPlane: plane, quotas: 'unlimited' });

  const run = t.clients.runServices();
  await Promise.all(REGIONS.map(async (region) => {
    const [op] = await run.createService({
      parent: `projects/${PROJECT}/locations/${region}`,
      serviceId: 'ruvector',
      service: { template: { scaling: { minInstanceCount: 1 }, containers: [{ image: 'ruvector:local', env: [{ name: 'REGION', value: region }], startupProbe: { httpGet: { path: '/health/startup' }, periodSeconds: 1, failureThreshold: 30 } }] } },
    });
    await op.promise();
  }));

  const g = <T>(C: new (...a: never[]) => T) => t.gax(C);
  const negs = g(compute.RegionNetworkEndpointGroupsClient);
  const backends = g(compute.BackendServicesClient);
  const armor = g(compute.SecurityPoliciesClient);
  const maps = g(compute.UrlMapsClient);
  const certs = g(compute.SslCertificatesClient);
  const https = g(compute.TargetHttpsProxiesClient);
  const http = g(compute.TargetHttpProxiesClient);
  const rules = g(compute.GlobalForwardingRulesClient);
  const addresses = g(compute.GlobalAddressesClient);
  const ops = g(compute.GlobalOperationsClient);
  const regionOps = g(compute.RegionOperationsClient);
  const done = async (p: Promise<[{ latestResponse: unknown }, ...unknown[]]>) => {
    const op = (await p)[0].latestResponse as { name: string; status?: string; region?: string; error?: unknown };
    let cur = op;
    while (cur.status !== 'DONE') {
      [cur] = (op.region
        ? await regionOps.wait({ project: PROJECT, region: op.region.split('/').pop()!, operation: op.name })
        : await ops.wait({ project: PROJECT, operation: op.name })) as unknown as [typeof op];
    }
    expect(cur.error ?? null).toBeNull();
  };

  await done(addresses.insert({ project: PROJECT, addressResource: { name: 'fd-ip' } }));
  await done(armor.insert({
    project: PROJECT,
    securityPolicyResource: {
      name: 'fd-armor',
      rules: [
        { action: 'allow', priority: 2147483647, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } },
        { action: 'deny(403)', priority: 100, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['127.0.0.66/32'] } } },
        { action: 'deny(403)', priority: 200, match: { expr: { expression: "evaluatePreconfiguredExpr('sqli-stable')" } } },
        { action: 'deny(403)', priority: 300, match: { expr: { expression: "evaluatePreconfiguredExpr('xss-stable')" } } },
        { action: 'deny(403)', priority: 400, match: { expr: { expression: "origin.region_code in ['CN', 'RU', 'KP']" } } },
        {
          action: 'rate_based_ban', priority: 1000, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
          rateLimitOptions: { conformAction: 'allow', exceedAction: 'deny(429)', enforceOnKey: 'IP', rateLimitThreshold: { count: 20, intervalSec: 60 }, banDurationSec: 600 },
        },
      ],
    },
  }));
  for (const region of REGIONS) {
    await done(negs.insert({ project: PROJECT, region, networkEndpointGroupResource: { name: `fd-neg-${region}`, networkEndpointType: 'SERVERLESS', cloudRun: { service: 'ruvector' } } }));
    await done(backends.insert({
      project: PROJECT,
      backendServiceResource: {
        name: `fd-be-${region}`, loadBalancingScheme: 'EXTERNAL_MANAGED', protocol: 'HTTP2', timeoutSec: 30, enableCDN: true,
        backends: [{ group: `projects/${PROJECT}/regions/${region}/networkEndpointGroups/fd-neg-${region}` }],
        cdnPolicy: {
          cacheMode: 'CACHE_ALL_STATIC', defaultTtl: 30, maxTtl: 300, clientTtl: 30, negativeCaching: true,
          negativeCachingPolicy: [{ code: 404, ttl: 60 }],
          cacheKeyPolicy: { includeProtocol: true, includeHost: true, includeQueryString: true, queryStringWhitelist: ['query_vector_id', 'k', 'metric'] },
        },
      },
    }));
    await done(backends.setSecurityPolicy({ project: PROJECT, backendService: `fd-be-${region}`, securityPolicyReferenceResource: { securityPolicy: 'global/securityPolicies/fd-armor' } }));
  }
  const svc = (r: string) => `global/backendServices/fd-be-${r}`;
  await done(maps.insert({
    project: PROJECT,
    urlMapResource: {
      name: 'fd-map', defaultService: svc('us-central1'),
      hostRules: [{ hosts: ['ruvector.localhost'], pathMatcher: 'ruvector' }],
      pathMatchers: [{
        name: 'ruvector', defaultService: svc('us-central1'),
        routeRules: [
          { priority: 1, matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'us' }] }], service: svc('us-central1') },
          { priority: 2, matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'eu' }] }], service: svc('europe-west1') },
        ],
      }],
    },
  }));
  await done(maps.insert({ project: PROJECT, urlMapResource: { name: 'fd-redirect', defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', stripQuery: false } } }));
  await done(certs.insert({ project: PROJECT, sslCertificateResource: { name: 'fd-cert', type: 'MANAGED', managed: { domains: ['ruvector.localhost'] } } }));
  await done(https.insert({ project: PROJECT, targetHttpsProxyResource: { name: 'fd-https', urlMap: 'global/urlMaps/fd-map', sslCertificates: ['global/sslCertificates/fd-cert'] } }));
  await done(http.insert({ project: PROJECT, targetHttpProxyResource: { name: 'fd-http', urlMap: 'global/urlMaps/fd-redirect' } }));
  await done(rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'fd-https', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '443', target: 'global/targetHttpsProxies/fd-https', IPAddress: 'global/addresses/fd-ip' } }));
  await done(rules.insert({ project: PROJECT, forwardingRuleResource: { name: 'fd-http', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '80', target: 'global/targetHttpProxies/fd-http', IPAddress: 'global/addresses/fd-ip' } }));

  const status = await until('front door listeners', async () => {
    const s = await t.control<FrontDoorStatus>('GET', '/__emulator/frontdoor');
    return s.listeners.length === 2 && s.url ? s : undefined;
  });
  door = status.url!;
  await plane.waitReady({ timeoutMs: 30_000 });
}, 90_000);

afterAll(async () => {
  await t?.stop();
  if (savedEntry === undefined) delete process.env.RUVECTOR_SERVICE_ENTRY;
  else process.env.RUVECTOR_SERVICE_ENTRY = savedEntry;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the local front door', () => {
  it('routes by the X-Client-Region header to each region\'s Cloud Run service, else the default', async () => {
    const eu = await call(`${door}/where`, { headers: { 'X-Client-Region': 'eu' } });
    expect(eu.status).toBe(200);
    expect(eu.json()).toMatchObject({ region: 'europe-west1', path: '/where', via: '1.1 google', proto: 'https' });
    expect(String(eu.json().xff)).toMatch(/^127\.0\.0\.1,/);
    expect((await call(`${door}/where`, { headers: { 'X-Client-Region': 'us' } })).json().region).toBe('us-central1');
    expect((await call(`${door}/where`)).json().region).toBe('us-central1');
    expect((await call(`${door}/where`, { headers: { 'X-Client-Region': 'asia' } })).json().region).toBe('us-central1');
    // The front door's own address stands for the certificate's domain; another host matches no host rule.
    expect((await call(`${door}/where`, { headers: { 'X-Client-Region': 'eu', Host: 'ruvector.localhost' } })).json().region).toBe('europe-west1');
    expect((await call(`${door}/where`, { headers: { 'X-Client-Region': 'eu', Host: 'elsewhere.example' } })).json().region).toBe('us-central1');
  });

  it('caches with the cache key policy (query_vector_id, k, metric), TTLs and negative caching', async () => {
    const first = await call(`${door}/api/v1/search?query_vector_id=a&k=5&metric=cosine&noise=1`);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await call(`${door}/api/v1/search?query_vector_id=a&k=5&metric=cosine&noise=2`);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toBe(first.body); // the origin was not asked again
    expect(Number(second.headers.age)).toBeGreaterThanOrEqual(0);
    expect(second.headers['cache-control']).toMatch(/max-age=(30|[12]\d|\d)\b/); // clientTtl caps the origin's 60
    const otherK = await call(`${door}/api/v1/search?query_vector_id=a&k=6&metric=cosine`);
    expect(otherK.headers['x-cache']).toBe('MISS');
    // Another region's backend has its own entries.
    expect((await call(`${door}/api/v1/search?query_vector_id=a&k=5&metric=cosine`, { headers: { 'X-Client-Region': 'eu' } })).headers['x-cache']).toBe('MISS');
    // Not cacheable: no cache headers from the origin, and POSTs.
    expect((await call(`${door}/plain`)).headers['x-cache']).toBe('MISS');
    const plain2 = await call(`${door}/plain`);
    expect(plain2.headers['x-cache']).toBe('MISS');
    expect((await call(`${door}/api/v1/search`, { method: 'POST', body: '{}' })).headers['x-cache']).toBeUndefined();
    // 404 is negatively cached for its policy TTL.
    const miss404 = await call(`${door}/missing`);
    expect([miss404.status, miss404.headers['x-cache']]).toEqual([404, 'MISS']);
    const hit404 = await call(`${door}/missing`);
    expect([hit404.status, hit404.headers['x-cache']]).toEqual([404, 'HIT']);
  });

  it('enforces Cloud Armor: sqli and xss 403, geo via X-Client-Geo, blocked source ranges', async () => {
    expect((await call(`${door}/api/v1/search?query_vector_id=${encodeURIComponent("1' OR '1'='1")}&k=5`)).status).toBe(403);
    expect((await call(`${door}/api/v1/collections/x/points?id=1%20UNION%20SELECT%20password%20FROM%20users`)).status).toBe(403);
    expect((await call(`${door}/q?name=${encodeURIComponent('<script>alert(1)</script>')}`)).status).toBe(403);
    expect((await call(`${door}/where`, { headers: { 'X-Client-Geo': 'KP' } })).status).toBe(403);
    expect((await call(`${door}/where`, { headers: { 'X-Client-Geo': 'FR' } })).status).toBe(200);
    expect((await call(`${door}/where`, { from: '127.0.0.66' })).status).toBe(403);
    // Ordinary search parameters pass.
    expect((await call(`${door}/api/v1/search?query_vector_id=doc-42&k=10&metric=cosine`)).status).toBe(200);
  });

  it('redirects the HTTP forwarding rule to the HTTPS one, keeping path and query', async () => {
    const s = await t.control<FrontDoorStatus>('GET', '/__emulator/frontdoor');
    const httpRule = s.listeners.find((l) => l.protocol === 'HTTP')!;
    expect(httpRule.port).toBe(80);
    expect(httpRule.serves).toBe(false);
    expect(s.listeners.find((l) => l.protocol === 'HTTPS')).toMatchObject({ port: 443, serves: true, url: door });
    const r = await call(`${httpRule.url}/api/v1/search?k=3`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`${door}/api/v1/search?k=3`);
  });

  it('bans a client that floods past the rate limit with 429, and only that client', async () => {
    const from = '127.0.0.9';
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await call(`${door}/flood/${i}`, { from })).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    expect((await call(`${door}/after-ban`, { from })).status).toBe(429);
    expect((await call(`${door}/after-ban`, { from: '127.0.0.10' })).status).toBe(200);
  });

  it('closes its ports when the data plane stops', async () => {
    const s = await t.control<FrontDoorStatus>('GET', '/__emulator/frontdoor');
    const ports = s.listeners.map((l) => Number(new URL(l.url).port));
    await plane.stop();
    for (const p of ports) expect(await canConnect('127.0.0.1', p)).toBe(false);
  });
});
