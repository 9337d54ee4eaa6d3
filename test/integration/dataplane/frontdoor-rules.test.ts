/**
 * The front door's rule engines on their own: Cloud Armor evaluation order and rate limits,
 * the rules-language subset, the WAF signatures, URL map resolution and Cloud CDN TTLs.
 * (frontdoor.test.ts drives the same code through real listeners and services.)
 */
import { describe, expect, it } from 'vitest';
import { ArmorEnforcer, type ArmorPolicy } from '../../../src/emulator/dataplane/frontdoor/armor.js';
import { CdnCache, ttlFor } from '../../../src/emulator/dataplane/frontdoor/cdn.js';
import { compileExpr, type ExprRequest } from '../../../src/emulator/dataplane/frontdoor/expr.js';
import { redirectLocation, resolveRoute } from '../../../src/emulator/dataplane/frontdoor/urlmap.js';
import { detects } from '../../../src/emulator/dataplane/frontdoor/waf.js';

const req = (o: Partial<ExprRequest> = {}): ExprRequest => ({
  ip: '203.0.113.7', regionCode: 'FR', method: 'GET', path: '/api/v1/search', query: 'k=5', scheme: 'https', headers: {}, inspect: ['/api/v1/search', 'k=5'], ...o,
});

describe('Cloud Armor', () => {
  it('evaluates by priority, first match wins; preview rules do not enforce', () => {
    const armor = new ArmorEnforcer();
    const policy: ArmorPolicy = {
      name: 'p',
      rules: [
        { priority: 2147483647, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } },
        { priority: 50, action: 'deny(404)', preview: true, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } },
        { priority: 200, action: 'deny(403)', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/24'] } } },
        { priority: 100, action: 'allow', match: { expr: { expression: "request.headers['x-trusted'] == 'yes'" } } },
      ],
    };
    expect(armor.evaluate(policy, req())).toMatchObject({ allow: false, status: 403, rule: 200 });
    expect(armor.evaluate(policy, req({ headers: { 'x-trusted': 'yes' } }))).toMatchObject({ allow: true, rule: 100 });
    expect(armor.evaluate(policy, req({ ip: '198.51.100.1' }))).toMatchObject({ allow: true, rule: 2147483647 });
    expect(armor.evaluate(policy, req({ ip: '2001:db8::1' }))).toMatchObject({ allow: true });
  });

  it('throttle answers the exceed action while over; rate_based_ban keeps answering it for banDurationSec', () => {
    const armor = new ArmorEnforcer();
    const limit = (action: string, extra = {}): ArmorPolicy => ({
      name: action,
      rules: [{ priority: 10, action, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } }, rateLimitOptions: { conformAction: 'allow', exceedAction: 'deny(429)', enforceOnKey: 'IP', rateLimitThreshold: { count: 2, intervalSec: 10 }, ...extra } }],
    });
    const t0 = 1_000_000;
    const throttle = limit('throttle');
    expect([0, 1, 2].map((i) => armor.evaluate(throttle, req(), t0 + i).allow)).toEqual([true, true, false]);
    expect(armor.evaluate(throttle, req(), t0 + 10_000).allow).toBe(true); // next window
    const ban = limit('rate_based_ban', { banDurationSec: 60 });
    expect([0, 1, 2].map((i) => armor.evaluate(ban, req(), t0 + i).allow)).toEqual([true, true, false]);
    expect(armor.evaluate(ban, req(), t0 + 30_000)).toMatchObject({ allow: false, status: 429 }); // window over, still banned
    expect(armor.evaluate(ban, req({ ip: '203.0.113.8' }), t0 + 30_000).allow).toBe(true); // per IP
    expect(armor.evaluate(ban, req(), t0 + 61_000).allow).toBe(true); // ban over
    // With a banThreshold, exceeding the rate alone answers 429 without banning.
    const soft = limit('rate_based_ban', { banDurationSec: 60, banThreshold: { count: 100, intervalSec: 60 } });
    expect([0, 1, 2].map((i) => armor.evaluate(soft, req({ ip: '192.0.2.1' }), t0 + i).allow)).toEqual([true, true, false]);
    expect(armor.evaluate(soft, req({ ip: '192.0.2.1' }), t0 + 10_001).allow).toBe(true);
  });

  it('never matches an expression outside the local subset, and says so once', () => {
    const logs: string[] = [];
    const armor = new ArmorEnforcer((m) => logs.push(m));
    const policy: ArmorPolicy = { rules: [{ priority: 1, action: 'deny(403)', match: { expr: { expression: "token.recaptcha_session.score < 0.5" } } }] };
    expect(armor.evaluate(policy, req()).allow).toBe(true);
    expect(armor.evaluate(policy, req()).allow).toBe(true);
    expect(logs).toHaveLength(1);
  });
});

