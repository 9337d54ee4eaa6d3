import type { Route } from '../../core/types.js';
import { contains, forbiddenForVpc, intToIp, overlaps, parseCidr, type Cidr } from './shared/cidr.js';
import { err } from './shared/errors.js';
import { usedRanges } from './shared/ranges.js';
import { actionRoute, crudRoutes, defineKind, itemPath, resolveRef, userFields, type BuildArgs, type Res } from './shared/resource.js';
import { asArray, asRecord, bool, checkName, numIn, oneOf } from './shared/validate.js';

const NETWORK_REF = [{ plural: 'networks', scope: 'global' as const }];

function cidrField(value: unknown, field: string): Cidr {
  if (typeof value !== 'string' || value === '') throw err.required(field);
  const c = parseCidr(value, true);
  if (!c) throw err.invalid(field, value, 'Invalid IPCidrRange: the range must be an IPv4 CIDR block whose host bits are zero.');
  if (c.prefix < 8 || c.prefix > 29) throw err.invalid(field, value, 'IPv4 subnet ranges must have a prefix length between /8 and /29.');
  if (forbiddenForVpc(c)) throw err.invalid(field, value, 'The range is reserved and cannot be used in a VPC network.');
  return c;
}

function logConfigOf(input: Res): Res | undefined {
  const raw = input.logConfig === undefined ? (input.enableFlowLogs === true ? { enable: true } : undefined) : asRecord(input.logConfig, 'resource.logConfig');
  if (!raw) return undefined;
  const out: Res = { ...raw };
  if (raw.enable === true || (raw.enable === undefined && input.enableFlowLogs === true)) {
    out.enable = true;
    out.aggregationInterval = oneOf(raw.aggregationInterval, 'resource.logConfig.aggregationInterval', ['INTERVAL_5_SEC', 'INTERVAL_30_SEC', 'INTERVAL_1_MIN', 'INTERVAL_5_MIN', 'INTERVAL_10_MIN', 'INTERVAL_15_MIN'], 'INTERVAL_5_SEC');
    out.flowSampling = numIn(raw.flowSampling, 'resource.logConfig.flowSampling', 0, 1, 0.5);
    out.metadata = oneOf(raw.metadata, 'resource.logConfig.metadata', ['INCLUDE_ALL_METADATA', 'EXCLUDE_ALL_METADATA', 'CUSTOM_METADATA'], 'INCLUDE_ALL_METADATA');
    if (raw.metadataFields !== undefined && out.metadata !== 'CUSTOM_METADATA') {
      throw err.invalid('resource.logConfig.metadataFields', raw.metadataFields, 'metadataFields can only be set with metadata CUSTOM_METADATA.');
    }
  }
  return out;
}

/** A new range must not overlap its own subnet's other ranges nor anything else in the network. */
function checkOverlaps(ranges: { cidr: Cidr; field: string }[], networkLink: string, a: BuildArgs): void {
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (overlaps(ranges[i]!.cidr, ranges[j]!.cidr)) {
        throw err.invalid(ranges[j]!.field, ranges[j]!.cidr.text, `Invalid IPCidrRange: ${ranges[j]!.cidr.text} conflicts with ${ranges[i]!.cidr.text} in the same subnetwork.`);
      }
    }
  }
  const used = usedRanges(a.ctx, networkLink, a.key);
  for (const r of ranges) {
    const clash = used.find((u) => overlaps(u.cidr, r.cidr));
    if (clash) throw err.invalid(r.field, r.cidr.text, `Invalid IPCidrRange: ${r.cidr.text} conflicts with ${clash.owner}.`);
  }
}

