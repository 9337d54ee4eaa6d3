import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ruvectorHome } from '../util/home.js';

// lifecycle.ts finds the home through this module.
export { ruvectorHome };

/** What `ruvector emulator start` leaves behind for every later command to find the daemon. */
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
  try {
    const r = JSON.parse(await readFile(recordPath(env), 'utf8')) as Partial<EmulatorRecord>;
    if (typeof r.pid !== 'number' || typeof r.port !== 'number' || typeof r.host !== 'string') return undefined;
    return { pid: r.pid, host: r.host, port: r.port, stateDir: r.stateDir ?? null, startedAt: r.startedAt ?? '' };
  } catch {
    return undefined;
  }
}

export async function writeRecord(r: EmulatorRecord, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await mkdir(ruvectorHome(env), { recursive: true });
  await writeFile(recordPath(env), `${JSON.stringify(r, null, 2)}\n`);
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

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
