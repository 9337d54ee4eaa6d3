import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { pluralOf, resourceKey } from './shared/links.js';
import { actionRoute, collectionFor, crudRoutes, defineKind, itemPath, locOf, resolveRef, userFields, type Res } from './shared/resource.js';
import { asArray, asRecord, bool, intIn, numIn, oneOf } from './shared/validate.js';

const GROUP_REF = [
  { plural: 'networkEndpointGroups', scope: 'regional' as const },
  { plural: 'networkEndpointGroups', scope: 'zonal' as const },
  { plural: 'instanceGroups', scope: 'zonal' as const },
  { plural: 'instanceGroups', scope: 'regional' as const },
  { plural: 'networkEndpointGroups', scope: 'global' as const },
];
const HC_REF = [{ plural: 'healthChecks', scope: 'global' as const }];
const POLICY_REF = [{ plural: 'securityPolicies', scope: 'global' as const }];
/** Status codes GCE lets Cloud CDN cache negatively (BackendServiceCdnPolicy.negativeCachingPolicy). */
const NEGATIVE_CODES = [300, 301, 302, 307, 308, 404, 405, 410, 421, 451, 501];
const MAX_TTL = 31622400;

function cdnPolicyOf(raw: Res, enableCDN: boolean): Res | undefined {
  if (!enableCDN && Object.keys(raw).length === 0) return undefined;
  const f = 'resource.cdnPolicy';
  const cacheMode = oneOf(raw.cacheMode, `${f}.cacheMode`, ['CACHE_ALL_STATIC', 'USE_ORIGIN_HEADERS', 'FORCE_CACHE_ALL'], 'CACHE_ALL_STATIC');
  const out: Res = { ...raw, cacheMode };
  if (cacheMode === 'USE_ORIGIN_HEADERS') {
    for (const t of ['defaultTtl', 'maxTtl', 'clientTtl']) {
      if (raw[t] !== undefined) throw err.invalid(`${f}.${t}`, raw[t], `${t} cannot be specified with cache mode USE_ORIGIN_HEADERS.`);
    }
  } else {
    if (cacheMode === 'FORCE_CACHE_ALL' && raw.maxTtl !== undefined) throw err.invalid(`${f}.maxTtl`, raw.maxTtl, 'maxTtl cannot be specified with cache mode FORCE_CACHE_ALL.');
    out.defaultTtl = intIn(raw.defaultTtl, `${f}.defaultTtl`, 0, MAX_TTL, 3600);
    out.clientTtl = intIn(raw.clientTtl, `${f}.clientTtl`, 0, MAX_TTL, Math.min(3600, Number(out.defaultTtl)));
    if (cacheMode === 'CACHE_ALL_STATIC') {
      out.maxTtl = intIn(raw.maxTtl, `${f}.maxTtl`, 0, MAX_TTL, 86400);
      if (Number(out.defaultTtl) > Number(out.maxTtl)) throw err.invalid(`${f}.defaultTtl`, out.defaultTtl, 'defaultTtl must be less than or equal to maxTtl.');
      if (Number(out.clientTtl) > Number(out.maxTtl)) throw err.invalid(`${f}.clientTtl`, out.clientTtl, 'clientTtl must be less than or equal to maxTtl.');
    }
  }
  out.negativeCaching = bool(raw.negativeCaching, false);
  const policies = asArray(raw.negativeCachingPolicy, `${f}.negativeCachingPolicy`);
  if (policies.length && !out.negativeCaching) throw err.invalid(`${f}.negativeCachingPolicy`, '', 'negativeCachingPolicy requires negativeCaching to be enabled.');
  const seen = new Set<number>();
  out.negativeCachingPolicy = policies.map((p, i) => {
    const r = asRecord(p, `${f}.negativeCachingPolicy[${i}]`);
    const code = Number(r.code);
    if (!NEGATIVE_CODES.includes(code)) throw err.invalid(`${f}.negativeCachingPolicy[${i}].code`, r.code, `Code must be one of [${NEGATIVE_CODES.join(', ')}].`);
    if (seen.has(code)) throw err.invalid(`${f}.negativeCachingPolicy[${i}].code`, code, 'Each status code can be specified only once.');
    seen.add(code);
    return { code, ttl: intIn(r.ttl, `${f}.negativeCachingPolicy[${i}].ttl`, 0, 1800) };
  });
  if (!policies.length) delete out.negativeCachingPolicy;
  const ckp = asRecord(raw.cacheKeyPolicy, `${f}.cacheKeyPolicy`);
  const cacheKeyPolicy: Res = {
    ...ckp,
    includeProtocol: bool(ckp.includeProtocol, true),
    includeHost: bool(ckp.includeHost, true),
    includeQueryString: bool(ckp.includeQueryString, true),
  };
  const allow = asArray(ckp.queryStringWhitelist, `${f}.cacheKeyPolicy.queryStringWhitelist`);
  const deny = asArray(ckp.queryStringBlacklist, `${f}.cacheKeyPolicy.queryStringBlacklist`);
  if (allow.length && deny.length) throw err.invalid(`${f}.cacheKeyPolicy`, '', 'queryStringWhitelist and queryStringBlacklist cannot both be set.');
  if ((allow.length || deny.length) && !cacheKeyPolicy.includeQueryString) {
    throw err.invalid(`${f}.cacheKeyPolicy.includeQueryString`, false, 'Query string lists require includeQueryString to be true.');
  }
  out.cacheKeyPolicy = cacheKeyPolicy;
  out.signedUrlCacheMaxAgeSec = String(raw.signedUrlCacheMaxAgeSec ?? '3600');
  out.serveWhileStale = intIn(raw.serveWhileStale, `${f}.serveWhileStale`, 0, 86400, 0);
  out.requestCoalescing = bool(raw.requestCoalescing, true);
  return out;
}

