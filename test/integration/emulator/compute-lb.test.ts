import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontDoorSnapshot } from '../../../src/emulator/apis/compute/index.js';
import { expectError, PROJECT, REGION, startCompute, type ComputeTest } from './compute-helpers.js';

let h: ComputeTest;
let base: string;
beforeAll(async () => {
  h = await startCompute();
  base = `${h.t.url}/compute/v1/projects/${PROJECT}`;
});
afterAll(async () => {
  await h.t.stop();
});

/** The seed's Cloud Armor policy, with the empty "known bad IPs" rule given a range (GCE refuses an empty list). */
const seedRules = [
  { action: 'allow', priority: 2147483647, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } }, description: 'Default rule' },
  {
    action: 'rate_based_ban', priority: 1000, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } }, description: 'Rate limit: 100 req/10s per IP',
    rateLimitOptions: { conformAction: 'allow', exceedAction: 'deny(429)', enforceOnKey: 'IP', rateLimitThreshold: { count: 100, intervalSec: 10 }, banDurationSec: 600 },
  },
  { action: 'deny(403)', priority: 100, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['192.0.2.0/24'] } }, description: 'Block malicious IPs' },
  { action: 'deny(403)', priority: 200, match: { expr: { expression: "evaluatePreconfiguredExpr('sqli-stable')" } }, description: 'SQL injection protection' },
  { action: 'deny(403)', priority: 300, match: { expr: { expression: "evaluatePreconfiguredExpr('xss-stable')" } }, description: 'XSS protection' },
];

const cdnPolicy = {
  cacheMode: 'CACHE_ALL_STATIC', defaultTtl: 30, maxTtl: 300, clientTtl: 30, negativeCaching: true,
  negativeCachingPolicy: [{ code: 404, ttl: 60 }],
  cacheKeyPolicy: { includeProtocol: true, includeHost: true, includeQueryString: true, queryStringWhitelist: ['query_vector_id', 'k', 'metric'] },
};

