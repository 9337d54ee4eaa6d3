import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { avx2AddonPath, chooseHnswBuild, cpuHasAvx2, loadHnswlib } from '../../service/src/index/hnswlib.js';

const flags = (f: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: ${f}\nbugs\t\t: sysret_ss_attrs\n`;

describe('hnswlib-node build choice', () => {
  it('needs both AVX2 and FMA in the CPU flags', () => {
    expect(cpuHasAvx2(flags('fpu sse sse2 avx avx2 fma bmi2'))).toBe(true);
    expect(cpuHasAvx2(flags('fpu sse sse2 avx fma'))).toBe(false);
    expect(cpuHasAvx2(flags('fpu sse sse2 avx avx2'))).toBe(false);
    // "avx2" must be a whole flag, not part of another one
    expect(cpuHasAvx2(flags('fpu avx2x fma'))).toBe(false);
    expect(cpuHasAvx2('')).toBe(false);
  });

  it('runs the stock build when told to, and the AVX2 copy only where it exists and can run', () => {
    expect(chooseHnswBuild('portable')).toBe('portable');
    expect(chooseHnswBuild('auto')).toBe(cpuHasAvx2() && existsSync(avx2AddonPath()) ? 'avx2' : 'portable');
  });

  // .ci/run builds the copy (npm's postinstall); where the CPU cannot run it this says so in the skip.
  it.skipIf(chooseHnswBuild('auto') !== 'avx2')('AVX2 copy answers as the stock build does, in every metric', () => {
    const stock = loadHnswlib('portable');
    const avx2 = loadHnswlib('avx2');
    expect(avx2).not.toBe(stock);
    let s = 1;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
    const dim = 96;
    const data = Array.from({ length: 3000 }, () => Array.from({ length: dim }, rand));
    const queries = Array.from({ length: 50 }, () => Array.from({ length: dim }, rand));
    for (const metric of ['l2', 'ip', 'cosine'] as const) {
      const [a, b] = [stock, avx2].map((lib) => {
        const idx = new lib.HierarchicalNSW(metric, dim);
        idx.initIndex({ maxElements: data.length, m: 16, efConstruction: 100, randomSeed: 100 });
        data.forEach((v, i) => idx.addPoint(v, i));
        idx.setEf(64);
        return queries.map((q) => idx.searchKnn(q, 10));
      });
      let same = 0;
      for (let q = 0; q < queries.length; q++) {
        const want = new Set(a![q]!.neighbors);
        same += b![q]!.neighbors.filter((n) => want.has(n)).length;
        // The same distances to float32 rounding (FMA rounds once where SSE rounds twice).
        const d = new Map(a![q]!.neighbors.map((n, i) => [n, a![q]!.distances[i]!]));
        for (const [i, n] of b![q]!.neighbors.entries()) if (d.has(n)) expect(b![q]!.distances[i]!).toBeCloseTo(d.get(n)!, 4);
      }
      // Graph construction sees slightly different roundings, so a few neighbours may differ.
      expect(same / (queries.length * 10)).toBeGreaterThan(0.97);
    }
  });
});
