/** mulberry32: tiny, fast, and good enough for reproducible fault/consistency draws. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
