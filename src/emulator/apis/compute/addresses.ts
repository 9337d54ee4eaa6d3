import type { EmulatorContext, Route } from '../../core/types.js';
import { allocate, intToIp, ipToInt, overlaps, parseCidr } from './shared/cidr.js';
import { err } from './shared/errors.js';
import { hex } from './shared/ids.js';
import { usedRanges } from './shared/ranges.js';
import { link } from './shared/links.js';
import { collectionFor, crudRoutes, defineKind, findUsers, render, resolveRef, type Res } from './shared/resource.js';
import { intIn, oneOf } from './shared/validate.js';

const NETWORK_REF = [{ plural: 'networks', scope: 'global' as const }];
const SUBNET_REF = [{ plural: 'subnetworks', scope: 'regional' as const }];

/** Every external IP the emulator has handed out in a project (addresses and ephemeral forwarding-rule IPs). */
function externalIpsInUse(ctx: EmulatorContext, project: string): Set<string> {
  const out = new Set<string>();
  for (const a of collectionFor(ctx, 'addresses').peekAll(`projects/${project}/`)) if (a.addressType !== 'INTERNAL') out.add(String(a.address));
  for (const f of collectionFor(ctx, 'forwardingRules').peekAll(`projects/${project}/`)) out.add(String(f.IPAddress));
  return out;
}

/** A fresh address from Google's global anycast space (34.96.0.0/11), or an IPv6 /64-style address. */
export function allocateExternalIp(ctx: EmulatorContext, project: string, ipVersion: 'IPV4' | 'IPV6'): string {
  const taken = externalIpsInUse(ctx, project);
  for (;;) {
    const ip = ipVersion === 'IPV6'
      ? `2600:1901:0:${hex(ctx, 4)}::`
      : `34.${96 + Math.floor(ctx.random() * 32)}.${Math.floor(ctx.random() * 256)}.${1 + Math.floor(ctx.random() * 254)}`;
    if (!taken.has(ip)) return ip;
  }
}

export const globalAddresses = defineKind({
  plural: 'addresses',
  kind: 'compute#address',
  listKind: 'compute#addressList',
  scope: 'global',
  noun: 'address',
  labels: true,
  outputOnly: ['status', 'users'],
  quota: (res) => ({ scope: 'global', metric: res.addressType === 'INTERNAL' ? 'GLOBAL_INTERNAL_ADDRESSES' : 'STATIC_ADDRESSES' }),
  quotaInOperation: true,
  build(input, a) {
    if (a.prev) return { ...input };
    const addressType = oneOf(input.addressType, 'resource.addressType', ['EXTERNAL', 'INTERNAL'], 'EXTERNAL');
    const ipVersion = oneOf(input.ipVersion, 'resource.ipVersion', ['IPV4', 'IPV6'], 'IPV4');
    const out: Res = { description: input.description, addressType, ipVersion };
    if (addressType === 'EXTERNAL') {
      if (input.purpose !== undefined) throw err.invalid('resource.purpose', input.purpose, 'purpose can only be set on INTERNAL addresses.');
      if (input.network !== undefined) throw err.invalid('resource.network', input.network, 'network can only be set on INTERNAL addresses.');
      out.networkTier = oneOf(input.networkTier, 'resource.networkTier', ['PREMIUM'], 'PREMIUM');
      if (input.address !== undefined) {
        if (externalIpsInUse(a.ctx, a.loc.project).has(String(input.address))) throw err.invalid('resource.address', input.address, 'The specified IP address is already reserved.');
        out.address = String(input.address);
      } else out.address = allocateExternalIp(a.ctx, a.loc.project, ipVersion);
      return out;
    }
    const purpose = oneOf(input.purpose, 'resource.purpose', ['VPC_PEERING', 'PRIVATE_SERVICE_CONNECT']);
    const network = resolveRef(a.ctx, input.network, 'resource.network', a.loc, NETWORK_REF);
    out.purpose = purpose;
    out.network = network.link;
    if (ipVersion !== 'IPV4') throw err.invalid('resource.ipVersion', ipVersion, 'Global INTERNAL addresses are IPv4.');
    if (purpose === 'PRIVATE_SERVICE_CONNECT') {
      if (typeof input.address !== 'string' || ipToInt(input.address) === undefined) throw err.required('resource.address');
      out.address = input.address;
      return out;
    }
    const prefixLength = intIn(input.prefixLength, 'resource.prefixLength', 8, 29);
    const used = usedRanges(a.ctx, network.link).map((u) => u.cidr);
    if (input.address !== undefined) {
      const c = parseCidr(`${String(input.address)}/${prefixLength}`, true);
      if (!c) throw err.invalid('resource.address', input.address, `The address must be the first address of a /${prefixLength} block.`);
      const clash = usedRanges(a.ctx, network.link).find((u) => overlaps(u.cidr, c));
      if (clash) throw err.invalid('resource.address', input.address, `The range ${c.text} conflicts with ${clash.owner}.`);
      out.address = String(input.address);
    } else {
      const c = allocate(prefixLength, used);
      if (!c) throw err.badRequest(`No free /${prefixLength} range is left in network '${network.key}'.`, 'ipSpaceExhausted');
      out.address = c.text.split('/')[0];
    }
    out.prefixLength = prefixLength;
    return out;
  },
  derive: withUsers,
});

