import type { Route } from '../../core/types.js';
import { parseCidr } from './shared/cidr.js';
import { err } from './shared/errors.js';
import { crudRoutes, defineKind, resolveRef, type Res } from './shared/resource.js';
import { asArray, asRecord, bool, intIn, oneOf } from './shared/validate.js';

const NETWORK_REF = [{ plural: 'networks', scope: 'global' as const }];
const PROTOCOLS = ['tcp', 'udp', 'icmp', 'esp', 'ah', 'sctp', 'ipip', 'all'];
const PORTED = ['tcp', 'udp', 'sctp'];

function rules(value: unknown, field: string): Res[] {
  return asArray(value, field).map((raw, i) => {
    const f = `${field}[${i}]`;
    const r = asRecord(raw, f);
    const proto = String(r.IPProtocol ?? '').toLowerCase();
    const numeric = /^\d{1,3}$/.test(proto) && Number(proto) <= 255;
    if (!PROTOCOLS.includes(proto) && !numeric) throw err.invalid(`${f}.IPProtocol`, r.IPProtocol, `Must be one of [${PROTOCOLS.join(', ')}] or an IP protocol number.`);
    const ports = asArray(r.ports, `${f}.ports`).map((p, j) => {
      const s = String(p);
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
      if (!m || Number(m[1]) > 65535 || Number(m[2] ?? m[1]) > 65535 || Number(m[2] ?? m[1]) < Number(m[1])) throw err.invalid(`${f}.ports[${j}]`, s, 'Ports must be a number or a range like 1024-65535.');
      return s;
    });
    if (ports.length && !PORTED.includes(proto)) throw err.invalid(`${f}.ports`, ports.join(','), 'Ports can only be specified for tcp, udp and sctp.');
    return ports.length ? { IPProtocol: proto, ports } : { IPProtocol: proto };
  });
}

function ranges(value: unknown, field: string): string[] {
  return asArray(value, field).map((v, i) => {
    const s = String(v);
    const c = s.includes('/') ? parseCidr(s, false) : parseCidr(`${s}/32`, false);
    if (!c && !s.includes(':')) throw err.invalid(`${field}[${i}]`, s, 'Must be an IP address or CIDR range.');
    return s;
  });
}

export const firewalls = defineKind({
  plural: 'firewalls',
  kind: 'compute#firewall',
  listKind: 'compute#firewallList',
  scope: 'global',
  noun: 'firewall',
  patch: true,
  update: true,
  quota: () => ({ scope: 'global', metric: 'FIREWALLS' }),
  build(input, a) {
    const network = resolveRef(a.ctx, input.network ?? 'global/networks/default', 'resource.network', a.loc, NETWORK_REF);
    if (a.prev && a.prev.network !== network.link) throw err.invalid('resource.network', input.network, 'The network of a firewall rule cannot be changed.');
    const allowed = rules(input.allowed, 'resource.allowed');
    const denied = rules(input.denied, 'resource.denied');
    if ((allowed.length > 0) === (denied.length > 0)) throw err.badRequest("Exactly one of 'allowed' or 'denied' must be specified.", 'invalid');
    const direction = oneOf(input.direction, 'resource.direction', ['INGRESS', 'EGRESS'], a.prev ? String(a.prev.direction) as 'INGRESS' : 'INGRESS');
    if (a.prev && a.prev.direction !== direction) throw err.invalid('resource.direction', direction, 'The direction of a firewall rule cannot be changed.');
    const sourceRanges = ranges(input.sourceRanges, 'resource.sourceRanges');
    const destinationRanges = ranges(input.destinationRanges, 'resource.destinationRanges');
    const sourceTags = asArray(input.sourceTags, 'resource.sourceTags').map(String);
    const sourceServiceAccounts = asArray(input.sourceServiceAccounts, 'resource.sourceServiceAccounts').map(String);
    const targetTags = asArray(input.targetTags, 'resource.targetTags').map(String);
    const targetServiceAccounts = asArray(input.targetServiceAccounts, 'resource.targetServiceAccounts').map(String);
    if (direction === 'EGRESS' && (sourceTags.length || sourceServiceAccounts.length)) throw err.badRequest('Source tags and service accounts cannot be used with EGRESS firewall rules.', 'invalid');
    if (direction === 'INGRESS' && !sourceRanges.length && !sourceTags.length && !sourceServiceAccounts.length) {
      throw err.badRequest('For INGRESS traffic, one of sourceRanges, sourceTags or sourceServiceAccounts is required.', 'invalid');
    }
    if (direction === 'EGRESS' && !destinationRanges.length) destinationRanges.push('0.0.0.0/0');
    if (targetTags.length && targetServiceAccounts.length) throw err.badRequest('targetTags and targetServiceAccounts cannot both be set.', 'invalid');
    const out: Res = {
      description: input.description,
      network: network.link,
      priority: intIn(input.priority, 'resource.priority', 0, 65535, 1000),
      direction,
      disabled: bool(input.disabled, false),
      logConfig: { enable: bool(asRecord(input.logConfig, 'resource.logConfig').enable, false) },
    };
    if (allowed.length) out.allowed = allowed;
    if (denied.length) out.denied = denied;
    if (sourceRanges.length) out.sourceRanges = sourceRanges;
    if (destinationRanges.length) out.destinationRanges = destinationRanges;
    if (sourceTags.length) out.sourceTags = sourceTags;
    if (sourceServiceAccounts.length) out.sourceServiceAccounts = sourceServiceAccounts;
    if (targetTags.length) out.targetTags = targetTags;
    if (targetServiceAccounts.length) out.targetServiceAccounts = targetServiceAccounts;
    const log = asRecord(input.logConfig, 'resource.logConfig');
    if (log.enable === true) (out.logConfig as Res).metadata = oneOf(log.metadata, 'resource.logConfig.metadata', ['INCLUDE_ALL_METADATA', 'EXCLUDE_ALL_METADATA'], 'INCLUDE_ALL_METADATA');
    return out;
  },
});

export function firewallRoutes(): Route[] {
  return crudRoutes(firewalls);
}
