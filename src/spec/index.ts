import { open } from 'node:fs/promises';
import { MAX_SPEC_BYTES } from './limits.js';
import { SpecError } from './errors.js';
import { parseSpec, type LoadedSpec } from './parse.js';

export { SpecError, formatProblem, type SpecProblem } from './errors.js';
export { parseSpec, type LoadedSpec } from './parse.js';
export { SpecSchema, specJsonSchema, API_VERSION, type Spec, type SpecInput, type TierName, type TierSizing } from './schema.js';
export { regionConfig, regionShort, isValidRegion } from './regions.js';
export { tierOf, primaryOf, allRegions } from './model.js';

/** Read, parse and validate a spec file. Throws SpecError (every problem at once). */
export async function loadSpec(path: string): Promise<LoadedSpec> {
  if (path.trim() === '') {
    throw new SpecError([{ file: path, line: 1, col: 1, path: '', message: 'no spec file named: the path is empty (give one with -f, e.g. -f ruvector.yaml)' }]);
  }
  let read: { text: string; bytes: number };
  try {
    read = await readBounded(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found (create one with `ruvector init`)' : code === 'EISDIR' ? 'this is a directory, not a spec file' : `cannot read file (${code ?? String(e)})`;
    throw new SpecError([{ file: path, line: 1, col: 1, path: '', message: why }]);
  }
  return parseSpec(read.text, path, { bytes: read.bytes });
}

/**
 * The file's text, reading no more than one byte past the size limit: parseSpec refuses an
 * oversize spec where the limit is passed, and a huge file (or /dev/zero) is never held in memory.
 */
async function readBounded(path: string): Promise<{ text: string; bytes: number }> {
  const fh = await open(path, 'r');
  try {
    const stat = await fh.stat();
    const buf = Buffer.alloc(MAX_SPEC_BYTES + 1);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { text: buf.subarray(0, filled).toString('utf8'), bytes: stat.isFile() ? Math.max(stat.size, filled) : filled };
  } finally {
    await fh.close();
  }
}
