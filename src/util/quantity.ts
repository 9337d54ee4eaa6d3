/**
 * Kubernetes resource quantities, the form Cloud Run takes CPU and memory limits in
 * ("1000m", "4", "512Mi", "2G"): one grammar for every reader, and an error for what it
 * does not match instead of a guess. The grammar is Kubernetes' own
 * (k8s.io/apimachinery resource.Quantity):
 *
 *   quantity ::= sign? number suffix
 *   number   ::= digits | digits "." digits? | "." digits
 *   suffix   ::= binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (m "" k M G T P E)
 *              | ("e" | "E") sign? digits
 *
 * so "G" is 10^9 bytes and "Gi" 2^30: they are not the same (1G is about 0.93Gi).
 */

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
/** Decimal suffixes as powers of ten. */
const DECIMAL: Record<string, number> = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** n x 10^e, dividing for negative exponents so "500m" is exactly 500 / 1000. */
const scaled = (n: number, e: number): number => (e < 0 ? n / 10 ** -e : n * 10 ** e);

const GRAMMAR = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$/;

/** The quantity's value in its base unit (cores, bytes); undefined when it is not a quantity. */
export function quantityValue(text: string): number | undefined {
  const m = GRAMMAR.exec(text.trim());
  if (!m) return undefined;
  const n = Number(`${m[1]}${m[2]}`);
  if (m[3]) return scaled(n, Number(m[3].slice(1)));
  const suffix = m[4] ?? '';
  return BINARY[suffix] !== undefined ? n * BINARY[suffix] : scaled(n, DECIMAL[suffix]!);
}

function nonNegative(text: string, what: string, example: string): number {
  const v = quantityValue(text);
  if (v === undefined || !Number.isFinite(v)) throw new QuantityError(`cannot read ${what} "${text}" (a Kubernetes quantity, e.g. ${example})`);
  if (v < 0) throw new QuantityError(`${what} "${text}" is negative`);
  return v;
}

/** CPU in cores: "4" -> 4, "0.5" and "500m" -> 0.5. */
export function cpuCores(text: string): number {
  return nonNegative(text, 'CPU', '"4", "0.5" or "1000m"');
}

/** Memory in bytes: "512Mi" -> 536870912, "2G" -> 2e9. */
export function memoryBytes(text: string): number {
  return nonNegative(text, 'memory', '"512Mi", "16Gi" or "2G"');
}

/** Memory in GiB (2^30 bytes): "512Mi" -> 0.5, "16Gi" -> 16, "2G" -> 1.86. */
export function memoryGiB(text: string): number {
  return memoryBytes(text) / 2 ** 30;
}

/** Memory in MiB (2^20 bytes): "512Mi" -> 512, "1Gi" -> 1024, "1G" -> 953.67. */
export function memoryMiB(text: string): number {
  return memoryBytes(text) / 2 ** 20;
}
