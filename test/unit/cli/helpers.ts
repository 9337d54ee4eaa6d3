import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../build.js';

export { ensureBuilt, ROOT } from '../../build.js';

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
