import { readFile } from 'node:fs/promises';
import { SpecError } from './errors.js';
import { parseSpec, type LoadedSpec } from './parse.js';

export { SpecError, formatProblem, type SpecProblem } from './errors.js';
export { parseSpec, type LoadedSpec } from './parse.js';
export { SpecSchema, specJsonSchema, API_VERSION, type Spec, type SpecInput, type TierName, type TierSizing } from './schema.js';
export { regionConfig, regionShort, isValidRegion } from './regions.js';
export { tierOf, primaryOf, allRegions } from './model.js';

/** Read, parse and validate a spec file. Throws SpecError (every problem at once). */
export async function loadSpec(path: string): Promise<LoadedSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found (create one with `ruvector init`)' : `cannot read file (${code ?? String(e)})`;
    throw new SpecError([{ file: path, line: 1, col: 1, path: '', message: why }]);
  }
  return parseSpec(text, path);
}
