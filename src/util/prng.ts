/**
 * mulberry32: a tiny, fast seeded PRNG in [0, 1), good enough for reproducible draws (the
 * emulator's faults, consistency delays and generated ids; test and benchmark vectors).
 * Not for anything secret.
 */
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
