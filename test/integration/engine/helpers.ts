/**
 * Engine acceptance harness: an in-process emulator, specs from the shipped templates, and a
 * Session pointed at the emulator exactly as `--local` would be.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseSpec, type Spec } from '../../../src/spec/index.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../src/emulator/server.js';
import { Session } from '../../../src/engine/session.js';
import type { ApplyResult } from '../../../src/engine/apply.js';

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

export function sessionFor(spec: Spec, emu: RunningEmulator, home: string, regions?: string[]): Session {
  return new Session(spec, { kind: 'emulator', project: spec.project, host: emu.host, port: emu.port, timeScale: LATENCY }, { home, regions });
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

/** `node bin/run.js`, built first when dist/ is older than the sources. */
export function ensureBuilt(): void {
  const out = join(ROOT, 'dist', 'commands', 'deploy.js');
  const newest = (dir: string): number => {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      n = Math.max(n, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }
    return n;
  };
  const src = Math.max(...['src', 'commands'].map((d) => newest(join(ROOT, d))));
  if (existsSync(out) && statSync(out).mtimeMs >= src) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'pipe' });
  } catch {
    // tsc exits non-zero on type errors in files other engineers own but still emits.
  }
  // The command manifest (flags, help) must match the commands just built.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'oclif-manifest.mjs')], { stdio: 'pipe' });
  if (!existsSync(out)) throw new Error('build did not produce dist/commands/deploy.js');
}

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(ROOT, 'bin', 'run.js');

export function cliEnv(emu: RunningEmulator, home: string): NodeJS.ProcessEnv {
  return { ...process.env, RUVECTOR_EMULATOR_HOST: `${emu.host}:${emu.port}`, RUVECTOR_HOME: home, NO_COLOR: '1', RUVECTOR_DEBUG: '' };
}