describe('the rules language subset', () => {
  it('evaluates region codes, ip ranges, headers, paths and boolean structure', () => {
    expect(compileExpr("origin.region_code in ['CN', 'RU', 'KP']")(req({ regionCode: 'KP' }))).toBe(true);
    expect(compileExpr("origin.region_code in ['CN', 'RU', 'KP']")(req())).toBe(false);
    expect(compileExpr("inIpRange(origin.ip, '203.0.113.0/24') && !request.path.startsWith('/health')")(req())).toBe(true);
    expect(compileExpr("inIpRange(origin.ip, '203.0.113.0/24') && !request.path.startsWith('/health')")(req({ path: '/health/ready' }))).toBe(false);
    expect(compileExpr("request.headers['user-agent'].contains('curl') || request.path.matches('^/admin')")(req({ path: '/admin/x' }))).toBe(true);
    expect(compileExpr("(origin.region_code == 'FR' || origin.region_code == 'DE') && request.method == 'GET'")(req())).toBe(true);
    expect(() => compileExpr("origin.region_code in ['CN'")).toThrow();
  });

  it('detects sqli and xss shapes and lets ordinary search parameters through', () => {
    for (const bad of ["1' OR '1'='1", 'id=1 UNION SELECT password FROM users', "x'; DROP TABLE users--", '1 AND 1=1', 'q=pg_sleep(5)', "admin'--", '%27%20OR%201%3D1--']) {
      expect(detects('sqli-stable', [bad]), bad).toBe(true);
    }
    for (const bad of ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'javascript:alert(1)', '%3Csvg%20onload%3Dalert(1)%3E']) {
      expect(detects('xss-v33-stable', [bad]), bad).toBe(true);
    }
    for (const ok of ['query_vector_id=doc-42&k=10&metric=cosine', 'collection=default&query_vector_id=1&k=5', '/api/v1/collections/products/points', "name=O'Brien"]) {
      expect(detects('sqli-stable', [ok]), ok).toBe(false);
      expect(detects('xss-stable', [ok]), ok).toBe(false);
    }
    expect(detects('lfi-stable', ['../../etc/passwd'])).toBe(false); // a set this stand-in does not know
  });
});

