import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Starts the service as the container does (`node dist/service/src/main.js`), or via tsx when not built. */
export async function startChild(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string; logs: string[] }> {
  const dist = join(root, 'dist/service/src/main.js');
  const args = existsSync(dist) ? [dist] : ['--import', 'tsx', join(root, 'service/src/main.ts')];
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const j = JSON.parse(line) as { message?: string; address?: string };
          if (j.message === 'listening' && j.address) resolve(j.address);
        } catch {
          // not JSON
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    proc.on('exit', (code) => reject(new Error(`service exited with ${code}: ${logs.join('\n')}`)));
  });
  return { proc, url, logs };
}

export function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((r) => proc.once('exit', (code) => r(code)));
}

/** How the process ended: its exit code, or the signal that killed it (SIGABRT for a native abort). */
export function ended(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
}
