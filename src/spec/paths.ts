import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The package root (where config/ and templates/ live). Walks up from this module
 * because it runs both from src/ (tsx, vitest) and from dist/src/ (built CLI), which sit
 * at different depths.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'config'))) {
      const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name;
      if (name === 'ruvector') return (cached = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the ruvector package root (config/ missing)');
    dir = parent;
  }
}
