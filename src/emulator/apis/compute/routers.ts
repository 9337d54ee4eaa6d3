import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { resolveRef, crudRoutes, defineKind, type Res } from './shared/resource.js';
import { asArray, asRecord, bool, checkName, intIn, oneOf } from './shared/validate.js';

const NETWORK_REF = [{ plural: 'networks', scope: 'global' as const }];
const SUBNET_REF = [{ plural: 'subnetworks', scope: 'regional' as const }];
const ADDRESS_REF = [{ plural: 'addresses', scope: 'regional' as const }];

/** Cloud NAT has no API of its own: it is Router.nats[]. */
export const routers = defineKind({
  plural: 'routers',
  kind: 'compute#router',
  listKind: 'compute#routerList',
  scope: 'regional',
  noun: 'router',
  patch: true,
  update: true,
  quota: () => ({ scope: 'global', metric: 'ROUTERS' }),
  build(input, a) {
    const network = resolveRef(a.ctx, input.network, 'resource.network', a.loc, NETWORK_REF);
    if (a.prev && a.prev.network !== network.link) throw err.invalid('resource.network', input.network, 'The network of a router cannot be changed.');
    const natsIn = asArray(input.nats, 'resource.nats');
    const limit = a.ctx.quotas.limit('global', 'NAT_GATEWAYS_PER_ROUTER');
    if (natsIn.length > limit) {
      throw err.invalid('resource.nats', natsIn.length, `A router can have at most ${limit} NAT gateways.`);
    }
    const names = new Set<string>();
    const nats = natsIn.map((raw, i) => {
      const f = `resource.nats[${i}]`;
      const n = asRecord(raw, f);
      const name = checkName(n.name, `${f}.name`);
      if (names.has(name)) throw err.invalid(`${f}.name`, name, 'NAT names must be unique within a router.');
      names.add(name);
      const alloc = oneOf(n.natIpAllocateOption, `${f}.natIpAllocateOption`, ['AUTO_ONLY', 'MANUAL_ONLY']);
      const natIps = asArray(n.natIps, `${f}.natIps`).map((ip, j) => resolveRef(a.ctx, ip, `${f}.natIps[${j}]`, a.loc, ADDRESS_REF).link);
      if (alloc === 'MANUAL_ONLY' && natIps.length === 0) throw err.invalid(`${f}.natIps`, '', 'natIps must be set when natIpAllocateOption is MANUAL_ONLY.');
      if (alloc === 'AUTO_ONLY' && natIps.length > 0) throw err.invalid(`${f}.natIps`, natIps.length, 'natIps must be empty when natIpAllocateOption is AUTO_ONLY.');
      const source = oneOf(n.sourceSubnetworkIpRangesToNat, `${f}.sourceSubnetworkIpRangesToNat`, ['ALL_SUBNETWORKS_ALL_IP_RANGES', 'ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES', 'LIST_OF_SUBNETWORKS']);
      const subnets = asArray(n.subnetworks, `${f}.subnetworks`).map((rawS, j) => {
        const s = asRecord(rawS, `${f}.subnetworks[${j}]`);
        const ref = resolveRef(a.ctx, s.name, `${f}.subnetworks[${j}].name`, a.loc, SUBNET_REF);
        if (ref.res.network !== network.link) throw err.invalid(`${f}.subnetworks[${j}].name`, s.name, "The subnetwork is not in the router's network.");
        return { ...s, name: ref.link, sourceIpRangesToNat: asArray(s.sourceIpRangesToNat, `${f}.subnetworks[${j}].sourceIpRangesToNat`).length ? s.sourceIpRangesToNat : ['ALL_IP_RANGES'] };
      });
      if (source === 'LIST_OF_SUBNETWORKS' && subnets.length === 0) throw err.invalid(`${f}.subnetworks`, '', 'subnetworks must be set when sourceSubnetworkIpRangesToNat is LIST_OF_SUBNETWORKS.');
      if (source !== 'LIST_OF_SUBNETWORKS' && subnets.length > 0) throw err.invalid(`${f}.subnetworks`, subnets.length, 'subnetworks can only be set with LIST_OF_SUBNETWORKS.');
      const log = asRecord(n.logConfig, `${f}.logConfig`);
      const out: Res = {
        ...n,
        name,
        natIpAllocateOption: alloc,
        sourceSubnetworkIpRangesToNat: source,
        endpointTypes: asArray(n.endpointTypes, `${f}.endpointTypes`).length ? n.endpointTypes : ['ENDPOINT_TYPE_VM'],
        udpIdleTimeoutSec: intIn(n.udpIdleTimeoutSec, `${f}.udpIdleTimeoutSec`, 1, 2147483647, 30),
        icmpIdleTimeoutSec: intIn(n.icmpIdleTimeoutSec, `${f}.icmpIdleTimeoutSec`, 1, 2147483647, 30),
        tcpEstablishedIdleTimeoutSec: intIn(n.tcpEstablishedIdleTimeoutSec, `${f}.tcpEstablishedIdleTimeoutSec`, 1, 2147483647, 1200),
        tcpTransitoryIdleTimeoutSec: intIn(n.tcpTransitoryIdleTimeoutSec, `${f}.tcpTransitoryIdleTimeoutSec`, 1, 2147483647, 30),
        tcpTimeWaitTimeoutSec: intIn(n.tcpTimeWaitTimeoutSec, `${f}.tcpTimeWaitTimeoutSec`, 1, 2147483647, 120),
        enableEndpointIndependentMapping: bool(n.enableEndpointIndependentMapping, false),
        type: oneOf(n.type, `${f}.type`, ['PUBLIC', 'PRIVATE'], 'PUBLIC'),
        autoNetworkTier: oneOf(n.autoNetworkTier, `${f}.autoNetworkTier`, ['PREMIUM', 'STANDARD', 'FIXED_STANDARD', 'STANDARD_OVERRIDES_FIXED_STANDARD'], 'PREMIUM'),
      };
      if (natIps.length) out.natIps = natIps;
      else delete out.natIps;
      if (subnets.length) out.subnetworks = subnets;
      else delete out.subnetworks;
      if (n.minPortsPerVm !== undefined) out.minPortsPerVm = intIn(n.minPortsPerVm, `${f}.minPortsPerVm`, 2, 65536);
      if (n.logConfig !== undefined) out.logConfig = { enable: bool(log.enable, false), filter: oneOf(log.filter, `${f}.logConfig.filter`, ['ALL', 'ERRORS_ONLY', 'TRANSLATIONS_ONLY'], 'ALL') };
      return out;
    });
    const out: Res = { description: input.description, network: network.link };
    if (nats.length) out.nats = nats;
    if (input.bgp !== undefined) out.bgp = input.bgp;
    if (input.bgpPeers !== undefined) out.bgpPeers = input.bgpPeers;
    if (input.interfaces !== undefined) out.interfaces = input.interfaces;
    if (input.encryptedInterconnectRouter !== undefined) out.encryptedInterconnectRouter = input.encryptedInterconnectRouter;
    return out;
  },
});

export function routerRoutes(): Route[] {
  return crudRoutes(routers);
}
