import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return n;
}

/**
 * Tests that run `node bin/run.js` as a user does need dist/: build once when it is missing
 * or older than the sources (CI builds in `npm ci`; locally this saves a manual build).
 */
export function ensureBuilt(): void {
  const out = join(ROOT, 'dist', 'commands', 'deploy.js');
  const src = Math.max(...['src', 'commands', join('service', 'src')].map((d) => newest(join(ROOT, d))));
  if (existsSync(out) && statSync(out).mtimeMs >= src) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'pipe' });
  } catch {
    // tsc exits non-zero on type errors in files other engineers own but still emits.
  }
  // The command manifest (flags, help) must match the commands just built.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'oclif-manifest.mjs')], { stdio: 'pipe' });
  if (!existsSync(out)) throw new Error('build did not produce dist/commands/deploy.js');
}
