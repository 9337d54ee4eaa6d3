/**
 * Which cloud a command talks to. RUVECTOR_EMULATOR_HOST (like PUBSUB_EMULATOR_HOST) points
 * every command at a running emulator; --local uses the emulator daemon and starts it when it
 * is not running; otherwise real Google Cloud with Application Default Credentials.
 */
import { discoverEmulator, probeHealth } from '../emulator/discovery.js';
import { EmulatorLifecycleError, ensureLocalEmulator } from '../emulator/lifecycle.js';
import type { Target } from './clients.js';

export interface TargetRequest {
  local: boolean;
  project: string;
  /** Start the daemon when --local finds none (commands that change state). */
  start?: boolean;
}

export class TargetError extends Error {}

export async function resolveTarget(o: TargetRequest): Promise<Target & { started?: boolean }> {
  const found = await discoverEmulator();
  if (found?.source === 'env') {
    const health = await probeHealth(found);
    if (!health) throw new TargetError(`no emulator answers at RUVECTOR_EMULATOR_HOST=${found.host}:${found.port}`);
    return { kind: 'emulator', project: o.project, host: found.host, port: found.port, timeScale: health.latencyScale };
  }
  if (!o.local) return { kind: 'gcp', project: o.project };
  // On stderr, so --json output stays one document.
  const local = await ensureLocalEmulator({ start: o.start ?? false, onNote: (line) => process.stderr.write(`${line}\n`) }).catch((e: unknown) => {
    throw e instanceof EmulatorLifecycleError ? new TargetError(e.message) : e;
  });
  return { kind: 'emulator', project: o.project, host: local.host, port: local.port, timeScale: local.latencyScale, started: local.how === 'started' };
}

export function describeTarget(t: Target): string {
  return t.kind === 'gcp' ? `Google Cloud project ${t.project}` : `local emulator at ${t.host}:${t.port} (project ${t.project})`;
}
