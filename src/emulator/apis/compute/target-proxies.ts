import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { actionRoute, crudRoutes, defineKind, itemPath, resolveRef, userFields, type BuildArgs, type KindDef, type Res } from './shared/resource.js';
import { asArray, oneOf } from './shared/validate.js';

const URL_MAP_REF = [{ plural: 'urlMaps', scope: 'global' as const }];
const CERT_REF = [{ plural: 'sslCertificates', scope: 'global' as const }];
const SSL_POLICY_REF = [{ plural: 'sslPolicies', scope: 'global' as const }];

function certificates(value: unknown, field: string, a: BuildArgs): string[] {
  const list = asArray(value, field).map((c, i) => resolveRef(a.ctx, c, `${field}[${i}]`, a.loc, CERT_REF).link);
  if (list.length > 15) throw err.invalid(field, list.length, 'A target HTTPS proxy can reference at most 15 SSL certificates.');
  if (new Set(list).size !== list.length) throw err.invalid(field, '', 'Duplicate SSL certificate.');
  return list;
}

export const targetHttpsProxies = defineKind({
  plural: 'targetHttpsProxies',
  kind: 'compute#targetHttpsProxy',
  listKind: 'compute#targetHttpsProxyList',
  scope: 'global',
  noun: 'target_https_proxy',
  fingerprint: true,
  patch: true,
  quota: () => ({ scope: 'global', metric: 'TARGET_HTTPS_PROXIES' }),
  build(input, a) {
    const out: Res = {
      description: input.description,
      urlMap: resolveRef(a.ctx, input.urlMap, 'resource.urlMap', a.loc, URL_MAP_REF).link,
      quicOverride: oneOf(input.quicOverride, 'resource.quicOverride', ['NONE', 'ENABLE', 'DISABLE'], 'NONE'),
    };
    const certs = certificates(input.sslCertificates, 'resource.sslCertificates', a);
    if (!certs.length && !input.certificateMap) throw err.required('resource.sslCertificates');
    if (certs.length) out.sslCertificates = certs;
    if (input.certificateMap !== undefined) out.certificateMap = input.certificateMap;
    if (input.sslPolicy !== undefined && input.sslPolicy !== null && input.sslPolicy !== '') {
      out.sslPolicy = resolveRef(a.ctx, input.sslPolicy, 'resource.sslPolicy', a.loc, SSL_POLICY_REF).link;
    }
    for (const k of ['tlsEarlyData', 'httpKeepAliveTimeoutSec', 'serverTlsPolicy', 'authorizationPolicy', 'proxyBind']) if (input[k] !== undefined) out[k] = input[k];
    return out;
  },
});

export const targetHttpProxies = defineKind({
  plural: 'targetHttpProxies',
  kind: 'compute#targetHttpProxy',
  listKind: 'compute#targetHttpProxyList',
  scope: 'global',
  noun: 'target_http_proxy',
  fingerprint: true,
  patch: true,
  quota: () => ({ scope: 'global', metric: 'TARGET_HTTP_PROXIES' }),
  build(input, a) {
    const out: Res = { description: input.description, urlMap: resolveRef(a.ctx, input.urlMap, 'resource.urlMap', a.loc, URL_MAP_REF).link };
    for (const k of ['httpKeepAliveTimeoutSec', 'proxyBind']) if (input[k] !== undefined) out[k] = input[k];
    return out;
  },
});

/** `set*` calls re-run build over the current fields with one field replaced. */
function setField(def: KindDef, field: string, bodyField = field, allowEmpty = false) {
  return (cur: Res, body: Res, a: BuildArgs): Res => {
    const value = body[bodyField];
    if (!allowEmpty && (value === undefined || value === null || value === '')) throw err.required(bodyField);
    const input = { ...userFields(def, cur), [field]: value };
    if (allowEmpty && (value === undefined || value === null || value === '')) delete input[field];
    return def.build(input, a);
  };
}

export function targetProxyRoutes(): Route[] {
  // GCE quirk: setUrlMap and setSslCertificates live outside /global/.
  const legacy = (plural: string) => `/compute/v1/projects/{project}/${plural}/{name}`;
  const https = itemPath(targetHttpsProxies);
  return [
    ...crudRoutes(targetHttpsProxies),
    ...crudRoutes(targetHttpProxies),
    actionRoute(targetHttpsProxies, `${legacy('targetHttpsProxies')}/setUrlMap`, 'setUrlMap', setField(targetHttpsProxies, 'urlMap')),
    actionRoute(targetHttpsProxies, `${legacy('targetHttpsProxies')}/setSslCertificates`, 'setSslCertificates', setField(targetHttpsProxies, 'sslCertificates')),
    actionRoute(targetHttpsProxies, `${https}/setSslPolicy`, 'setSslPolicy', setField(targetHttpsProxies, 'sslPolicy', 'sslPolicy', true)),
    actionRoute(targetHttpsProxies, `${https}/setQuicOverride`, 'setQuicOverride', setField(targetHttpsProxies, 'quicOverride')),
    actionRoute(targetHttpProxies, `${legacy('targetHttpProxies')}/setUrlMap`, 'setUrlMap', setField(targetHttpProxies, 'urlMap')),
  ];
}
