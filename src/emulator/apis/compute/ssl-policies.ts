import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { crudRoutes, defineKind, type Res } from './shared/resource.js';
import { asArray, oneOf } from './shared/validate.js';

/** The TLS features GCE's load balancers know (sslPolicies.listAvailableFeatures). */
const FEATURES = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  'TLS_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
];
const MODERN = FEATURES.slice(0, 13);
const RESTRICTED = FEATURES.slice(0, 9);

function enabledFeatures(profile: string, custom: string[]): string[] {
  if (profile === 'CUSTOM') return [...custom].sort();
  if (profile === 'RESTRICTED') return [...RESTRICTED].sort();
  if (profile === 'MODERN') return [...MODERN].sort();
  return [...FEATURES].sort();
}

export const sslPolicies = defineKind({
  plural: 'sslPolicies',
  kind: 'compute#sslPolicy',
  listKind: 'compute#sslPoliciesList',
  scope: 'global',
  noun: 'ssl_policy',
  fingerprint: true,
  patch: true,
  outputOnly: ['enabledFeatures', 'warnings'],
  quota: () => ({ scope: 'global', metric: 'SSL_POLICIES' }),
  build(input) {
    const profile = oneOf(input.profile, 'resource.profile', ['COMPATIBLE', 'MODERN', 'RESTRICTED', 'CUSTOM', 'FIPS_202205'], 'COMPATIBLE');
    const minTlsVersion = oneOf(input.minTlsVersion, 'resource.minTlsVersion', ['TLS_1_0', 'TLS_1_1', 'TLS_1_2', 'TLS_1_3'], 'TLS_1_0');
    const custom = asArray(input.customFeatures, 'resource.customFeatures').map(String);
    if (profile === 'CUSTOM' && !custom.length) throw err.required('resource.customFeatures');
    if (profile !== 'CUSTOM' && custom.length) throw err.invalid('resource.customFeatures', custom.join(','), 'customFeatures can only be set with profile CUSTOM.');
    for (const f of custom) if (!FEATURES.includes(f)) throw err.invalid('resource.customFeatures', f, 'Unknown SSL feature.');
    const out: Res = { description: input.description, profile, minTlsVersion, enabledFeatures: enabledFeatures(profile, custom) };
    if (custom.length) out.customFeatures = custom;
    return out;
  },
});

export function sslPolicyRoutes(): Route[] {
  return [
    ...crudRoutes(sslPolicies),
    {
      method: 'GET', path: '/compute/v1/projects/{project}/global/sslPolicies/listAvailableFeatures', style: 'compute', api: 'compute',
      handler: () => ({ body: { features: [...FEATURES].sort() } }),
    },
  ];
}
