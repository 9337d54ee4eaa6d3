/**
 * The emulator as a background process: `ruvector emulator start` spawns this detached
 * (node dist/src/emulator/daemon.js ...), waits for the ready file, then records the address.
 * SIGTERM/SIGINT stop it cleanly: in-flight operations land and state is flushed to --state.
 */
import { rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
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
    'ready-file': { type: 'string' },
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

/** One line the starting CLI shows the user (it reads `fatal:` lines from the log). */
function fatal(message: string): never {
  console.error(`fatal: ${message}`);
  process.exit(1);
}

const emu = await startEmulator({
  dataPlane: await loadDataPlane(values['data-plane']),
  port: num('port', values.port),
  host: values.host,
  stateDir: values.state,
  latencyScale: num('latency-scale', values['latency-scale']),
  faultRate: num('fault-rate', values['fault-rate']),
  faultDelayRate: num('fault-delay-rate', values['fault-delay-rate']),
  faultDelayMs: num('fault-delay-ms', values['fault-delay-ms']),
  consistencyDelayMs: num('consistency-delay-ms', values['consistency-delay-ms']),
  seed: num('seed', values.seed),
  quotas,
}).catch((e: NodeJS.ErrnoException) => {
  if (e.code === 'EADDRINUSE') fatal(`port ${values.port} on ${values.host} is already in use; pick another with --port (0 = any free port)`);
  if (e.code === 'EACCES') fatal(`not allowed to listen on port ${values.port}`);
  fatal(e.message);
});

const readyFile = values['ready-file'];
if (readyFile) await writeFile(readyFile, JSON.stringify({ pid: process.pid, host: emu.host, port: emu.port }));
console.log(`${new Date().toISOString()} emulator listening on ${emu.url} (pid ${process.pid}, state ${values.state ?? 'in memory'})`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${new Date().toISOString()} ${signal}: stopping`);
  try {
    await emu.stop();
    if (readyFile) await rm(readyFile, { force: true });
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
