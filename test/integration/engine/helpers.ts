/**
 * Engine acceptance harness: an in-process emulator, specs from the shipped templates, and a
 * Session pointed at the emulator exactly as `--local` would be.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseSpec, type Spec } from '../../../src/spec/index.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../src/emulator/server.js';
import { Session, type SessionOptions } from '../../../src/engine/session.js';
import type { ApplyResult } from '../../../src/engine/apply.js';
import { ROOT } from '../../build.js';

export const LATENCY = 0.001;

type Doc = Record<string, unknown>;

/** A shipped template, as a user deploys it, optionally edited (a change to roll out). */
export function templateSpec(name: 'production' | 'local' | 'regional', mutate?: (doc: Doc) => void): Spec {
  const path = join(process.cwd(), 'templates', `${name}.yaml`);
  return parseSpec(templateYaml(name, mutate), path).spec;
}

/** The same, as YAML text (for the CLI as a child process). */
export function templateYaml(name: 'production' | 'local' | 'regional', mutate?: (doc: Doc) => void): string {
  const path = join(process.cwd(), 'templates', `${name}.yaml`);
  const doc = parse(readFileSync(path, 'utf8')) as Doc;
  mutate?.(doc);
  return stringify(doc);
}

export async function startTestEmulator(o: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, latencyScale: LATENCY, quotas: 'unlimited', ...o });
}

export class Homes {
  private dirs: string[] = [];
  make(): string {
    const d = mkdtempSync(join(tmpdir(), 'rv-engine-home-'));
    this.dirs.push(d);
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export function sessionFor(spec: Spec, emu: RunningEmulator, home: string, regions?: string[], more: Omit<SessionOptions, 'home' | 'regions'> = {}): Session {
  return new Session(spec, { kind: 'emulator', project: spec.project, host: emu.host, port: emu.port, timeScale: LATENCY }, { home, regions, ...more });
}

/** plan + apply once. */
export async function deployOnce(s: Session): Promise<ApplyResult> {
  const { plan, observed } = await s.plan();
  return s.apply(plan, observed);
}

/** Deploy, re-running after failures like an operator would (resume), up to `max` runs. */
export async function deployUntilOk(s: Session, max = 4): Promise<{ result: ApplyResult; runs: number }> {
  let result = await deployOnce(s);
  let runs = 1;
  while (!result.ok && runs < max) {
    result = await deployOnce(s);
    runs++;
  }
  return { result, runs };
}

export function failures(r: ApplyResult): string {
  return JSON.stringify(r.results.filter((x) => x.status !== 'done').slice(0, 5), null, 1);
}


export { ensureBuilt, ROOT } from '../../build.js';
export const CLI = join(ROOT, 'bin', 'run.js');

export function cliEnv(emu: RunningEmulator, home: string): NodeJS.ProcessEnv {
  return { ...process.env, RUVECTOR_EMULATOR_HOST: `${emu.host}:${emu.port}`, RUVECTOR_HOME: home, NO_COLOR: '1', RUVECTOR_DEBUG: '' };
}