describe('the global HTTPS load balancer chain', () => {
  it('builds address, cert, SSL policy, NEG, Cloud Armor, backend, URL maps, proxies and forwarding rules', async () => {
    const { c } = h;
    await h.ok(c.addresses.insert({ project: PROJECT, addressResource: { name: 'lb-ip', addressType: 'EXTERNAL', ipVersion: 'IPV4' } }));
    await h.ok(c.sslCertificates.insert({ project: PROJECT, sslCertificateResource: { name: 'lb-cert', type: 'MANAGED', managed: { domains: ['ruvector.example.com', 'api.ruvector.example.com'] } } }));
    const [certNow] = await c.sslCertificates.get({ project: PROJECT, sslCertificate: 'lb-cert' });
    expect(certNow.managed?.status).toBe('PROVISIONING');
    await h.ok(c.sslPolicies.insert({ project: PROJECT, sslPolicyResource: { name: 'lb-ssl', profile: 'MODERN', minTlsVersion: 'TLS_1_2' } }));
    await h.ok(c.healthChecks.insert({ project: PROJECT, healthCheckResource: { name: 'lb-hc', checkIntervalSec: 5, timeoutSec: 3, healthyThreshold: 2, unhealthyThreshold: 3, http2HealthCheck: { port: 8080, requestPath: '/health/ready' } } }));
    const [hc] = await c.healthChecks.get({ project: PROJECT, healthCheck: 'lb-hc' });
    expect(hc).toMatchObject({ type: 'HTTP2', http2HealthCheck: { port: 8080, requestPath: '/health/ready', portSpecification: 'USE_FIXED_PORT', proxyHeader: 'NONE' } });
    for (const region of [REGION, 'europe-west1']) {
      await h.ok(c.negs.insert({ project: PROJECT, region, networkEndpointGroupResource: { name: `lb-neg-${region}`, networkEndpointType: 'SERVERLESS', cloudRun: { service: 'ruvector' } } }));
    }
    await h.ok(c.securityPolicies.insert({ project: PROJECT, securityPolicyResource: { name: 'lb-armor', rules: seedRules, adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true } } } }));
    const [armor] = await c.securityPolicies.get({ project: PROJECT, securityPolicy: 'lb-armor' });
    expect(armor.rules?.map((r) => r.priority)).toEqual([100, 200, 300, 1000, 2147483647]);
    expect(armor.adaptiveProtectionConfig?.layer7DdosDefenseConfig).toMatchObject({ enable: true, ruleVisibility: 'STANDARD' });

    for (const region of [REGION, 'europe-west1']) {
      await h.ok(c.backends.insert({
        project: PROJECT,
        backendServiceResource: {
          name: `lb-be-${region}`, protocol: 'HTTP2', portName: 'http', timeoutSec: 300, enableCDN: true, sessionAffinity: 'CLIENT_IP', affinityCookieTtlSec: 300,
          loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group: `projects/${PROJECT}/regions/${region}/networkEndpointGroups/lb-neg-${region}` }],
          cdnPolicy, logConfig: { enable: true, sampleRate: 0.1 },
        },
      }));
      await h.ok(c.backends.setSecurityPolicy({ project: PROJECT, backendService: `lb-be-${region}`, securityPolicyReferenceResource: { securityPolicy: `${base}/global/securityPolicies/lb-armor` } }));
    }
    const [be] = await c.backends.get({ project: PROJECT, backendService: `lb-be-${REGION}` });
    expect(be).toMatchObject({
      securityPolicy: `${base}/global/securityPolicies/lb-armor`, enableCDN: true, loadBalancingScheme: 'EXTERNAL_MANAGED',
      backends: [{ group: `${base}/regions/${REGION}/networkEndpointGroups/lb-neg-${REGION}` }],
      cdnPolicy: { cacheMode: 'CACHE_ALL_STATIC', defaultTtl: 30, maxTtl: 300, negativeCachingPolicy: [{ code: 404, ttl: 60 }], cacheKeyPolicy: { queryStringWhitelist: ['query_vector_id', 'k', 'metric'] } },
      logConfig: { enable: true, sampleRate: 0.1 },
    });
    expect(be.fingerprint).toBeTruthy();
    const [health] = await c.backends.getHealth({ project: PROJECT, backendService: `lb-be-${REGION}`, resourceGroupReferenceResource: { group: `${base}/regions/${REGION}/networkEndpointGroups/lb-neg-${REGION}` } });
    expect(health.kind).toBe('compute#backendServiceGroupHealth');

    const svc = (r: string) => `global/backendServices/lb-be-${r}`;
    await h.ok(c.urlMaps.insert({
      project: PROJECT,
      urlMapResource: {
        name: 'lb-map', defaultService: svc(REGION),
        hostRules: [{ hosts: ['ruvector.example.com', '*.ruvector.example.com'], pathMatcher: 'ruvector' }],
        pathMatchers: [{
          name: 'ruvector', defaultService: svc(REGION),
          routeRules: [
            { priority: 1, matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'us' }] }], service: svc(REGION) },
            { priority: 2, matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'eu' }] }], service: svc('europe-west1') },
          ],
        }],
      },
    }));
    await h.ok(c.urlMaps.insert({ project: PROJECT, urlMapResource: { name: 'lb-redirect', defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', stripQuery: false } } }));
    const [beUsed] = await c.backends.get({ project: PROJECT, backendService: `lb-be-${REGION}` });
    expect(beUsed.usedBy?.map((u) => u.reference)).toEqual([`${base}/global/urlMaps/lb-map`]);

    await h.ok(c.httpsProxies.insert({ project: PROJECT, targetHttpsProxyResource: { name: 'lb-https', urlMap: 'global/urlMaps/lb-map', sslCertificates: ['global/sslCertificates/lb-cert'], sslPolicy: 'global/sslPolicies/lb-ssl' } }));
    await h.ok(c.httpProxies.insert({ project: PROJECT, targetHttpProxyResource: { name: 'lb-http', urlMap: 'global/urlMaps/lb-redirect' } }));
    await h.ok(c.forwardingRules.insert({ project: PROJECT, forwardingRuleResource: { name: 'lb-fr-https', IPProtocol: 'TCP', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '443', target: 'global/targetHttpsProxies/lb-https', IPAddress: 'global/addresses/lb-ip' } }));
    // The redirect map has no backends, so its forwarding rule may use either external scheme.
    await h.ok(c.forwardingRules.insert({ project: PROJECT, forwardingRuleResource: { name: 'lb-fr-http', IPProtocol: 'TCP', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '80', target: 'global/targetHttpProxies/lb-http', IPAddress: 'global/addresses/lb-ip' } }));

    const [ip] = await c.addresses.get({ project: PROJECT, address: 'lb-ip' });
    const [fr] = await c.forwardingRules.get({ project: PROJECT, forwardingRule: 'lb-fr-https' });
    expect(fr).toMatchObject({ IPAddress: ip.address, portRange: '443-443', target: `${base}/global/targetHttpsProxies/lb-https`, labelFingerprint: '42WmSpB8rSM=' });
    expect(ip.status).toBe('IN_USE');
    expect(ip.users?.sort()).toEqual([`${base}/global/forwardingRules/lb-fr-http`, `${base}/global/forwardingRules/lb-fr-https`]);
    await expectError(
      c.forwardingRules.insert({ project: PROJECT, forwardingRuleResource: { name: 'lb-fr-dup', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '443', target: 'global/targetHttpsProxies/lb-https', IPAddress: ip.address } }),
      400, 'invalid',
    );

    // The managed certificate turns ACTIVE after (scaled) provisioning time.
    let cert = certNow;
    for (let i = 0; i < 100 && cert.managed?.status !== 'ACTIVE'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      [cert] = await c.sslCertificates.get({ project: PROJECT, sslCertificate: 'lb-cert' });
    }
    expect(cert.managed).toMatchObject({ status: 'ACTIVE', domainStatus: { 'ruvector.example.com': 'ACTIVE' } });
    expect(cert.subjectAlternativeNames).toEqual(['ruvector.example.com', 'api.ruvector.example.com']);
  });

  it('uses fingerprints: stale ones get 412, set* calls roll them (setUrlMap/setSslCertificates have no /global/)', async () => {
    const { c } = h;
    const [be] = await c.backends.get({ project: PROJECT, backendService: `lb-be-${REGION}` });
    await h.ok(c.backends.patch({ project: PROJECT, backendService: `lb-be-${REGION}`, backendServiceResource: { timeoutSec: 120, fingerprint: be.fingerprint } }));
    await expectError(c.backends.patch({ project: PROJECT, backendService: `lb-be-${REGION}`, backendServiceResource: { timeoutSec: 60, fingerprint: be.fingerprint } }), 412, 'conditionNotMet');
    await expectError(c.backends.patch({ project: PROJECT, backendService: `lb-be-${REGION}`, backendServiceResource: { timeoutSec: 60 } }), 412, 'conditionNotMet');
    const [be2] = await c.backends.get({ project: PROJECT, backendService: `lb-be-${REGION}` });
    expect(be2.timeoutSec).toBe(120);
    expect(be2.securityPolicy).toBe(`${base}/global/securityPolicies/lb-armor`);

    const [map] = await c.urlMaps.get({ project: PROJECT, urlMap: 'lb-redirect' });
    await expectError(c.urlMaps.update({ project: PROJECT, urlMap: 'lb-redirect', urlMapResource: { name: 'lb-redirect', defaultUrlRedirect: { httpsRedirect: true }, fingerprint: 'AAAAAAAAAAA=' } }), 412, 'conditionNotMet');
    await h.ok(c.urlMaps.update({ project: PROJECT, urlMap: 'lb-redirect', urlMapResource: { name: 'lb-redirect', defaultUrlRedirect: { httpsRedirect: true, stripQuery: true }, fingerprint: map.fingerprint } }));

    const [pol] = await c.sslPolicies.get({ project: PROJECT, sslPolicy: 'lb-ssl' });
    expect(pol.enabledFeatures?.length).toBeGreaterThan(0);
    await expectError(c.sslPolicies.patch({ project: PROJECT, sslPolicy: 'lb-ssl', sslPolicyResource: { minTlsVersion: 'TLS_1_1', fingerprint: 'AAAAAAAAAAA=' } }), 412, 'conditionNotMet');

    const [proxy] = await c.httpsProxies.get({ project: PROJECT, targetHttpsProxy: 'lb-https' });
    await h.ok(c.urlMaps.insert({ project: PROJECT, urlMapResource: { name: 'lb-map-2', defaultService: `global/backendServices/lb-be-${REGION}` } }));
    await h.ok(c.httpsProxies.setUrlMap({ project: PROJECT, targetHttpsProxy: 'lb-https', urlMapReferenceResource: { urlMap: `${base}/global/urlMaps/lb-map-2` } }));
    await h.ok(c.httpsProxies.setSslCertificates({ project: PROJECT, targetHttpsProxy: 'lb-https', targetHttpsProxiesSetSslCertificatesRequestResource: { sslCertificates: ['global/sslCertificates/lb-cert'] } }));
    await h.ok(c.httpsProxies.setSslPolicy({ project: PROJECT, targetHttpsProxy: 'lb-https', sslPolicyReferenceResource: { sslPolicy: 'global/sslPolicies/lb-ssl' } }));
    const [proxy2] = await c.httpsProxies.get({ project: PROJECT, targetHttpsProxy: 'lb-https' });
    expect(proxy2.urlMap).toBe(`${base}/global/urlMaps/lb-map-2`);
    expect(proxy2.fingerprint).not.toBe(proxy.fingerprint);
    const log = h.t.emu.requestLog.entries({ path: '/setUrlMap' });
    expect(log.at(-1)?.path).toBe(`/compute/v1/projects/${PROJECT}/targetHttpsProxies/lb-https/setUrlMap`);
    await h.ok(c.httpsProxies.setUrlMap({ project: PROJECT, targetHttpsProxy: 'lb-https', urlMapReferenceResource: { urlMap: 'global/urlMaps/lb-map' } }));
    await h.ok(c.urlMaps.delete({ project: PROJECT, urlMap: 'lb-map-2' }));

    const [fr] = await c.forwardingRules.get({ project: PROJECT, forwardingRule: 'lb-fr-https' });
    await expectError(c.forwardingRules.setLabels({ project: PROJECT, resource: 'lb-fr-https', globalSetLabelsRequestResource: { labels: { 'managed-by': 'ruvector' }, labelFingerprint: 'AAAAAAAAAAA=' } }), 412, 'conditionNotMet');
    await h.ok(c.forwardingRules.setLabels({ project: PROJECT, resource: 'lb-fr-https', globalSetLabelsRequestResource: { labels: { 'managed-by': 'ruvector' }, labelFingerprint: fr.labelFingerprint } }));
    await h.ok(c.forwardingRules.setTarget({ project: PROJECT, forwardingRule: 'lb-fr-https', targetReferenceResource: { target: 'global/targetHttpsProxies/lb-https' } }));
    const [fr2] = await c.forwardingRules.get({ project: PROJECT, forwardingRule: 'lb-fr-https' });
    expect(fr2.labels).toEqual({ 'managed-by': 'ruvector' });
    expect(fr2.fingerprint).not.toBe(fr.fingerprint);
  });

  it('edits Cloud Armor rules one by one (addRule, getRule, patchRule, removeRule)', async () => {
    const { c } = h;
    const [before] = await c.securityPolicies.get({ project: PROJECT, securityPolicy: 'lb-armor' });
    await h.ok(c.securityPolicies.addRule({ project: PROJECT, securityPolicy: 'lb-armor', securityPolicyRuleResource: { priority: 400, action: 'deny(403)', match: { expr: { expression: "origin.region_code in ['KP']" } }, description: 'geo' } }));
    await expectError(c.securityPolicies.addRule({ project: PROJECT, securityPolicy: 'lb-armor', securityPolicyRuleResource: { priority: 400, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } } }), 400, 'invalid');
    const [rule] = await c.securityPolicies.getRule({ project: PROJECT, securityPolicy: 'lb-armor', priority: 400 });
    expect(rule).toMatchObject({ action: 'deny(403)', description: 'geo', preview: false });
    await h.ok(c.securityPolicies.patchRule({ project: PROJECT, securityPolicy: 'lb-armor', priority: 400, securityPolicyRuleResource: { preview: true } }));
    const [patched] = await c.securityPolicies.getRule({ project: PROJECT, securityPolicy: 'lb-armor', priority: 400 });
    expect(patched.preview).toBe(true);
    await expectError(c.securityPolicies.removeRule({ project: PROJECT, securityPolicy: 'lb-armor', priority: 2147483647 }), 400, 'invalid');
    // validateOnly checks the rule and changes nothing.
    await expectError(c.securityPolicies.addRule({ project: PROJECT, securityPolicy: 'lb-armor', validateOnly: true, securityPolicyRuleResource: { priority: 500, action: 'throttle', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } } }), 400, 'invalid');
    await h.ok(c.securityPolicies.addRule({ project: PROJECT, securityPolicy: 'lb-armor', validateOnly: true, securityPolicyRuleResource: { priority: 500, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['10.0.0.0/8'] } } } }));
    await expectError(c.securityPolicies.getRule({ project: PROJECT, securityPolicy: 'lb-armor', priority: 500 }), 400, 'invalid');
    await h.ok(c.securityPolicies.removeRule({ project: PROJECT, securityPolicy: 'lb-armor', priority: 400 }));
    const [after] = await c.securityPolicies.get({ project: PROJECT, securityPolicy: 'lb-armor' });
    expect(after.rules?.map((r) => r.priority)).toEqual([100, 200, 300, 1000, 2147483647]);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    await expectError(c.securityPolicies.patch({ project: PROJECT, securityPolicy: 'lb-armor', securityPolicyResource: { description: 'x', fingerprint: before.fingerprint } }), 412, 'conditionNotMet');
  });

  it('hands the data plane a resolved snapshot of the front door', async () => {
    const snap = frontDoorSnapshot(h.t.emu.ctx, PROJECT);
    const https = snap.listeners.find((l) => l.protocol === 'HTTPS')!;
    const [ip] = await h.c.addresses.get({ project: PROJECT, address: 'lb-ip' });
    expect(https).toMatchObject({ ip: ip.address, port: 443, urlMap: { name: 'lb-map' }, sslPolicy: { name: 'lb-ssl' } });
    expect(https.certificates.map((c) => c.name)).toEqual(['lb-cert']);
    expect(snap.listeners.find((l) => l.protocol === 'HTTP')).toMatchObject({ port: 80, urlMap: { name: 'lb-redirect' } });
    const be = snap.backends[`${base}/global/backendServices/lb-be-europe-west1`]!;
    expect(be.endpoints).toEqual([{ region: 'europe-west1', neg: `${base}/regions/europe-west1/networkEndpointGroups/lb-neg-europe-west1`, cloudRunService: 'ruvector' }]);
    expect(be.securityPolicy?.name).toBe('lb-armor');
  });

  it('validates URL maps without saving them, invalidates the cache, lists TLS features and WAF rule sets', async () => {
    const { c } = h;
    const [good] = await c.urlMaps.validate({ project: PROJECT, urlMap: 'lb-map', urlMapsValidateRequestResource: { resource: { name: 'lb-map', defaultService: `global/backendServices/lb-be-${REGION}` } } });
    expect(good.result).toMatchObject({ loadSucceeded: true });
    const [bad] = await c.urlMaps.validate({ project: PROJECT, urlMap: 'lb-map', urlMapsValidateRequestResource: { resource: { name: 'lb-map', defaultService: 'global/backendServices/nope' } } });
    expect(bad.result?.loadSucceeded).toBe(false);
    expect(bad.result?.loadErrors?.[0]).toContain('backendServices/nope');
    const done = await h.ok(c.urlMaps.invalidateCache({ project: PROJECT, urlMap: 'lb-map', cacheInvalidationRuleResource: { path: '/api/*' } }));
    expect(done.operationType).toBe('invalidateCache');
    const [features] = await c.sslPolicies.listAvailableFeatures({ project: PROJECT });
    expect(features.features).toContain('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    const [sets] = await c.securityPolicies.listPreconfiguredExpressionSets({ project: PROJECT });
    expect(sets.preconfiguredExpressionSets?.wafRules?.expressionSets?.map((e) => e.id)).toContain('sqli-stable');
  });

  it('refuses to delete anything still referenced, then tears down in reverse order', async () => {
    const { c } = h;
    const inUse = async (p: Promise<unknown>, by: string) => {
      const body = await expectError(p, 400, 'resourceInUseByAnotherResource');
      expect(body.message).toContain(by);
    };
    await inUse(c.negs.delete({ project: PROJECT, region: REGION, networkEndpointGroup: `lb-neg-${REGION}` }), `backendServices/lb-be-${REGION}`);
    await inUse(c.backends.delete({ project: PROJECT, backendService: `lb-be-${REGION}` }), 'urlMaps/lb-map');
    await inUse(c.urlMaps.delete({ project: PROJECT, urlMap: 'lb-map' }), 'targetHttpsProxies/lb-https');
    await inUse(c.httpsProxies.delete({ project: PROJECT, targetHttpsProxy: 'lb-https' }), 'forwardingRules/lb-fr-https');
    await inUse(c.sslCertificates.delete({ project: PROJECT, sslCertificate: 'lb-cert' }), 'targetHttpsProxies/lb-https');
    await inUse(c.sslPolicies.delete({ project: PROJECT, sslPolicy: 'lb-ssl' }), 'targetHttpsProxies/lb-https');
    await inUse(c.securityPolicies.delete({ project: PROJECT, securityPolicy: 'lb-armor' }), 'backendServices/lb-be-');
    await inUse(c.addresses.delete({ project: PROJECT, address: 'lb-ip' }), 'forwardingRules/lb-fr-');

    await h.ok(c.forwardingRules.delete({ project: PROJECT, forwardingRule: 'lb-fr-https' }));
    await h.ok(c.forwardingRules.delete({ project: PROJECT, forwardingRule: 'lb-fr-http' }));
    await h.ok(c.httpsProxies.delete({ project: PROJECT, targetHttpsProxy: 'lb-https' }));
    await h.ok(c.httpProxies.delete({ project: PROJECT, targetHttpProxy: 'lb-http' }));
    await h.ok(c.urlMaps.delete({ project: PROJECT, urlMap: 'lb-map' }));
    await h.ok(c.urlMaps.delete({ project: PROJECT, urlMap: 'lb-redirect' }));
    for (const region of [REGION, 'europe-west1']) {
      await h.ok(c.backends.setSecurityPolicy({ project: PROJECT, backendService: `lb-be-${region}`, securityPolicyReferenceResource: {} }));
      await h.ok(c.backends.delete({ project: PROJECT, backendService: `lb-be-${region}` }));
      await h.ok(c.negs.delete({ project: PROJECT, region, networkEndpointGroup: `lb-neg-${region}` }));
    }
    for (const p of [
      c.securityPolicies.delete({ project: PROJECT, securityPolicy: 'lb-armor' }),
      c.sslPolicies.delete({ project: PROJECT, sslPolicy: 'lb-ssl' }),
      c.sslCertificates.delete({ project: PROJECT, sslCertificate: 'lb-cert' }),
      c.healthChecks.delete({ project: PROJECT, healthCheck: 'lb-hc' }),
      c.addresses.delete({ project: PROJECT, address: 'lb-ip' }),
    ]) await h.ok(p);
    const [left] = await c.backends.list({ project: PROJECT });
    expect(left).toEqual([]);
    const [project] = await c.projects.get({ project: PROJECT });
    expect(project.quotas?.find((q) => q.metric === 'BACKEND_SERVICES')?.usage).toBe(0);
  });
});