export const backendServices = defineKind({
  plural: 'backendServices',
  kind: 'compute#backendService',
  listKind: 'compute#backendServiceList',
  scope: 'global',
  noun: 'backend_service',
  fingerprint: true,
  patch: true,
  update: true,
  // Attached with setSecurityPolicy / setEdgeSecurityPolicy only.
  outputOnly: ['securityPolicy', 'edgeSecurityPolicy', 'usedBy'],
  quota: () => ({ scope: 'global', metric: 'BACKEND_SERVICES' }),
  build(input, a) {
    const scheme = oneOf(input.loadBalancingScheme, 'resource.loadBalancingScheme', ['EXTERNAL', 'EXTERNAL_MANAGED', 'INTERNAL_MANAGED', 'INTERNAL_SELF_MANAGED'], 'EXTERNAL');
    if (a.prev && a.prev.loadBalancingScheme !== scheme && a.mode !== 'set') {
      throw err.invalid('resource.loadBalancingScheme', scheme, 'The load balancing scheme of a backend service cannot be changed.');
    }
    const groups = new Set<string>();
    let serverless = false;
    const backends = asArray(input.backends, 'resource.backends').map((raw, i) => {
      const f = `resource.backends[${i}]`;
      const b = asRecord(raw, f);
      const ref = resolveRef(a.ctx, b.group, `${f}.group`, a.loc, GROUP_REF);
      if (groups.has(ref.key)) throw err.invalid(`${f}.group`, b.group, 'Duplicate backend group.');
      groups.add(ref.key);
      if (pluralOf(ref.key) === 'networkEndpointGroups' && ref.res.networkEndpointType === 'SERVERLESS') serverless = true;
      const out: Res = {
        ...b,
        group: ref.link,
        balancingMode: oneOf(b.balancingMode, `${f}.balancingMode`, ['UTILIZATION', 'RATE', 'CONNECTION', 'CUSTOM_METRICS', 'IN_FLIGHT'], 'UTILIZATION'),
        capacityScaler: numIn(b.capacityScaler, `${f}.capacityScaler`, 0, 1, 1),
      };
      if (b.maxUtilization !== undefined) out.maxUtilization = numIn(b.maxUtilization, `${f}.maxUtilization`, 0, 1);
      return out;
    });
    const healthChecks = asArray(input.healthChecks, 'resource.healthChecks').map((h, i) => resolveRef(a.ctx, h, `resource.healthChecks[${i}]`, a.loc, HC_REF).link);
    if (healthChecks.length > 1) throw err.invalid('resource.healthChecks', healthChecks.length, 'A backend service can have at most one health check.');
    if (serverless && healthChecks.length) {
      throw err.invalid('resource.healthChecks', input.healthChecks, 'A backend service cannot have a healthcheck with Serverless network endpoint group backends.');
    }
    const enableCDN = bool(input.enableCDN, false);
    const log = asRecord(input.logConfig, 'resource.logConfig');
    const out: Res = {
      description: input.description,
      backends,
      protocol: oneOf(input.protocol, 'resource.protocol', ['HTTP', 'HTTPS', 'HTTP2', 'TCP', 'SSL', 'UDP', 'GRPC', 'H2C', 'UNSPECIFIED'], 'HTTP'),
      portName: input.portName ?? 'http',
      port: intIn(input.port, 'resource.port', 1, 65535, 80),
      timeoutSec: intIn(input.timeoutSec, 'resource.timeoutSec', 1, 2147483647, 30),
      loadBalancingScheme: scheme,
      sessionAffinity: oneOf(input.sessionAffinity, 'resource.sessionAffinity', ['NONE', 'CLIENT_IP', 'CLIENT_IP_PROTO', 'CLIENT_IP_PORT_PROTO', 'CLIENT_IP_NO_DESTINATION', 'GENERATED_COOKIE', 'HEADER_FIELD', 'HTTP_COOKIE', 'STRONG_COOKIE_AFFINITY'], 'NONE'),
      affinityCookieTtlSec: intIn(input.affinityCookieTtlSec, 'resource.affinityCookieTtlSec', 0, 1209600, 0),
      connectionDraining: { drainingTimeoutSec: intIn(asRecord(input.connectionDraining, 'resource.connectionDraining').drainingTimeoutSec, 'resource.connectionDraining.drainingTimeoutSec', 0, 3600, 300) },
      enableCDN,
    };
    if (!backends.length) delete out.backends;
    if (healthChecks.length) out.healthChecks = healthChecks;
    const cdn = cdnPolicyOf(asRecord(input.cdnPolicy, 'resource.cdnPolicy'), enableCDN);
    if (cdn) out.cdnPolicy = cdn;
    if (input.logConfig !== undefined) {
      out.logConfig = { ...log, enable: bool(log.enable, false) };
      if (log.enable === true) (out.logConfig as Res).sampleRate = numIn(log.sampleRate, 'resource.logConfig.sampleRate', 0, 1, 1);
    }
    for (const k of ['iap', 'customRequestHeaders', 'customResponseHeaders', 'compressionMode', 'localityLbPolicy', 'outlierDetection', 'circuitBreakers', 'consistentHash', 'securitySettings', 'maxStreamDuration']) {
      if (input[k] !== undefined) out[k] = input[k];
    }
    if (a.prev?.securityPolicy) out.securityPolicy = a.prev.securityPolicy;
    if (a.prev?.edgeSecurityPolicy) out.edgeSecurityPolicy = a.prev.edgeSecurityPolicy;
    return out;
  },
  derive(res, ctx) {
    const usedBy = collectionFor(ctx, 'urlMaps')
      .peekAll()
      .filter((u) => JSON.stringify(u).includes(`"${String(res.selfLink)}"`))
      .map((u) => ({ reference: u.selfLink }));
    if (usedBy.length) res.usedBy = usedBy;
    return res;
  },
});

