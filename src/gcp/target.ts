/**
 * Which cloud a command talks to. RUVECTOR_EMULATOR_HOST (like PUBSUB_EMULATOR_HOST) points
 * every command at a running emulator; --local uses the emulator daemon and starts it when it
 * is not running; otherwise real Google Cloud with Application Default Credentials.
 */
import { join } from 'node:path';
import { discoverEmulator, probeHealth } from '../emulator/discovery.js';
import { ruvectorHome } from '../util/home.js';
import { startDaemon } from '../emulator/lifecycle.js';
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
  if (found) {
    const health = await probeHealth(found);
    if (health) return { kind: 'emulator', project: o.project, host: found.host, port: found.port, timeScale: health.latencyScale };
  }
  if (!o.start) throw new TargetError('the local emulator is not running: start it with `ruvector emulator start` (deploy --local starts it for you)');
  const r = await startDaemon({
    port: 0,
    stateDir: join(ruvectorHome(), 'emulator-state'),
    latencyScale: 0.01,
    faultRate: 0,
    seed: 1,
    quotas: 'gcp-defaults',
  });
  return { kind: 'emulator', project: o.project, host: r.host, port: r.port, timeScale: 0.01, started: true };
}

export function describeTarget(t: Target): string {
  return t.kind === 'gcp' ? `Google Cloud project ${t.project}` : `local emulator at ${t.host}:${t.port} (project ${t.project})`;
}
