import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  discoverEmulator, emulatorUrl, isDaemonProcess, isProcessAlive, probeHealth, readRecord, readStateLock, recordPath, removeRecord, ruvectorHome, writeRecord,
  type EmulatorHealth, type EmulatorRecord,
} from './discovery.js';

export interface StartOptions {
  port: number;
  host?: string;
  stateDir: string;
  latencyScale: number;
  faultRate: number;
  faultDelayRate?: number;
  faultDelayMs?: number;
  consistencyDelayMs?: number;
  seed: number;
  quotas: 'gcp-defaults' | 'unlimited';
  /** Module that builds the local data plane (issue 7); passed to the daemon as --data-plane. */
  dataPlane?: string;
  /** How long to wait for the daemon to answer health checks. */
  timeoutMs?: number;
}

/** A problem the user can fix (already running, port taken, ...): the CLI prints the message only. */
export class EmulatorLifecycleError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The daemon entry next to this file: compiled .js, or the .ts source under tsx. */
function daemonCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return ['--import', 'tsx', join(here, '..', 'daemon.ts')];
  return [join(here, '..', 'daemon.js')];
}

/** Where a recorded daemon stands: answering, alive but silent, or gone. */
type RecordState =
  | { kind: 'none' }
  | { kind: 'running'; record: EmulatorRecord; health: EmulatorHealth }
  | { kind: 'silent'; record: EmulatorRecord }
  | { kind: 'stale'; record: EmulatorRecord };

async function recordState(env: NodeJS.ProcessEnv): Promise<RecordState> {
  const record = await readRecord(env);
  if (!record) return { kind: 'none' };
  if (!isDaemonProcess(record.pid)) return { kind: 'stale', record };
  // Generous: a busy machine can take seconds to answer, and "not running" would be a lie.
  const health = await probeHealth(record, 5000);
  // The answer must come from the recorded daemon: another emulator on the same port is another world.
  if (health && health.pid === record.pid) return { kind: 'running', record, health };
  return { kind: 'silent', record };
}

/**
 * The daemon serving `stateDir`, found by the lock it holds on the directory. When it belongs
 * to this RUVECTOR_HOME and has no record (its start was cut short before the record was
 * written, or the record was deleted), the record is written again, so every later command
 * finds it the usual way; a daemon of another home is only reported.
 */
async function lockHolder(stateDir: string, env: NodeJS.ProcessEnv): Promise<(EmulatorRecord & { health: EmulatorHealth; ours: boolean }) | undefined> {
  const lock = await readStateLock(stateDir);
  if (!lock || lock.host === undefined || lock.port === undefined || !isDaemonProcess(lock.pid)) return undefined;
  const health = await probeHealth({ host: lock.host, port: lock.port }, 5000);
  if (!health || health.pid !== lock.pid) return undefined;
  const record: EmulatorRecord = { pid: lock.pid, host: lock.host, port: lock.port, stateDir, startedAt: lock.startedAt };
  const ours = lock.record === undefined || resolve(lock.record) === resolve(recordPath(env));
  if (ours) await writeRecord(record, env);
  return { ...record, health, ours };
}

const inUseMessage = (stateDir: string, d: EmulatorRecord) =>
  `state directory ${stateDir} is in use by another emulator (pid ${d.pid} at ${emulatorUrl(d)}); stop it first (ruvector emulator stop), or choose another --state`;

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(ruvectorHome(env), 'emulator-state');
}

const silentMessage = (r: EmulatorRecord) =>
  `The emulator recorded at ${emulatorUrl(r)} (pid ${r.pid}) is running but does not answer; it was not replaced. Stop it with: ruvector emulator stop`;