export function backendServiceRoutes(): Route[] {
  const item = itemPath(backendServices);
  const attach = (field: 'securityPolicy' | 'edgeSecurityPolicy', type: string) => (cur: Res, body: Res, a: Parameters<typeof backendServices.build>[1]) => {
    const next: Res = { ...backendServices.build(userFields(backendServices, cur), a) };
    delete next[field];
    const value = body.securityPolicy;
    if (value !== undefined && value !== null && value !== '') {
      const ref = resolveRef(a.ctx, value, 'securityPolicy', a.loc, POLICY_REF);
      if ((ref.res.type ?? 'CLOUD_ARMOR') !== type) throw err.invalid('securityPolicy', value, `Only a security policy of type ${type} can be attached here.`);
      next[field] = ref.link;
    }
    return next;
  };
  return [
    ...crudRoutes(backendServices),
    actionRoute(backendServices, `${item}/setSecurityPolicy`, 'setSecurityPolicy', attach('securityPolicy', 'CLOUD_ARMOR')),
    actionRoute(backendServices, `${item}/setEdgeSecurityPolicy`, 'setEdgeSecurityPolicy', attach('edgeSecurityPolicy', 'CLOUD_ARMOR_EDGE')),
    {
      method: 'POST', path: `${item}/getHealth`, style: 'compute', api: 'compute',
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const key = resourceKey(loc.project, undefined, 'backendServices', req.params.name!);
        const res = collectionFor(ctx, 'backendServices').get(key);
        if (!res) throw err.notFound(key);
        const body = asRecord(req.body, 'resourceGroupReference');
        const group = resolveRef(ctx, body.group, 'resourceGroupReference.group', loc, GROUP_REF);
        const backends = (res.backends as Res[] | undefined) ?? [];
        if (!backends.some((b) => b.group === group.link)) {
          throw err.invalid('resourceGroupReference.group', body.group, 'The group is not a backend of this backend service.');
        }
        // Serverless NEGs report no per-endpoint health; GCE answers with an empty status list.
        return { body: { kind: 'compute#backendServiceGroupHealth' } };
      },
    },
  ];
}
