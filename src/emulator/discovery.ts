import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ruvectorHome } from '../util/home.js';
import { writeFileAtomic } from './atomic-file.js';

// lifecycle.ts finds the home through this module.
export { ruvectorHome };

/**
 * What a running daemon leaves for every later command to find it: written by the daemon
 * itself once it listens (so no daemon runs without one), removed when it stops.
 */
export interface EmulatorRecord {
  pid: number;
  host: string;
  port: number;
  stateDir: string | null;
  startedAt: string;
}

export interface EmulatorAddress {
  host: string;
  port: number;
  /** Where the address came from: RUVECTOR_EMULATOR_HOST, or the daemon's record file. */
  source: 'env' | 'file';
  record?: EmulatorRecord;
}

export interface EmulatorHealth {
  ok: boolean;
  pid: number;
  port: number;
  stateDir: string | null;
  uptimeMs: number;
  modules: string[];
  latencyScale: number;
  quotas: string;
  requests?: { total: number; writes: number; faults: number };
  dataPlane?: boolean;
}

export function recordPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(ruvectorHome(env), 'emulator.json');
}

export async function readRecord(env: NodeJS.ProcessEnv = process.env): Promise<EmulatorRecord | undefined> {
  return readRecordFile(recordPath(env));
}

/** A record file's content; undefined when it is missing or not a record. */
export async function readRecordFile(file: string): Promise<EmulatorRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as Partial<EmulatorRecord>;
    if (typeof r.pid !== 'number' || typeof r.port !== 'number' || typeof r.host !== 'string') return undefined;
    return { pid: r.pid, host: r.host, port: r.port, stateDir: r.stateDir ?? null, startedAt: r.startedAt ?? '' };
  } catch {
    return undefined;
  }
}

export async function writeRecord(r: EmulatorRecord, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await mkdir(ruvectorHome(env), { recursive: true });
  await writeFileAtomic(recordPath(env), `${JSON.stringify(r, null, 2)}\n`);
}

export async function removeRecord(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(recordPath(env), { force: true });
}

/** "host:port", "[::1]:port" or "http://host:port" -> parts; undefined when malformed. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const v = value.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * Where the emulator is: RUVECTOR_EMULATOR_HOST=host:port wins (a user pointing at an
 * emulator they run themselves), else the record `emulator start` wrote. It does not probe.
 */
export async function discoverEmulator(env: NodeJS.ProcessEnv = process.env): Promise<EmulatorAddress | undefined> {
  const fromEnv = env.RUVECTOR_EMULATOR_HOST;
  if (fromEnv) {
    const hp = parseHostPort(fromEnv);
    if (!hp) throw new Error(`RUVECTOR_EMULATOR_HOST must be host:port, got '${fromEnv}'`);
    return { ...hp, source: 'env' };
  }
  const record = await readRecord(env);
  return record ? { host: record.host, port: record.port, source: 'file', record } : undefined;
}

export function emulatorUrl(a: { host: string; port: number }): string {
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** GET /__emulator/health; undefined when nothing healthy answers in time. */
export async function probeHealth(a: { host: string; port: number }, timeoutMs = 1500): Promise<EmulatorHealth | undefined> {
  try {
    const r = await fetch(`${emulatorUrl(a)}/__emulator/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return undefined;
    const h = (await r.json()) as EmulatorHealth;
    return h.ok ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a running emulator daemon: alive and, where /proc shows command lines,
 * running daemon.js/daemon.ts. A record or lock left by a killed daemon can name a pid the
 * system has since given to an unrelated process; that one must never be signalled.
 */
export function isDaemonProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc (macOS): alive is all that can be known
  }
  return /emulator[/\\]daemon\.[jt]s/.test(cmdline);
}

/** The lock a daemon holds on its state directory: one daemon per world. */
export interface StateLock {
  pid: number;
  host?: string;
  port?: number;
  startedAt: string;
  /** The record file the daemon keeps (which RUVECTOR_HOME it belongs to). */
  record?: string;
}

export function stateLockPath(stateDir: string): string {
  return join(stateDir, 'emulator.lock');
}

export async function readStateLock(stateDir: string): Promise<StateLock | undefined> {
  try {
    const l = JSON.parse(await readFile(stateLockPath(stateDir), 'utf8')) as Partial<StateLock>;
    if (typeof l.pid !== 'number') return undefined;
    return {
      pid: l.pid,
      host: typeof l.host === 'string' ? l.host : undefined,
      port: typeof l.port === 'number' ? l.port : undefined,
      startedAt: l.startedAt ?? '',
      record: typeof l.record === 'string' ? l.record : undefined,
    };
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