export async function startDaemon(o: StartOptions, env: NodeJS.ProcessEnv = process.env): Promise<EmulatorRecord & { url: string; logFile: string }> {
  const state = await recordState(env);
  if (state.kind === 'running') {
    throw new EmulatorLifecycleError(`The emulator is already running at ${emulatorUrl(state.record)} (pid ${state.record.pid}). Stop it first with: ruvector emulator stop`);
  }
  if (state.kind === 'silent') throw new EmulatorLifecycleError(silentMessage(state.record));
  if (state.kind === 'stale') await removeRecord(env);
  const found = await lockHolder(o.stateDir, env);
  if (found && !found.ours) throw new EmulatorLifecycleError(inUseMessage(o.stateDir, found));
  if (found) {
    throw new EmulatorLifecycleError(
      `An emulator is already running at ${emulatorUrl(found)} (pid ${found.pid}, state ${o.stateDir}) without a record (an earlier start was cut short); it is recorded again. Stop it first with: ruvector emulator stop`,
    );
  }
  const home = ruvectorHome(env);
  await mkdir(home, { recursive: true });
  await mkdir(o.stateDir, { recursive: true });
  const logFile = join(home, 'emulator.log');
  const log = await open(logFile, 'a');
  const args = [
    ...daemonCommand(),
    '--port', String(o.port),
    '--host', o.host ?? '127.0.0.1',
    '--state', o.stateDir,
    '--latency-scale', String(o.latencyScale),
    '--fault-rate', String(o.faultRate),
    '--fault-delay-rate', String(o.faultDelayRate ?? 0),
    '--fault-delay-ms', String(o.faultDelayMs ?? 0),
    '--consistency-delay-ms', String(o.consistencyDelayMs ?? 0),
    '--seed', String(o.seed),
    '--quotas', o.quotas,
    '--record', recordPath(env),
    ...(o.dataPlane ? ['--data-plane', o.dataPlane] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env });
  let exitCode: number | null = null;
  child.on('exit', (code) => {
    exitCode = code ?? 1;
  });
  child.unref();
  await log.close();

  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      const fatal = lines.filter((l) => l.startsWith('fatal: ')).pop();
      if (fatal) throw new EmulatorLifecycleError(`The emulator could not start: ${fatal.slice('fatal: '.length)}`);
      throw new EmulatorLifecycleError(`The emulator exited during startup (code ${exitCode}). Last log lines (${logFile}):\n${lines.slice(-5).join('\n')}`);
    }
    // The daemon writes its record whole (rename), once it listens: ours when it names our child.
    const record = await readRecord(env);
    if (record && record.pid === child.pid && (await probeHealth(record))) return { ...record, url: emulatorUrl(record), logFile };
    await sleep(50);
  }
  if (child.pid) process.kill(child.pid, 'SIGTERM');
  throw new EmulatorLifecycleError(`The emulator did not become healthy within ${Math.round((o.timeoutMs ?? 20_000) / 1000)} s; see ${logFile}`);
}

/** What `--local` runs against, and how it was found. */
export interface LocalEmulator {
  host: string;
  port: number;
  latencyScale: number;
  how: 'recorded' | 'found-unrecorded' | 'started';
}

/**
 * The emulator a `--local` command acts on: the one the user started (its record), else one
 * found serving the default state directory without a record (recorded again and told), else
 * (with `start`) a new one, told too. A recorded daemon that does not answer is an error, not
 * a reason to start a second emulator on the same world.
 */
export async function ensureLocalEmulator(o: { start: boolean; onNote?: (line: string) => void }, env: NodeJS.ProcessEnv = process.env): Promise<LocalEmulator> {
  const state = await recordState(env);
  if (state.kind === 'running') return { host: state.record.host, port: state.record.port, latencyScale: state.health.latencyScale, how: 'recorded' };
  if (state.kind === 'silent') throw new EmulatorLifecycleError(silentMessage(state.record));
  if (state.kind === 'stale') await removeRecord(env);
  const stateDir = defaultStateDir(env);
  const found = await lockHolder(stateDir, env);
  if (found && !found.ours) throw new EmulatorLifecycleError(inUseMessage(stateDir, found));
  if (found) {
    o.onNote?.(`Found the local emulator at ${emulatorUrl(found)} (pid ${found.pid}, state ${stateDir}) running without a record; recorded it again and using it.`);
    return { host: found.host, port: found.port, latencyScale: found.health.latencyScale, how: 'found-unrecorded' };
  }
  if (!o.start) throw new EmulatorLifecycleError('the local emulator is not running: start it with `ruvector emulator start` (deploy --local starts it for you)');
  const latencyScale = 0.01;
  const r = await startDaemon({ port: 0, stateDir, latencyScale, faultRate: 0, seed: 1, quotas: 'gcp-defaults' }, env);
  o.onNote?.(`Started the local emulator at ${r.url} (pid ${r.pid}, state ${stateDir}); stop it with: ruvector emulator stop`);
  return { host: r.host, port: r.port, latencyScale, how: 'started' };
}

