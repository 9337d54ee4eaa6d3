/**
 * Private services access as other modules see it: the peering Service Networking made on a
 * consumer network, and the reserved ranges (Compute global addresses, purpose VPC_PEERING)
 * it hands to producers such as Cloud SQL and Memorystore.
 */
import type { EmulatorContext } from '../../core/types.js';
import { getGlobalAddress } from '../compute/addresses.js';

export const CONNECTIONS = 'servicenetworking.connections';
export const PEERING_NAME = 'servicenetworking-googleapis-com';

export interface StoredConnection {
  [k: string]: unknown;
  /** Consumer project id (the wire form names the project by number). */
  project: string;
  networkName: string;
  reservedPeeringRanges: string[];
  peering: string;
  service: string;
}

/** 'projects/p/global/networks/n', a compute URL or a bare name -> { project, name }. */
export function parseNetwork(value: string, defaultProject: string): { project: string; name: string } | undefined {
  const m = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(value);
  if (m) return { project: m[1]!, name: m[2]! };
  if (/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) return { project: defaultProject, name: value };
  return undefined;
}

/**
 * Resolves a project given by number (as Service Networking wants it) or id to the id,
 * using the projects the emulator has seen networks in.
 */
export function projectIdOf(ctx: EmulatorContext, projectOrNumber: string): string {
  if (!/^\d+$/.test(projectOrNumber)) return projectOrNumber;
  for (const n of ctx.store.collection<{ selfLink?: string }>('compute.networks').peekAll('projects/')) {
    const id = /projects\/([^/]+)\//.exec(String(n.selfLink ?? ''))?.[1];
    if (id && ctx.projectNumber(id) === projectOrNumber) return id;
  }
  for (const c of ctx.store.collection<StoredConnection>(CONNECTIONS).peekAll()) {
    if (ctx.projectNumber(c.project) === projectOrNumber) return c.project;
  }
  return projectOrNumber;
}

export function connectionKey(project: string, network: string): string {
  return `projects/${project}/global/networks/${network}`;
}

export interface ReservedRange {
  name: string;
  /** 'a.b.c.d/len', or '' when the address has no range assigned yet. */
  cidr: string;
  purpose: string;
  networkName: string;
}

/** A Compute global address by name, as the compute module renders it. */
export function reservedRange(ctx: EmulatorContext, project: string, name: string): ReservedRange | undefined {
  const a = getGlobalAddress(ctx, project, name);
  if (!a) return undefined;
  const address = typeof a['address'] === 'string' ? a['address'] : '';
  const prefix = a['prefixLength'] !== undefined ? Number(a['prefixLength']) : undefined;
  const network = String(a['network'] ?? '');
  return {
    name,
    cidr: address && prefix !== undefined ? `${address}/${prefix}` : '',
    purpose: String(a['purpose'] ?? ''),
    networkName: network.slice(network.lastIndexOf('/') + 1),
  };
}

/**
 * The range a producer allocates private IPs from on this network: a CIDR, '' when peered
 * but the range is unknown, undefined when the network has no Service Networking peering.
 */
export function privateRangeFor(ctx: EmulatorContext, project: string, privateNetwork: string): string | undefined {
  const net = parseNetwork(privateNetwork, project);
  if (!net) return undefined;
  const pid = projectIdOf(ctx, net.project);
  const conn = ctx.store.collection<StoredConnection>(CONNECTIONS).peek(connectionKey(pid, net.name));
  if (!conn) return undefined;
  for (const r of conn.reservedPeeringRanges) {
    const range = reservedRange(ctx, pid, r);
    if (range?.cidr) return range.cidr;
  }
  return '';
}
