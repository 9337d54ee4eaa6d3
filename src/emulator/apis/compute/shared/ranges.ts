import type { EmulatorContext } from '../../../core/types.js';
import { parseCidr, type Cidr } from './cidr.js';
import { nameOf, regionOf } from './links.js';
import { collectionFor, type Res } from './resource.js';

export interface UsedRange {
  cidr: Cidr;
  /** GCE's wording for what holds the range, used in conflict messages. */
  owner: string;
  key: string;
}

/**
 * Every IPv4 range already taken inside a network: subnet primary and secondary ranges
 * ranges allocated for private services access (global INTERNAL addresses), and the /28s of
 * Serverless VPC Access connectors attached to it.
 */
export function usedRanges(ctx: EmulatorContext, networkLink: string, excludeKey?: string): UsedRange[] {
  const project = networkLink.replace(/^compute:\/\//, '').split('/')[1]!;
  const out: UsedRange[] = [];
  for (const s of collectionFor(ctx, 'subnetworks').peekAll(`projects/${project}/`)) {
    const key = String(s.selfLink).replace(/^compute:\/\//, '');
    if (s.network !== networkLink || key === excludeKey) continue;
    const owner = `existing subnetwork '${String(s.name)}' in region '${regionOf(key) ?? ''}'`;
    const primary = parseCidr(String(s.ipCidrRange));
    if (primary) out.push({ cidr: primary, owner, key });
    for (const r of (s.secondaryIpRanges as Res[] | undefined) ?? []) {
      const c = parseCidr(String(r.ipCidrRange));
      if (c) out.push({ cidr: c, owner: `existing secondary range '${String(r.rangeName)}' of subnetwork '${String(s.name)}' in region '${regionOf(key) ?? ''}'`, key });
    }
  }
  for (const a of collectionFor(ctx, 'addresses').peekAll(`projects/${project}/global/`)) {
    const key = String(a.selfLink).replace(/^compute:\/\//, '');
    if (a.network !== networkLink || a.purpose !== 'VPC_PEERING' || key === excludeKey) continue;
    const c = parseCidr(`${String(a.address)}/${String(a.prefixLength)}`);
    if (c) out.push({ cidr: c, owner: `allocated range '${nameOf(key)}' for private services access`, key });
  }
  // Serverless VPC Access connectors hold a /28 inside the network (their hidden subnet).
  const networkName = nameOf(networkLink);
  for (const c of ctx.store.collection<{ name?: string; network?: string; ipCidrRange?: string; state?: string }>('vpcaccess.connectors').peekAll(`projects/${project}/`)) {
    if (!c.ipCidrRange || c.state === 'ERROR' || nameOf(String(c.network ?? '')) !== networkName) continue;
    const cidr = parseCidr(c.ipCidrRange);
    if (cidr) out.push({ cidr, owner: `Serverless VPC Access connector '${nameOf(String(c.name))}'`, key: String(c.name) });
  }
  return out;
}