describe('URL maps', () => {
  const map = {
    defaultService: 'be-default',
    hostRules: [{ hosts: ['api.example.com'], pathMatcher: 'api' }, { hosts: ['*.example.com'], pathMatcher: 'wild' }],
    pathMatchers: [
      {
        name: 'api', defaultService: 'be-api',
        routeRules: [
          { priority: 2, matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'eu' }] }], service: 'be-eu' },
          { priority: 1, matchRules: [{ prefixMatch: '/v2/' }], routeAction: { weightedBackendServices: [{ backendService: 'be-v2a', weight: 1 }, { backendService: 'be-v2b', weight: 3 }], urlRewrite: { pathPrefixRewrite: '/' } } },
          { priority: 3, matchRules: [{ fullPathMatch: '/old' }], urlRedirect: { pathRedirect: '/new', redirectResponseCode: 'FOUND' } },
        ],
        pathRules: [{ paths: ['/static/*'], service: 'be-static' }, { paths: ['/static/img/*'], service: 'be-img' }],
      },
      { name: 'wild', defaultService: 'be-wild' },
    ],
  };
  const at = (host: string, path: string, headers: Record<string, string> = {}, r = 0.5) => resolveRoute(map, { host, path, query: '', headers }, () => r);

  it('picks host rule, then route rules by priority, then the longest path rule, then defaults', () => {
    expect(at('api.example.com:443', '/x', { 'x-client-region': 'eu' })).toMatchObject({ kind: 'service', service: 'be-eu' });
    expect(at('api.example.com', '/v2/search', { 'x-client-region': 'eu' })).toMatchObject({ service: 'be-v2b', path: '/search' }); // priority 1 first
    expect(at('api.example.com', '/v2/search', {}, 0.1)).toMatchObject({ service: 'be-v2a' });
    expect(at('api.example.com', '/static/img/a.png')).toMatchObject({ service: 'be-img' });
    expect(at('api.example.com', '/static/a.css')).toMatchObject({ service: 'be-static' });
    expect(at('api.example.com', '/other')).toMatchObject({ service: 'be-api' });
    expect(at('www.example.com', '/other')).toMatchObject({ service: 'be-wild' });
    expect(at('127.0.0.1', '/other')).toMatchObject({ service: 'be-default' });
    const old = at('api.example.com', '/old');
    expect(old.kind).toBe('redirect');
    if (old.kind === 'redirect') expect(redirectLocation(old.redirect, { origin: 'http://api.example.com', path: '/old', query: 'a=1' }, undefined)).toEqual({ status: 302, location: 'http://api.example.com/new?a=1' });
  });
});

describe('Cloud CDN', () => {
  const policy = { cacheMode: 'CACHE_ALL_STATIC', defaultTtl: 30, maxTtl: 300, clientTtl: 30, negativeCaching: true, negativeCachingPolicy: [{ code: 404, ttl: 60 }], cacheKeyPolicy: { queryStringWhitelist: ['query_vector_id', 'k', 'metric'] } };
  const res = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: Buffer.from('x') });

  it('keeps responses as the cache mode, origin headers and TTL caps say', () => {
    expect(ttlFor(policy, res(200, { 'cache-control': 'public, max-age=60' }))).toBe(60);
    expect(ttlFor(policy, res(200, { 'cache-control': 'public, max-age=3600' }))).toBe(300); // maxTtl
    expect(ttlFor(policy, res(200, { 'content-type': 'application/json' }))).toBeUndefined(); // dynamic, no headers
    expect(ttlFor(policy, res(200, { 'content-type': 'image/png' }))).toBe(30); // static: defaultTtl
    expect(ttlFor(policy, res(200, { 'cache-control': 'private, max-age=60' }))).toBeUndefined();
    expect(ttlFor(policy, res(200, { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' }))).toBeUndefined();
    expect(ttlFor(policy, res(404))).toBe(60);
    expect(ttlFor(policy, res(500))).toBeUndefined();
    expect(ttlFor({ ...policy, cacheMode: 'FORCE_CACHE_ALL' }, res(200, { 'cache-control': 'private' }))).toBe(30);
  });

  it('keys on the whitelisted query parameters only, and expires entries', () => {
    const cdn = new CdnCache();
    const key = (query: string, method = 'GET') => cdn.key('be', policy, { method, scheme: 'https', host: 'h', path: '/s', query, headers: {} });
    expect(key('k=5&query_vector_id=a&utm=1')).toBe(key('k=5&query_vector_id=a&utm=2'));
    expect(key('k=5&query_vector_id=a')).not.toBe(key('k=6&query_vector_id=a'));
    expect(key('k=5', 'POST')).toBeUndefined();
    const k = key('k=5')!;
    expect(cdn.store(k, policy, res(200, { 'cache-control': 'public, max-age=60' }), 0)).toBe('public, max-age=30'); // clientTtl
    expect(cdn.lookup(k, 59_000)?.age).toBe(59);
    expect(cdn.lookup(k, 60_000)).toBeUndefined();
  });
});
