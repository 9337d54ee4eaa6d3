import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  discoverEmulator, emulatorUrl, isProcessAlive, probeHealth, readRecord, removeRecord, ruvectorHome, writeRecord,
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

export async function startDaemon(o: StartOptions, env: NodeJS.ProcessEnv = process.env): Promise<EmulatorRecord & { url: string; logFile: string }> {
  const existing = await readRecord(env);
  if (existing && isProcessAlive(existing.pid) && (await probeHealth(existing, 5000))) {
    throw new EmulatorLifecycleError(`The emulator is already running at ${emulatorUrl(existing)} (pid ${existing.pid}). Stop it first with: ruvector emulator stop`);
  }
  if (existing) await removeRecord(env);
  const home = ruvectorHome(env);
  await mkdir(home, { recursive: true });
  await mkdir(o.stateDir, { recursive: true });
  const logFile = join(home, 'emulator.log');
  const readyFile = join(home, `emulator.ready.${process.pid}.${Date.now()}`);
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
    '--ready-file', readyFile,
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
  try {
    while (Date.now() < deadline) {
      if (exitCode !== null) {
        const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
        const fatal = lines.filter((l) => l.startsWith('fatal: ')).pop();
        if (fatal) throw new EmulatorLifecycleError(`The emulator could not start: ${fatal.slice('fatal: '.length)}`);
        throw new EmulatorLifecycleError(`The emulator exited during startup (code ${exitCode}). Last log lines (${logFile}):\n${lines.slice(-5).join('\n')}`);
      }
      if (existsSync(readyFile)) {
        const ready = JSON.parse(await readFile(readyFile, 'utf8')) as { pid: number; host: string; port: number };
        if (await probeHealth(ready)) {
          const record: EmulatorRecord = { pid: ready.pid, host: ready.host, port: ready.port, stateDir: o.stateDir, startedAt: new Date().toISOString() };
          await writeRecord(record, env);
          return { ...record, url: emulatorUrl(record), logFile };
        }
      }
      await sleep(50);
    }
    if (child.pid) process.kill(child.pid, 'SIGTERM');
    throw new EmulatorLifecycleError(`The emulator did not become healthy within ${Math.round((o.timeoutMs ?? 20_000) / 1000)} s; see ${logFile}`);
  } finally {
    await rm(readyFile, { force: true });
  }
}

export interface StopResult {
  wasRunning: boolean;
  pid?: number;
  forced?: boolean;
}

/** SIGTERM, wait for a clean exit (state flushed), SIGKILL only as a last resort; then forget the record. */
export async function stopDaemon(env: NodeJS.ProcessEnv = process.env, timeoutMs = 15_000): Promise<StopResult> {
  const record = await readRecord(env);
  if (!record) return { wasRunning: false };
  if (!isProcessAlive(record.pid)) {
    await removeRecord(env);
    return { wasRunning: false, pid: record.pid };
  }
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(record.pid) && Date.now() < deadline) await sleep(50);
  let forced = false;
  if (isProcessAlive(record.pid)) {
    process.kill(record.pid, 'SIGKILL');
    forced = true;
    while (isProcessAlive(record.pid)) await sleep(20);
  }
  await removeRecord(env);
  return { wasRunning: true, pid: record.pid, forced };
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
  /** A record exists but nothing answers there (crashed daemon). */
  stale?: boolean;
}

export async function daemonStatus(env: NodeJS.ProcessEnv = process.env): Promise<StatusResult> {
  const addr = await discoverEmulator(env);
  if (!addr) return { running: false };
  // Generous: a busy machine can take seconds to answer, and "not running" would be a lie.
  const health = await probeHealth(addr, 5000);
  const base = { source: addr.source, url: emulatorUrl(addr), host: addr.host, port: addr.port, ...(addr.record ? { pid: addr.record.pid, stateDir: addr.record.stateDir, startedAt: addr.record.startedAt } : {}) };
  if (!health) return { running: false, ...base, stale: true };
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
