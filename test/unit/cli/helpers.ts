import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Build once when dist/ is missing or older than the sources these tests exercise (CI
 * builds in `npm ci`; locally this saves a manual `npm run build`). Type errors elsewhere
 * in the tree do not stop tsc from emitting.
 */
export function ensureBuilt(): void {
  const out = join(ROOT, 'dist', 'commands', 'validate.js');
  const sources = Math.max(newestMtime(join(ROOT, 'src', 'spec')), newestMtime(join(ROOT, 'src', 'topology')), newestMtime(join(ROOT, 'commands')));
  if (existsSync(out) && statSync(out).mtimeMs >= sources) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'pipe' });
  } catch {
    // tsc exits non-zero on type errors in files other engineers own but still emits.
  }
  // The command manifest (flags, help) must match the commands just built.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'oclif-manifest.mjs')], { stdio: 'pipe' });
  if (!existsSync(out)) throw new Error('build did not produce dist/commands/validate.js');
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/run.js ...args`, as a user runs it. Asynchronous: a synchronous spawn blocks the
 * test worker, and on a loaded machine vitest's worker RPC times out while it waits.
 */
export function ruvector(args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', RUVECTOR_DEBUG: '' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
