import type { EmulatorContext, Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { canonicalRef, keyOf, link, nameOf } from './shared/links.js';
import { actionRoute, applyChange, collectionFor, crudRoutes, defineKind, itemPath, render, type Res } from './shared/resource.js';
import { asArray, asRecord, checkName, intIn, oneOf } from './shared/validate.js';

export interface Peering {
  name: string;
  /** The peer network, in any reference form (full URL, `projects/...`). */
  network: string;
  exportCustomRoutes?: boolean;
  importCustomRoutes?: boolean;
  exchangeSubnetRoutes?: boolean;
  exportSubnetRoutesWithPublicIp?: boolean;
  importSubnetRoutesWithPublicIp?: boolean;
  stackType?: string;
}

const NETWORK_REF = [{ plural: 'networks', scope: 'global' as const }];

export const networks = defineKind({
  plural: 'networks',
  kind: 'compute#network',
  listKind: 'compute#networkList',
  scope: 'global',
  noun: 'network',
  patch: true,
  outputOnly: ['subnetworks', 'peerings', 'gatewayIPv4', 'selfLinkWithId'],
  quota: () => ({ scope: 'global', metric: 'NETWORKS' }),
  inUseInOperation: true,
  build(input, a) {
    if (input.IPv4Range !== undefined) throw err.invalid('resource.IPv4Range', input.IPv4Range, 'Legacy networks are no longer supported; create a VPC network with autoCreateSubnetworks.');
    if (typeof input.autoCreateSubnetworks !== 'boolean') {
      throw err.invalid('resource.autoCreateSubnetworks', input.autoCreateSubnetworks, 'Must be set to create a VPC network; legacy networks are no longer supported.');
    }
    if (a.prev && a.prev.autoCreateSubnetworks !== input.autoCreateSubnetworks) {
      throw err.invalid('resource.autoCreateSubnetworks', input.autoCreateSubnetworks, 'Use switchToCustomMode to change the subnet mode of a network.');
    }
    if (input.autoCreateSubnetworks) {
      throw err.invalid('resource.autoCreateSubnetworks', true, 'Auto mode networks are not emulated; create a custom mode network (autoCreateSubnetworks: false) and its subnetworks.');
    }
    const routing = asRecord(input.routingConfig, 'resource.routingConfig');
    const out: Res = {
      description: input.description,
      autoCreateSubnetworks: false,
      routingConfig: { ...routing, routingMode: oneOf(routing.routingMode, 'resource.routingConfig.routingMode', ['REGIONAL', 'GLOBAL'], 'REGIONAL') },
      mtu: intIn(input.mtu, 'resource.mtu', 1300, 8896, 1460),
      networkFirewallPolicyEnforcementOrder: oneOf(input.networkFirewallPolicyEnforcementOrder, 'resource.networkFirewallPolicyEnforcementOrder', ['AFTER_CLASSIC_FIREWALL', 'BEFORE_CLASSIC_FIREWALL'], 'AFTER_CLASSIC_FIREWALL'),
    };
    if (input.enableUlaInternalIpv6 !== undefined) out.enableUlaInternalIpv6 = input.enableUlaInternalIpv6;
    if (a.prev?.peerings) out.peerings = a.prev.peerings;
    return out;
  },
  derive(res, ctx, key) {
    // A network lists its subnetworks; they are looked up, not stored, so a subnet never "uses" its network twice.
    const subnets = collectionFor(ctx, 'subnetworks')
      .peekAll(`${key.split('/').slice(0, 2).join('/')}/regions/`)
      .filter((s) => s.network === link(key))
      .map((s) => s.selfLink);
    if (subnets.length) res.subnetworks = subnets;
    return res;
  },
  deleteBlocker(res, ctx, key) {
    const peerings = (res.peerings as Res[] | undefined) ?? [];
    if (peerings.length) return err.inUse('network', key, `${key}/peerings/${String(peerings[0]!.name)}`);
    // A Serverless VPC Access connector keeps a hidden subnet in the network.
    const project = key.split('/')[1]!;
    const connector = ctx.store
      .collection<{ name?: string; network?: string }>('vpcaccess.connectors')
      .peekAll(`projects/${project}/`)
      .find((c) => nameOf(String(c.network ?? '')) === nameOf(key));
    if (connector) return err.inUse('network', key, String(connector.name));
    return undefined;
  },
});

function networkKey(network: string, project = ''): string {
  return canonicalRef(network, 'network', project, NETWORK_REF);
}

function peeringState(ctx: EmulatorContext, selfKey: string, peerKey: string): 'ACTIVE' | 'INACTIVE' {
  const peer = collectionFor(ctx, 'networks').peek(peerKey);
  const back = ((peer?.peerings as Res[] | undefined) ?? []).some((p) => p.network === link(selfKey));
  return back ? 'ACTIVE' : 'INACTIVE';
}

function stateDetails(ctx: EmulatorContext, state: string): string {
  return `[${ctx.now().toISOString()}]: ${state === 'ACTIVE' ? 'Connected.' : 'Waiting for peer network to connect.'}`;
}

function buildPeering(ctx: EmulatorContext, selfKey: string, cur: Res, p: Peering, forceActive: boolean): Res[] {
  const name = checkName(p.name, 'networkPeering.name');
  const project = selfKey.split('/')[1]!;
  const peerKey = networkKey(p.network, project);
  const existing = (cur.peerings as Res[] | undefined) ?? [];
  if (existing.some((e) => e.name === name)) throw err.badRequest(`There is already a peering named '${name}' on network '${selfKey}'.`, 'invalid');
  if (existing.some((e) => e.network === link(peerKey))) throw err.badRequest(`Network '${selfKey}' is already peered with network '${peerKey}'.`, 'invalid');
  if (peerKey === selfKey) throw err.badRequest('A network cannot be peered with itself.', 'invalid');
  const limit = ctx.quotas.limit('global', 'PEERINGS_PER_NETWORK');
  if (existing.length + 1 > limit) ctx.quotas.ensure('compute', { scope: 'global', metric: 'PEERINGS_PER_NETWORK', amount: existing.length + 1 });
  const state = forceActive ? 'ACTIVE' : peeringState(ctx, selfKey, peerKey);
  const peering: Res = {
    name,
    network: link(peerKey),
    state,
    stateDetails: stateDetails(ctx, state),
    autoCreateRoutes: true,
    exportCustomRoutes: p.exportCustomRoutes ?? false,
    importCustomRoutes: p.importCustomRoutes ?? false,
    exchangeSubnetRoutes: p.exchangeSubnetRoutes ?? true,
    exportSubnetRoutesWithPublicIp: p.exportSubnetRoutesWithPublicIp ?? true,
    importSubnetRoutesWithPublicIp: p.importSubnetRoutesWithPublicIp ?? false,
    stackType: p.stackType ?? 'IPV4_ONLY',
    peerMtu: 1460,
  };
  return [...existing, peering];
}

/** When one side of a peering appears or goes, the other side's state follows (as in GCE). */
function syncPeer(ctx: EmulatorContext, selfKey: string, peerKey: string): void {
  const peer = collectionFor(ctx, 'networks').peek(peerKey);
  if (!peer) return;
  const peerings = (peer.peerings as Res[] | undefined) ?? [];
  const idx = peerings.findIndex((p) => p.network === link(selfKey));
  if (idx < 0) return;
  const state = peeringState(ctx, peerKey, selfKey);
  if (peerings[idx]!.state === state) return;
  applyChange(networks, ctx, peerKey, (cur) => {
    const list = structuredClone((cur.peerings as Res[]) ?? []);
    list[idx] = { ...list[idx], state, stateDetails: stateDetails(ctx, state) };
    return { ...stripForChange(cur), peerings: list };
  });
}

function stripForChange(cur: Res): Res {
  const { kind: _k, id: _i, creationTimestamp: _c, selfLink: _s, ...rest } = cur;
  return rest;
}

/**
 * For Service Networking (E4): peer `network` (consumer VPC, any reference form with its
 * project) with a producer network. The peering is ACTIVE at once, as when Google's side
 * connects. Returns the network as the API renders it. Throws EmuError (404, 400, 403 quota).
 */
export function addPeering(ctx: EmulatorContext, network: string, peering: Peering): Res {
  const key = networkKey(network);
  const { next } = applyChange(networks, ctx, key, (cur, k) => ({ ...stripForChange(cur), peerings: buildPeering(ctx, k, cur, peering, true) }));
  return render(networks, ctx, key, next);
}

/** For Service Networking: change a peering's route exchange flags (connections patch). */
export function updatePeering(ctx: EmulatorContext, network: string, peering: Partial<Peering> & { name: string }): Res {
  const key = networkKey(network);
  const { next } = applyChange(networks, ctx, key, (cur) => {
    const list = structuredClone((cur.peerings as Res[] | undefined) ?? []);
    const idx = list.findIndex((p) => p.name === peering.name);
    if (idx < 0) throw err.badRequest(`There is no peering named '${peering.name}' on network '${key}'.`, 'invalid');
    const { name: _n, network: _nw, ...flags } = peering;
    list[idx] = { ...list[idx], ...flags };
    return { ...stripForChange(cur), peerings: list };
  });
  return render(networks, ctx, key, next);
}

/** For Service Networking: drop a peering by name (connections delete). */
export function removePeering(ctx: EmulatorContext, network: string, name: string): Res {
  const key = networkKey(network);
  let peerKey: string | undefined;
  const { next } = applyChange(networks, ctx, key, (cur) => {
    const list = (cur.peerings as Res[] | undefined) ?? [];
    const found = list.find((p) => p.name === name);
    if (!found) throw err.badRequest(`There is no peering named '${name}' on network '${key}'.`, 'invalid');
    peerKey = keyOf(String(found.network));
    const rest = list.filter((p) => p.name !== name);
    const out = stripForChange(cur);
    if (rest.length) out.peerings = rest;
    else delete out.peerings;
    return out;
  });
  if (peerKey) syncPeer(ctx, key, peerKey);
  return render(networks, ctx, key, next);
}

/** A network as the API renders it, or undefined. Any reference form with its project. */
export function getNetwork(ctx: EmulatorContext, network: string): Res | undefined {
  const key = networkKey(network);
  const res = collectionFor(ctx, 'networks').peek(key);
  return res ? render(networks, ctx, key, res) : undefined;
}

export function networkRoutes(): Route[] {
  const item = itemPath(networks);
  return [
    ...crudRoutes(networks),
    actionRoute(networks, `${item}/addPeering`, 'addPeering', (cur, body, a) => {
      const np = asRecord(body.networkPeering, 'networkPeering');
      const peering: Peering = {
        ...(np as unknown as Peering),
        name: String(np.name ?? body.name ?? ''),
        network: String(np.network ?? body.peerNetwork ?? ''),
      };
      if (!peering.network) throw err.required('networkPeering.network');
      const peerings = buildPeering(a.ctx, a.key, cur, peering, false);
      const peerKey = keyOf(String(peerings[peerings.length - 1]!.network));
      // The peer's side turns ACTIVE once both halves exist; done after this change is stored.
      queueMicrotask(() => syncPeer(a.ctx, a.key, peerKey));
      return { ...stripForChange(cur), peerings };
    }),
    actionRoute(networks, `${item}/removePeering`, 'removePeering', (cur, body, a) => {
      const name = String(body.name ?? '');
      const list = (cur.peerings as Res[] | undefined) ?? [];
      const found = list.find((p) => p.name === name);
      if (!found) throw err.badRequest(`There is no peering named '${name}' on network '${a.key}'.`, 'invalid');
      const peerKey = keyOf(String(found.network));
      queueMicrotask(() => syncPeer(a.ctx, a.key, peerKey));
      const out = stripForChange(cur);
      const rest = list.filter((p) => p.name !== name);
      if (rest.length) out.peerings = rest;
      else delete out.peerings;
      return out;
    }),
    actionRoute(
      networks,
      `${item}/updatePeering`,
      'updatePeering',
      (cur, body, a) => {
        const np = asRecord(body.networkPeering, 'networkPeering');
        const list = structuredClone(asArray(cur.peerings, 'peerings') as Res[]);
        const idx = list.findIndex((p) => p.name === np.name);
        if (idx < 0) throw err.badRequest(`There is no peering named '${String(np.name)}' on network '${a.key}'.`, 'invalid');
        const { name: _n, network: _nw, state: _s, stateDetails: _d, ...flags } = np;
        list[idx] = { ...list[idx], ...flags };
        return { ...stripForChange(cur), peerings: list };
      },
      'PATCH',
    ),
  ];
}

