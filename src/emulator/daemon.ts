/**
 * The emulator as a background process: `ruvector emulator start` spawns this detached
 * (node dist/src/emulator/daemon.js ...) and waits for the record it writes.
 * SIGTERM/SIGINT stop it cleanly: in-flight operations land and state is flushed to --state.
 *
 * Before it loads a state directory it takes that directory's lock, so two daemons never
 * serve (and overwrite) one world; once it listens it writes its own record (--record), so
 * a daemon is never left running without one because the starting CLI died or misread it.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createFileExclusive, writeFileAtomic } from './atomic-file.js';
import { emulatorUrl, isDaemonProcess, readRecordFile, readStateLock, stateLockPath, type EmulatorRecord } from './discovery.js';
import { startEmulator } from './server.js';
import type { QuotaMode } from './core/quotas.js';
import type { DataPlane } from './core/types.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    state: { type: 'string' },
    'latency-scale': { type: 'string', default: '0.01' },
    'fault-rate': { type: 'string', default: '0' },
    'fault-delay-rate': { type: 'string', default: '0' },
    'fault-delay-ms': { type: 'string', default: '0' },
    'consistency-delay-ms': { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    quotas: { type: 'string', default: 'gcp-defaults' },
    /** Where to write this daemon's record (the CLI's $RUVECTOR_HOME/emulator.json). */
    record: { type: 'string' },
    // Seam for issue 7: a module whose default export (or createDataPlane) builds the DataPlane;
    // default: src/emulator/dataplane; 'none' for the control plane alone.
    'data-plane': { type: 'string' },
  },
});

function num(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
  return n;
}

const quotas = values.quotas as QuotaMode;
if (quotas !== 'gcp-defaults' && quotas !== 'unlimited') throw new Error(`--quotas must be gcp-defaults or unlimited, got '${values.quotas}'`);

async function loadDataPlane(spec: string | undefined): Promise<DataPlane | undefined> {
  // The local data plane runs by default; `--data-plane none` is the control plane alone.
  if (spec === 'none') return undefined;
  if (!spec) return (await import('./dataplane/index.js')).createDataPlane();
  const mod = (await import(spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(resolve(spec)).href : spec)) as {
    default?: DataPlane | (() => DataPlane | Promise<DataPlane>);
    createDataPlane?: () => DataPlane | Promise<DataPlane>;
  };
  const made = mod.createDataPlane ?? mod.default;
  if (!made) throw new Error(`--data-plane ${spec} exports neither createDataPlane() nor a default`);
  return typeof made === 'function' ? await made() : made;
}

/** Files this daemon owns and removes on the way out (only while they still name it). */
const owned: string[] = [];

async function releaseOwned(): Promise<void> {
  for (const file of owned) {
    const holder = await readFile(file, 'utf8').then((t) => (JSON.parse(t) as { pid?: number }).pid, () => undefined).catch(() => undefined);
    if (holder === process.pid) await rm(file, { force: true });
  }
}

/** One line the starting CLI shows the user (it reads `fatal:` lines from the log). */
async function fatal(message: string): Promise<never> {
  await releaseOwned().catch(() => undefined);
  console.error(`fatal: ${message}`);
  process.exit(1);
}

/**
 * Take `file` for this process: created exclusively; a holder that is no longer a running
 * daemon (killed, its pid reused) is replaced. Returns the live holder's pid when there is one.
 */
async function claim(file: string, content: () => string, holderOf: () => Promise<number | undefined>): Promise<number | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createFileExclusive(file, content())) {
      owned.push(file);
      return undefined;
    }
    const holder = await holderOf();
    if (holder !== undefined && holder !== process.pid && isDaemonProcess(holder)) return holder;
    await rm(file, { force: true });
  }
  return fatal(`could not take ${file}: another process keeps creating it`);
}

const stateDir = values.state ? resolve(values.state) : undefined;
const startedAt = new Date().toISOString();
if (stateDir) {
  await mkdir(stateDir, { recursive: true });
  const lock = stateLockPath(stateDir);
  const holder = await claim(lock, () => JSON.stringify({ pid: process.pid, startedAt }), async () => (await readStateLock(stateDir))?.pid);
  if (holder !== undefined) {
    const l = await readStateLock(stateDir);
    const where = l?.host && l.port ? ` at ${emulatorUrl({ host: l.host, port: l.port })}` : '';
    await fatal(`state directory ${stateDir} is in use by another emulator (pid ${holder}${where}); stop it first (ruvector emulator stop), or choose another --state`);
  }
}

const emu = await startEmulator({
  dataPlane: await loadDataPlane(values['data-plane']),
  port: num('port', values.port),
  host: values.host,
  stateDir,
  latencyScale: num('latency-scale', values['latency-scale']),
  faultRate: num('fault-rate', values['fault-rate']),
  faultDelayRate: num('fault-delay-rate', values['fault-delay-rate']),
  faultDelayMs: num('fault-delay-ms', values['fault-delay-ms']),
  consistencyDelayMs: num('consistency-delay-ms', values['consistency-delay-ms']),
  seed: num('seed', values.seed),
  quotas,
}).catch((e: NodeJS.ErrnoException) => {
  if (e.code === 'EADDRINUSE') return fatal(`port ${values.port} on ${values.host} is already in use; pick another with --port (0 = any free port)`);
  if (e.code === 'EACCES') return fatal(`not allowed to listen on port ${values.port}`);
  return fatal(e.message);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${new Date().toISOString()} ${signal}: stopping`);
  try {
    await emu.stop();
    await releaseOwned();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// Now that the address is known: on the lock (so a daemon without a record can be found and
// named), then in the record. Both are replaced whole, never seen half-written.
const recordFile = values.record ? resolve(values.record) : undefined;
if (stateDir) await writeFileAtomic(stateLockPath(stateDir), JSON.stringify({ pid: process.pid, host: emu.host, port: emu.port, startedAt, record: recordFile }));
if (recordFile) {
  const record: EmulatorRecord = { pid: process.pid, host: emu.host, port: emu.port, stateDir: stateDir ?? null, startedAt };
  const holder = await claim(recordFile, () => `${JSON.stringify(record, null, 2)}\n`, async () => (await readRecordFile(recordFile))?.pid);
  if (holder !== undefined) {
    const other = await readRecordFile(recordFile);
    await emu.stop();
    await fatal(`another emulator is already running${other ? ` at ${emulatorUrl(other)}` : ''} (pid ${holder}); stop it first with: ruvector emulator stop`);
  }
}
console.log(`${new Date().toISOString()} emulator listening on ${emu.url} (pid ${process.pid}, state ${stateDir ?? 'in memory'})`);
