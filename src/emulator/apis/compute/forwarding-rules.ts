import type { EmulatorContext, Route } from '../../core/types.js';
import { allocateExternalIp } from './addresses.js';
import { ipToInt } from './shared/cidr.js';
import { err } from './shared/errors.js';
import { keyOf, link, pluralOf } from './shared/links.js';
import { actionRoute, collectionFor, crudRoutes, defineKind, itemPath, resolveRef, userFields, type BuildArgs, type Res } from './shared/resource.js';
import { oneOf } from './shared/validate.js';
import { urlMapScheme } from './url-maps.js';

const TARGET_REF = ['targetHttpsProxies', 'targetHttpProxies', 'targetSslProxies', 'targetTcpProxies', 'targetGrpcProxies'].map((plural) => ({ plural, scope: 'global' as const }));
const ADDRESS_REF = [{ plural: 'addresses', scope: 'global' as const }];

function portRange(value: unknown, targetPlural: string): string {
  const s = String(value ?? '');
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) throw err.invalid('resource.portRange', value, "Must be a port or a range such as '443' or '443-443'.");
  const lo = Number(m[1]);
  const hi = Number(m[2] ?? m[1]);
  if (lo < 1 || hi > 65535 || hi < lo) throw err.invalid('resource.portRange', value, 'Ports must be between 1 and 65535.');
  if ((targetPlural === 'targetHttpsProxies' || targetPlural === 'targetHttpProxies') && lo !== hi) {
    throw err.invalid('resource.portRange', value, 'Forwarding rules to target HTTP(S) proxies take a single port.');
  }
  return `${lo}-${hi}`;
}

/** The scheme the proxy's URL map serves with, which the forwarding rule must match. */
function targetScheme(ctx: EmulatorContext, target: Res): string | undefined {
  if (typeof target.urlMap !== 'string') return undefined;
  const um = collectionFor(ctx, 'urlMaps').peek(keyOf(target.urlMap));
  return um ? urlMapScheme(ctx, um) : undefined;
}

function resolveAddress(value: unknown, a: BuildArgs, ipVersion: string): { ip: string; address?: string } {
  if (value === undefined || value === null || value === '') {
    if (a.prev?.IPAddress) return { ip: String(a.prev.IPAddress), ...(a.prev._address ? { address: String(a.prev._address) } : {}) };
    return { ip: allocateExternalIp(a.ctx, a.loc.project, ipVersion === 'IPV6' ? 'IPV6' : 'IPV4') };
  }
  const s = String(value);
  if (ipToInt(s) !== undefined || (s.includes(':') && !s.includes('/'))) {
    if (a.prev?.IPAddress === s && a.prev._address) return { ip: s, address: String(a.prev._address) };
    const reserved = collectionFor(a.ctx, 'addresses').peekAll(`projects/${a.loc.project}/global/`).find((r) => r.address === s);
    if (!reserved) throw err.invalid('resource.IPAddress', s, 'The IP address is not reserved in this project; reserve it as a global address first.');
    return { ip: s, address: String(reserved.selfLink) };
  }
  const ref = resolveRef(a.ctx, s, 'resource.IPAddress', a.loc, ADDRESS_REF);
  if (ref.res.addressType === 'INTERNAL') throw err.invalid('resource.IPAddress', s, 'An INTERNAL address cannot front a global external load balancer.');
  return { ip: String(ref.res.address), address: ref.link };
}

export const globalForwardingRules = defineKind({
  plural: 'forwardingRules',
  kind: 'compute#forwardingRule',
  listKind: 'compute#forwardingRuleList',
  scope: 'global',
  noun: 'forwarding_rule',
  fingerprint: true,
  labels: true,
  patch: true,
  outputOnly: ['selfLinkWithId', 'pscConnectionId', 'pscConnectionStatus', 'serviceName', 'baseForwardingRule'],
  quota: (res) => ({ scope: 'global', metric: res.loadBalancingScheme === 'EXTERNAL_MANAGED' ? 'GLOBAL_EXTERNAL_MANAGED_FORWARDING_RULES' : 'FORWARDING_RULES' }),
  build(input, a) {
    const scheme = oneOf(input.loadBalancingScheme, 'resource.loadBalancingScheme', ['EXTERNAL', 'EXTERNAL_MANAGED', 'INTERNAL_SELF_MANAGED'], 'EXTERNAL');
    if (a.prev && a.prev.loadBalancingScheme !== scheme) throw err.invalid('resource.loadBalancingScheme', scheme, 'The load balancing scheme of a forwarding rule cannot be changed.');
    const target = resolveRef(a.ctx, input.target, 'resource.target', a.loc, TARGET_REF);
    const servedScheme = targetScheme(a.ctx, target.res);
    if (servedScheme && servedScheme !== scheme) {
      throw err.invalid('resource.loadBalancingScheme', scheme, `The load balancing scheme of the forwarding rule must match that of the backend services behind target '${target.key}' (${servedScheme}).`);
    }
    const IPProtocol = oneOf(input.IPProtocol, 'resource.IPProtocol', ['TCP', 'UDP', 'ESP', 'AH', 'SCTP', 'ICMP', 'L3_DEFAULT'], 'TCP');
    const ports = portRange(input.portRange ?? (pluralOf(target.key) === 'targetHttpsProxies' ? '443' : '80'), pluralOf(target.key));
    const ipVersion = oneOf(input.ipVersion, 'resource.ipVersion', ['IPV4', 'IPV6'], 'IPV4');
    const addr = resolveAddress(input.IPAddress, a, ipVersion);
    const self = link(a.key);
    const clash = collectionFor(a.ctx, 'forwardingRules')
      .peekAll(`projects/${a.loc.project}/global/`)
      .find((f) => f.selfLink !== self && f.IPAddress === addr.ip && f.IPProtocol === IPProtocol && rangesOverlap(String(f.portRange), ports));
    if (clash) throw err.invalid('resource.IPAddress', addr.ip, `Specified IP address is in-use and would result in a conflict with forwarding rule '${String(clash.name)}'.`);
    const out: Res = {
      description: input.description,
      IPAddress: addr.ip,
      IPProtocol,
      portRange: ports,
      target: target.link,
      loadBalancingScheme: scheme,
      networkTier: oneOf(input.networkTier, 'resource.networkTier', ['PREMIUM'], 'PREMIUM'),
      ipVersion: addr.ip.includes(':') ? 'IPV6' : ipVersion,
    };
    if (addr.address) out._address = addr.address;
    for (const k of ['metadataFilters', 'allowGlobalAccess', 'sourceIpRanges', 'noAutomateDnsZone']) if (input[k] !== undefined) out[k] = input[k];
    return out;
  },
});

function rangesOverlap(a: string, b: string): boolean {
  const [a1, a2] = a.split('-').map(Number) as [number, number];
  const [b1, b2] = b.split('-').map(Number) as [number, number];
  return a1 <= b2 && b1 <= a2;
}

export function forwardingRuleRoutes(): Route[] {
  return [
    ...crudRoutes(globalForwardingRules),
    actionRoute(globalForwardingRules, `${itemPath(globalForwardingRules)}/setTarget`, 'setTarget', (cur, body, a) => {
      if (!body.target) throw err.required('target');
      return globalForwardingRules.build({ ...userFields(globalForwardingRules, cur), target: body.target }, a);
    }),
  ];
}
