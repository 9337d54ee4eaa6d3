/**
 * Child processes the data plane owns: spawned in their own process group so a stop takes
 * their children too, output kept in a small ring for diagnostics, SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last lines of stdout+stderr. */
  tail(): string[];
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when gone. */
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
}

export function spawnChild(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; keepLines?: number; onLine?: (line: string) => void }): Child {
  const proc = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const keep = opts.keepLines ?? 50;
  const take = (buf: Buffer) => {
    for (const l of buf.toString('utf8').split('\n')) {
      if (!l.trim()) continue;
      lines.push(l.length > 2000 ? `${l.slice(0, 2000)}…` : l);
      if (lines.length > keep) lines.shift();
      opts.onLine?.(l);
    }
  };
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
  let gone = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      gone = true;
      resolve(code ?? signal ?? 'unknown');
    });
    proc.once('error', (e) => {
      gone = true;
      lines.push(String(e.message));
      resolve('spawn-error');
    });
  });
  const kill = (sig: NodeJS.Signals) => {
    if (gone || proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      try {
        proc.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  return {
    proc,
    pid: proc.pid ?? -1,
    tail: () => [...lines],
    exited,
    alive: () => !gone,
    async stop(graceMs = 3000) {
      if (gone) return;
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}
