/** Client addresses and Cloud Armor's src_ip_ranges ('*', IPv4/IPv6 CIDRs or single addresses). */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** `::ffff:127.0.0.1` (a v4 client on a dual-stack socket) as the v4 address Cloud Armor sees. */
export function clientIp(remote: string | undefined): string {
  const a = remote ?? '';
  return a.startsWith('::ffff:') && isIPv4(a.slice(7)) ? a.slice(7) : a;
}

export function ipInRange(ip: string, range: string): boolean {
  if (range === '*') return true;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return false;
  const [net, bits] = range.split('/');
  const rangeFamily = isIPv4(net ?? '') ? 'ipv4' : isIPv6(net ?? '') ? 'ipv6' : undefined;
  if (rangeFamily !== family) return false;
  const list = new BlockList();
  if (bits === undefined) list.addAddress(net!, family);
  else list.addSubnet(net!, Number(bits), family);
  return list.check(ip, family);
}
