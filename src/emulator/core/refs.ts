import type { EmulatorContext } from './types.js';

/**
 * Cross-API references as one API sees another's resources (Redis -> a Compute network,
 * VPC Access -> a subnetwork, Cloud Run -> a connector). Keys follow each module's store:
 * Compute keys are `projects/{p}/global/networks/{n}` in `compute.networks`, and so on.
 */
const NETWORK = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/]+)$/;
const SUBNET = /(?:^|\/)projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/;

/** 'projects/p/global/networks/n', a Compute URL, or a bare name -> the store key. */
export function networkKey(value: string, project: string): string | undefined {
  const m = NETWORK.exec(value);
  if (m) return `projects/${m[1]}/global/networks/${m[2]}`;
  return /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value) ? `projects/${project}/global/networks/${value}` : undefined;
}

export function subnetworkKey(value: string, project: string, region: string): string | undefined {
  const m = SUBNET.exec(value);
  if (m) return `projects/${m[1]}/regions/${m[2]}/subnetworks/${m[3]}`;
  return /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value) ? `projects/${project}/regions/${region}/subnetworks/${value}` : undefined;
}

export function networkExists(ctx: EmulatorContext, key: string): boolean {
  return ctx.store.collection('compute.networks').has(key);
}

export function subnetwork(ctx: EmulatorContext, key: string): { ipCidrRange?: string; network?: string } | undefined {
  return ctx.store.collection<{ ipCidrRange?: string; network?: string }>('compute.subnetworks').peek(key);
}