export interface StopResult {
  wasRunning: boolean;
  pid?: number;
  forced?: boolean;
  /** It had no record: found by its lock on the default state directory. */
  unrecorded?: boolean;
}

/**
 * SIGTERM, wait for a clean exit (state flushed), SIGKILL only as a last resort; then forget
 * the record. A daemon serving the default state directory without a record is stopped too.
 */
export async function stopDaemon(env: NodeJS.ProcessEnv = process.env, timeoutMs = 15_000): Promise<StopResult> {
  let record = await readRecord(env);
  let unrecorded = false;
  if (!record || !isDaemonProcess(record.pid)) {
    if (record) await removeRecord(env);
    const lock = await readStateLock(defaultStateDir(env));
    // Only a daemon of this home: one started from another RUVECTOR_HOME is not ours to stop.
    const ours = lock && (lock.record === undefined || resolve(lock.record) === resolve(recordPath(env)));
    if (!lock || !ours || !isDaemonProcess(lock.pid)) return { wasRunning: false, ...(record ? { pid: record.pid } : {}) };
    record = { pid: lock.pid, host: lock.host ?? '127.0.0.1', port: lock.port ?? 0, stateDir: defaultStateDir(env), startedAt: lock.startedAt };
    unrecorded = true;
  }
  const pid = record.pid;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
  let forced = false;
  if (isProcessAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    forced = true;
    while (isProcessAlive(pid)) await sleep(20);
  }
  // The daemon removes its own record on a clean exit; this covers a forced one.
  if ((await readRecord(env))?.pid === pid) await removeRecord(env);
  return { wasRunning: true, pid, forced, ...(unrecorded ? { unrecorded } : {}) };
}

export interface StatusResult {
  running: boolean;
  source?: 'env' | 'file';
  url?: string;
  host?: string;
  port?: number;
  pid?: number;
  stateDir?: string | null;
  startedAt?: string;
  health?: EmulatorHealth;
  /** A record exists but nothing answers there (crashed daemon), or another emulator does. */
  stale?: boolean;
  /** The pid of the other emulator answering at a stale record's address. */
  answeredBy?: number;
  /** Found by its state-directory lock without a record; the record was written again. */
  restoredRecord?: boolean;
}

export async function daemonStatus(env: NodeJS.ProcessEnv = process.env): Promise<StatusResult> {
  const addr = await discoverEmulator(env);
  if (!addr) {
    const found = await lockHolder(defaultStateDir(env), env);
    if (!found?.ours) return { running: false };
    return { running: true, source: 'file', url: emulatorUrl(found), host: found.host, port: found.port, pid: found.pid, stateDir: found.stateDir, startedAt: found.startedAt, health: found.health, restoredRecord: true };
  }
  // Generous: a busy machine can take seconds to answer, and "not running" would be a lie.
  const health = await probeHealth(addr, 5000);
  const base = { source: addr.source, url: emulatorUrl(addr), host: addr.host, port: addr.port, ...(addr.record ? { pid: addr.record.pid, stateDir: addr.record.stateDir, startedAt: addr.record.startedAt } : {}) };
  // Another emulator answering at the recorded address is not the one that was started.
  if (!health || (addr.record && health.pid !== addr.record.pid)) return { running: false, ...base, stale: true, ...(health ? { answeredBy: health.pid } : {}) };
  return { running: true, ...base, pid: health.pid, stateDir: health.stateDir, health };
}

export async function resetEmulator(env: NodeJS.ProcessEnv = process.env): Promise<{ url: string }> {
  const addr = await discoverEmulator(env);
  if (!addr) throw new EmulatorLifecycleError('No emulator is running. Start one with: ruvector emulator start');
  const url = emulatorUrl(addr);
  const r = await fetch(`${url}/__emulator/reset`, { method: 'POST', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (!r?.ok) throw new EmulatorLifecycleError(`The emulator at ${url} did not accept the reset (${r ? `HTTP ${r.status}` : 'no answer'}).`);
  return { url };
}
