/** IPv4 CIDR arithmetic for subnet ranges, reserved peering ranges and firewall sources. */
export interface Cidr {
  base: number; // network address as uint32
  prefix: number;
  text: string;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses `a.b.c.d/len`; `strict` refuses host bits set (GCE does for subnet ranges). */
export function parseCidr(text: string, strict = true): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = ipToInt(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const base = ip - (ip % size);
  if (strict && base !== ip) return undefined;
  return { base, prefix, text: `${intToIp(base)}/${prefix}` };
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer);
}

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4'].map((t) => parseCidr(t)!);
const FORBIDDEN = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '255.255.255.255/32'].map((t) => parseCidr(t)!);

/** GCE refuses loopback, link-local, multicast and `0.0.0.0/8` in VPC ranges; other ranges (incl. privately used public ones) are allowed. */
export function forbiddenForVpc(c: Cidr): boolean {
  return FORBIDDEN.some((f) => overlaps(f, c));
}

export function isPrivate(c: Cidr): boolean {
  return PRIVATE.some((p) => contains(p, c));
}

/**
 * A free block of `prefix` in RFC 1918 space that overlaps none of `used`. GCE does not say
 * how it picks; this takes the highest free block of 10.0.0.0/8 first, so automatic ranges
 * stay clear of the low blocks people number their subnets from.
 */
export function allocate(prefix: number, used: Cidr[]): Cidr | undefined {
  for (const poolText of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) {
    const pool = parseCidr(poolText)!;
    if (prefix < pool.prefix) continue;
    const step = 2 ** (32 - prefix);
    for (let base = pool.base + size(pool) - step; base >= pool.base; base -= step) {
      const cand: Cidr = { base, prefix, text: `${intToIp(base)}/${prefix}` };
      const clash = used.find((u) => overlaps(u, cand));
      if (!clash) return cand;
      // Jump below the clashing range in one step.
      const below = pool.base + Math.floor((clash.base - pool.base) / step) * step;
      base = Math.min(base, below + step);
    }
  }
  return undefined;
}