/** status/users: an address is IN_USE while anything (forwarding rule, Cloud NAT) links to it. */
function withUsers(res: Res, ctx: EmulatorContext, key: string): Res {
  const users = findUsers(ctx, key, key.split('/')[1]!).map(link);
  res.status = users.length ? 'IN_USE' : 'RESERVED';
  if (users.length) res.users = users;
  return res;
}

/** Every IP taken inside a subnetwork by regional INTERNAL addresses. */
function internalIpsInSubnet(ctx: EmulatorContext, subnetLink: string): Set<string> {
  const project = subnetLink.replace(/^compute:\/\//, '').split('/')[1]!;
  return new Set(
    collectionFor(ctx, 'addresses')
      .peekAll(`projects/${project}/regions/`)
      .filter((r) => r.subnetwork === subnetLink)
      .map((r) => String(r.address)),
  );
}

/** Regional addresses: static external IPs (e.g. Cloud NAT MANUAL_ONLY) and internal IPs in a subnet. */
export const regionAddresses = defineKind({
  plural: 'addresses',
  kind: 'compute#address',
  listKind: 'compute#addressList',
  scope: 'regional',
  noun: 'address',
  labels: true,
  outputOnly: ['status', 'users'],
  quota: (res, loc) => ({ scope: loc.region!, metric: res.addressType === 'INTERNAL' ? 'INTERNAL_ADDRESSES' : 'STATIC_ADDRESSES' }),
  quotaInOperation: true,
  build(input, a) {
    if (a.prev) return { ...input };
    const addressType = oneOf(input.addressType, 'resource.addressType', ['EXTERNAL', 'INTERNAL'], 'EXTERNAL');
    const out: Res = { description: input.description, addressType, ipVersion: 'IPV4' };
    if (addressType === 'EXTERNAL') {
      if (input.subnetwork !== undefined || input.network !== undefined) throw err.invalid('resource.subnetwork', input.subnetwork ?? input.network, 'subnetwork and network can only be set on INTERNAL addresses.');
      out.networkTier = oneOf(input.networkTier, 'resource.networkTier', ['PREMIUM', 'STANDARD'], 'PREMIUM');
      if (input.address !== undefined) {
        if (externalIpsInUse(a.ctx, a.loc.project).has(String(input.address))) throw err.invalid('resource.address', input.address, 'The specified IP address is already reserved.');
        out.address = String(input.address);
      } else out.address = allocateExternalIp(a.ctx, a.loc.project, 'IPV4');
      return out;
    }
    const subnet = resolveRef(a.ctx, input.subnetwork, 'resource.subnetwork', a.loc, SUBNET_REF);
    const range = parseCidr(String(subnet.res.ipCidrRange))!;
    const taken = internalIpsInSubnet(a.ctx, subnet.link);
    const first = range.base + 2; // .0 is the network, .1 the gateway
    const last = range.base + 2 ** (32 - range.prefix) - 2; // the last address is reserved too
    out.subnetwork = subnet.link;
    out.network = subnet.res.network;
    out.purpose = oneOf(input.purpose, 'resource.purpose', ['GCE_ENDPOINT', 'SHARED_LOADBALANCER_VIP', 'DNS_RESOLVER', 'IPSEC_INTERCONNECT', 'PRIVATE_SERVICE_CONNECT'], 'GCE_ENDPOINT');
    if (input.address !== undefined) {
      const ip = ipToInt(String(input.address));
      if (ip === undefined || ip < first || ip > last) throw err.invalid('resource.address', input.address, `The address must be a usable address of subnetwork range ${range.text}.`);
      if (taken.has(String(input.address))) throw err.invalid('resource.address', input.address, 'The specified IP address is already reserved.');
      out.address = String(input.address);
    } else {
      let ip = first;
      while (ip <= last && taken.has(intToIp(ip))) ip++;
      if (ip > last) throw err.badRequest(`No free address is left in subnetwork '${subnet.key}'.`, 'ipSpaceExhausted');
      out.address = intToIp(ip);
    }
    return out;
  },
  derive: withUsers,
});

/**
 * For Service Networking (E4): a global address by project and name, as the API renders
 * it (address, prefixLength, purpose, network as a full URL), or undefined.
 */
export function getGlobalAddress(ctx: EmulatorContext, project: string, name: string): Res | undefined {
  const key = `projects/${project}/global/addresses/${name}`;
  const res = collectionFor(ctx, 'addresses').peek(key);
  return res ? render(globalAddresses, ctx, key, res) : undefined;
}

export function addressRoutes(): Route[] {
  return [...crudRoutes(globalAddresses), ...crudRoutes(regionAddresses)];
}