export const subnetworks = defineKind({
  plural: 'subnetworks',
  kind: 'compute#subnetwork',
  listKind: 'compute#subnetworkList',
  scope: 'regional',
  noun: 'subnetwork',
  fingerprint: true,
  patch: true,
  outputOnly: ['gatewayAddress', 'state', 'internalIpv6Prefix', 'externalIpv6Prefix', 'systemReservedInternalIpv6Ranges', 'systemReservedExternalIpv6Ranges', 'utilizationDetails'],
  quota: () => ({ scope: 'global', metric: 'SUBNETWORKS' }),
  quotaInOperation: true,
  build(input, a) {
    const network = resolveRef(a.ctx, input.network, 'resource.network', a.loc, NETWORK_REF);
    if (a.prev && a.prev.network !== network.link) throw err.invalid('resource.network', input.network, 'The network of a subnetwork cannot be changed.');
    const primary = cidrField(input.ipCidrRange, 'resource.ipCidrRange');
    if (a.prev && a.prev.ipCidrRange !== primary.text && a.mode !== 'set') {
      throw err.invalid('resource.ipCidrRange', input.ipCidrRange, 'The primary range can only be changed with expandIpCidrRange.');
    }
    const secondaries = asArray(input.secondaryIpRanges, 'resource.secondaryIpRanges').map((raw, i) => {
      const r = asRecord(raw, `resource.secondaryIpRanges[${i}]`);
      return { ...r, rangeName: checkName(r.rangeName, `resource.secondaryIpRanges[${i}].rangeName`), ipCidrRange: cidrField(r.ipCidrRange, `resource.secondaryIpRanges[${i}].ipCidrRange`).text };
    });
    if (secondaries.length > 170) throw err.invalid('resource.secondaryIpRanges', secondaries.length, 'A subnetwork can have at most 170 secondary ranges.');
    const names = new Set<string>();
    for (const s of secondaries) {
      if (names.has(s.rangeName)) throw err.invalid('resource.secondaryIpRanges', s.rangeName, 'Secondary range names must be unique within a subnetwork.');
      names.add(s.rangeName);
    }
    checkOverlaps(
      [{ cidr: primary, field: 'resource.ipCidrRange' }, ...secondaries.map((s, i) => ({ cidr: parseCidr(s.ipCidrRange)!, field: `resource.secondaryIpRanges[${i}].ipCidrRange` }))],
      network.link,
      a,
    );
    const purpose = oneOf(input.purpose, 'resource.purpose', ['PRIVATE', 'PRIVATE_RFC_1918', 'REGIONAL_MANAGED_PROXY', 'GLOBAL_MANAGED_PROXY', 'PRIVATE_SERVICE_CONNECT', 'PRIVATE_NAT'], 'PRIVATE');
    const out: Res = {
      description: input.description,
      network: network.link,
      ipCidrRange: primary.text,
      gatewayAddress: intToIp(primary.base + 1),
      privateIpGoogleAccess: bool(input.privateIpGoogleAccess, false),
      privateIpv6GoogleAccess: oneOf(input.privateIpv6GoogleAccess, 'resource.privateIpv6GoogleAccess', ['DISABLE_GOOGLE_ACCESS', 'ENABLE_BIDIRECTIONAL_ACCESS_TO_GOOGLE', 'ENABLE_OUTBOUND_VM_ACCESS_TO_GOOGLE'], 'DISABLE_GOOGLE_ACCESS'),
      purpose,
      stackType: oneOf(input.stackType, 'resource.stackType', ['IPV4_ONLY', 'IPV4_IPV6', 'IPV6_ONLY'], 'IPV4_ONLY'),
    };
    if (secondaries.length) out.secondaryIpRanges = secondaries;
    const log = logConfigOf(input);
    if (log) out.logConfig = log;
    if (purpose === 'REGIONAL_MANAGED_PROXY' || purpose === 'GLOBAL_MANAGED_PROXY') {
      out.role = oneOf(input.role, 'resource.role', ['ACTIVE', 'BACKUP'], 'ACTIVE');
      out.state = 'READY';
    }
    return out;
  },
});

export function subnetworkRoutes(): Route[] {
  const item = itemPath(subnetworks);
  return [
    ...crudRoutes(subnetworks),
    actionRoute(subnetworks, `${item}/expandIpCidrRange`, 'expandIpCidrRange', (cur, body, a) => {
      const next = cidrField(body.ipCidrRange, 'ipCidrRange');
      const old = parseCidr(String(cur.ipCidrRange))!;
      if (!(contains(next, old) && next.prefix < old.prefix)) {
        throw err.invalid('ipCidrRange', body.ipCidrRange, `The new range must be larger than and contain the current range ${old.text}.`);
      }
      return subnetworks.build({ ...userFields(subnetworks, cur), ipCidrRange: next.text }, a);
    }),
    actionRoute(subnetworks, `${item}/setPrivateIpGoogleAccess`, 'setPrivateIpGoogleAccess', (cur, body, a) => {
      if (typeof body.privateIpGoogleAccess !== 'boolean') throw err.required('privateIpGoogleAccess');
      return subnetworks.build({ ...userFields(subnetworks, cur), privateIpGoogleAccess: body.privateIpGoogleAccess }, a);
    }),
  ];
}
