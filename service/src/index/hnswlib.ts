import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

type Hnswlib = typeof import('hnswlib-node');

/** Which compiled copy of hnswlib-node to run: `auto` takes the AVX2 one where it can. */
export type HnswBuildChoice = 'auto' | 'portable';
export type HnswBuild = 'avx2' | 'portable';

const require = createRequire(import.meta.url);

/** x86-64 Linux with both AVX2 and FMA, which the AVX2 copy is compiled for. */
export function cpuHasAvx2(cpuinfo?: string): boolean {
  if (cpuinfo === undefined) {
    if (process.arch !== 'x64' || process.platform !== 'linux') return false;
    try {
      cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return false;
    }
  }
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  return flags.includes('avx2') && flags.includes('fma');
}

/** Where scripts/build-hnswlib-avx2.mjs puts the AVX2 copy of the addon. */
export function avx2AddonPath(): string {
  return join(dirname(require.resolve('hnswlib-node/package.json')), 'avx2', 'addon.node');
}

/**
 * The copy to run. The AVX2 copy has the same API and index file format; it is used when
 * chosen (`auto`), present and runnable on this CPU, and the stock build otherwise.
 */
export function chooseHnswBuild(choice: HnswBuildChoice): HnswBuild {
  return choice === 'auto' && cpuHasAvx2() && existsSync(avx2AddonPath()) ? 'avx2' : 'portable';
}

export function loadHnswlib(build: HnswBuild): Hnswlib {
  return (build === 'avx2' ? require(avx2AddonPath()) : require('hnswlib-node')) as Hnswlib;
}