describe('what GCE refuses in the seed design', () => {
  it('rejects a health check on serverless NEG backends, 429 negative caching, wildcard managed domains, empty srcIpRanges', async () => {
    const { c } = h;
    await h.ok(c.negs.insert({ project: PROJECT, region: REGION, networkEndpointGroupResource: { name: 'q-neg', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'ruvector' } } }));
    await h.ok(c.healthChecks.insert({ project: PROJECT, healthCheckResource: { name: 'q-hc', http2HealthCheck: { port: 8080 } } }));
    const group = `projects/${PROJECT}/regions/${REGION}/networkEndpointGroups/q-neg`;
    const hcBody = await expectError(c.backends.insert({ project: PROJECT, backendServiceResource: { name: 'q-be', loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group }], healthChecks: ['global/healthChecks/q-hc'] } }), 400, 'invalid');
    expect(hcBody.message).toContain('Serverless network endpoint group');
    await expectError(
      c.backends.insert({ project: PROJECT, backendServiceResource: { name: 'q-be', loadBalancingScheme: 'EXTERNAL_MANAGED', backends: [{ group }], enableCDN: true, cdnPolicy: { ...cdnPolicy, negativeCachingPolicy: [{ code: 404, ttl: 60 }, { code: 429, ttl: 10 }] } } }),
      400, 'invalid',
    );
    await expectError(c.sslCertificates.insert({ project: PROJECT, sslCertificateResource: { name: 'q-cert', type: 'MANAGED', managed: { domains: ['ruvector.example.com', '*.ruvector.example.com'] } } }), 400, 'invalid');
    await expectError(
      c.securityPolicies.insert({ project: PROJECT, securityPolicyResource: { name: 'q-armor', rules: [{ action: 'deny(403)', priority: 100, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: [] } } }] } }),
      400, 'invalid',
    );
    await expectError(
      c.securityPolicies.insert({ project: PROJECT, securityPolicyResource: { name: 'q-armor', rules: [{ action: 'deny(403)', priority: 200, match: { expr: { expression: "evaluatePreconfiguredExpr('sqli-stabel')" } } }] } }),
      400, 'invalid',
    );
    // Header-based routing needs EXTERNAL_MANAGED backends; a classic EXTERNAL backend cannot take it.
    await h.ok(c.backends.insert({ project: PROJECT, backendServiceResource: { name: 'q-classic', backends: [{ group }] } }));
    await expectError(
      c.urlMaps.insert({
        project: PROJECT,
        urlMapResource: { name: 'q-map', defaultService: 'global/backendServices/q-classic', hostRules: [{ hosts: ['*'], pathMatcher: 'pm' }], pathMatchers: [{ name: 'pm', defaultService: 'global/backendServices/q-classic', routeRules: [{ priority: 1, matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'us' }] }], service: 'global/backendServices/q-classic' }] }] },
      }),
      400, 'invalid',
    );
    // A forwarding rule's scheme must match the backends behind its proxy.
    await h.ok(c.urlMaps.insert({ project: PROJECT, urlMapResource: { name: 'q-map', defaultService: 'global/backendServices/q-classic' } }));
    await h.ok(c.httpProxies.insert({ project: PROJECT, targetHttpProxyResource: { name: 'q-proxy', urlMap: 'global/urlMaps/q-map' } }));
    await expectError(c.forwardingRules.insert({ project: PROJECT, forwardingRuleResource: { name: 'q-fr', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '80', target: 'global/targetHttpProxies/q-proxy' } }), 400, 'invalid');
    await h.ok(c.forwardingRules.insert({ project: PROJECT, forwardingRuleResource: { name: 'q-fr', portRange: '80', target: 'global/targetHttpProxies/q-proxy' } }));
    const [fr] = await c.forwardingRules.get({ project: PROJECT, forwardingRule: 'q-fr' });
    expect(fr.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('counts Cloud Armor rules across the project against SECURITY_POLICY_RULES', async () => {
    const { c } = h;
    const ctx = h.t.emu.ctx;
    const [all] = await c.securityPolicies.list({ project: PROJECT });
    const inUse = all.reduce((n, p) => n + (p.rules?.length ?? 0), 0);
    ctx.quotas.setLimit('global', 'SECURITY_POLICY_RULES', inUse + 1);
    await h.ok(c.securityPolicies.insert({ project: PROJECT, securityPolicyResource: { name: 'q-rules-1' } }));
    const body = await expectError(c.securityPolicies.insert({ project: PROJECT, securityPolicyResource: { name: 'q-rules-2' } }), 403, 'quotaExceeded');
    expect(body.message).toContain("Quota 'SECURITY_POLICY_RULES' exceeded");
  });

  it('enforces the HTTPS proxy quota synchronously', async () => {
    const { c } = h;
    const ctx = h.t.emu.ctx;
    ctx.quotas.setLimit('global', 'TARGET_HTTPS_PROXIES', ctx.quotas.usage('global', 'TARGET_HTTPS_PROXIES'));
    await h.ok(c.sslCertificates.insert({ project: PROJECT, sslCertificateResource: { name: 'q-cert-ok', managed: { domains: ['q.example.com'] } } }));
    const body = await expectError(c.httpsProxies.insert({ project: PROJECT, targetHttpsProxyResource: { name: 'q-https', urlMap: 'global/urlMaps/q-map', sslCertificates: ['global/sslCertificates/q-cert-ok'] } }), 403, 'quotaExceeded');
    expect(body.message).toContain("Quota 'TARGET_HTTPS_PROXIES' exceeded");
  });
});

describe('self-managed SSL certificates', () => {
  it('parses the PEM for expiry and SANs, never returns the private key, and refuses garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ruvector-cert-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=self.example.com', '-addext', 'subjectAltName=DNS:self.example.com,DNS:www.self.example.com', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
      const certificate = readFileSync(join(dir, 'c.pem'), 'utf8');
      const privateKey = readFileSync(join(dir, 'k.pem'), 'utf8');
      await h.ok(h.c.sslCertificates.insert({ project: PROJECT, sslCertificateResource: { name: 'self-cert', certificate, privateKey } }));
      const [cert] = await h.c.sslCertificates.get({ project: PROJECT, sslCertificate: 'self-cert' });
      expect(cert.type).toBe('SELF_MANAGED');
      expect(cert.subjectAlternativeNames).toEqual(['self.example.com', 'www.self.example.com']);
      expect(Date.parse(cert.expireTime!)).toBeGreaterThan(Date.now());
      expect(cert.privateKey).toBeFalsy();
      await expectError(h.c.sslCertificates.insert({ project: PROJECT, sslCertificateResource: { name: 'bad-cert', certificate: 'not a cert', privateKey } }), 400, 'sslCertificateCouldNotParseCert');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
