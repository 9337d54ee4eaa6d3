/** IPv4 CIDR arithmetic: Terraform's cidrsubnet (the seed's layout) and overlap checks. */

export interface Cidr {
  start: number; // network address as an unsigned 32-bit integer
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { start: ip - (ip % size), prefix };
}

export function formatCidr(c: Cidr): string {
  const o = [24, 16, 8, 0].map((shift) => Math.floor(c.start / 2 ** shift) % 256);
  return `${o.join('.')}/${c.prefix}`;
}

/** Terraform's cidrsubnet(base, newbits, netnum); undefined when netnum does not fit. */
export function cidrSubnet(base: string, newBits: number, netnum: number): string | undefined {
  const b = parseCidr(base);
  if (!b) return undefined;
  const prefix = b.prefix + newBits;
  if (prefix > 32 || netnum < 0 || netnum >= 2 ** newBits) return undefined;
  return formatCidr({ start: b.start + netnum * 2 ** (32 - prefix), prefix });
}

/** The first sub-range of a CIDR with a longer prefix (e.g. the first /28 of a /24). */
export function narrow(cidr: string, prefix: number): string | undefined {
  const c = parseCidr(cidr);
  if (!c || prefix < c.prefix) return undefined;
  return formatCidr({ start: c.start, prefix });
}

export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const xEnd = x.start + 2 ** (32 - x.prefix);
  const yEnd = y.start + 2 ** (32 - y.prefix);
  return x.start < yEnd && y.start < xEnd;
}
