export { createPrng } from '../../util/prng.js';

/**
 * GCP project numbers are 12-digit integers; derive one from the id (FNV-1a 64) so it is
 * stable across restarts and machines.
 */
export function projectNumber(projectId: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(projectId, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return String(100000000000n + (h % 900000000000n));
}
