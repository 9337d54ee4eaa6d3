/**
 * Starts a replayed image's CMD as a container would: from its WORKDIR, as its USER (when this
 * process is root and can switch), with only the image's ENV and what the platform passes (no
 * variables leak in from this shell but PATH, standing for the image's PATH to node). Its
 * HEALTHCHECK runs the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BuiltImage } from './build.js';

export interface RunningImage {
  proc: ChildProcess;
  /** stdout and stderr lines so far. */
  logs: string[];
  /** Who the process runs as: the image's user, or this process's when it cannot switch. */
  runsAs: string;
  /** Runs the HEALTHCHECK command once: true when it exits 0 within `timeoutMs`. */
  healthcheck(timeoutMs?: number): Promise<boolean>;
  /** SIGTERM (SIGKILL after 12 s), then the exit code or signal and how long the drain took. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

function identity(img: BuiltImage): { uid?: number; gid?: number; runsAs: string } {
  const user = img.final.user;
  if (user === undefined || user === 'root' || user === '0') return { runsAs: 'root' };
  const [u, g] = user.split(':');
  const known = img.users.get(u!);
  const uid = known?.uid ?? (/^\d+$/.test(u!) ? Number(u) : undefined);
  const gid = g !== undefined && /^\d+$/.test(g) ? Number(g) : (known?.gid ?? uid);
  if (uid === undefined || gid === undefined) throw new Error(`USER ${user}: the image never adds that user`);
  if (process.getuid?.() !== 0) return { runsAs: `uid ${process.getuid?.()} (not root here, so not ${user})` };
  return { uid, gid, runsAs: `${user} (uid ${uid}, gid ${gid})` };
}

export function startImage(img: BuiltImage, platformEnv: Record<string, string>): RunningImage {
  const { uid, gid, runsAs } = identity(img);
  const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...img.final.env, ...platformEnv };
  const cwd = join(img.final.root, img.final.workdir);
  const ids = uid === undefined ? {} : { uid, gid: gid! };
  const [file, ...args] = img.final.cmd;
  const proc = spawn(file!, args, { cwd, env, ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const collect = (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean));
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    logs,
    runsAs,
    healthcheck(timeoutMs = 3000) {
      const hc = img.final.healthcheck;
      if (!hc) return Promise.resolve(true);
      return new Promise((resolve) => {
        const [f, ...a] = hc;
        const p = spawn(f!, a, { cwd, env, ...ids, stdio: 'ignore', timeout: timeoutMs });
        p.on('error', () => resolve(false));
        p.on('exit', (code) => resolve(code === 0));
      });
    },
    async stop() {
      const t = performance.now();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      // Past Cloud Run's 10 s grace the platform kills; so does this, and the result shows it.
      const kill = setTimeout(() => proc.kill('SIGKILL'), 12_000);
      const r = await exited;
      clearTimeout(kill);
      return { ...r, ms: performance.now() - t };
    },
  };
}
