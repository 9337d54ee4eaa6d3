/** What the commands that reach a target share: finding the spec, the regions, the target and the session. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec, type LoadedSpec } from '../spec/index.js';
import { packageRoot } from '../spec/paths.js';
import { describeTarget, resolveTarget, TargetError } from '../gcp/target.js';
import { Session } from '../engine/session.js';
import type { ReadRetryHook } from '../engine/plan.js';
import { UserError } from './base-command.js';

export interface TargetFlags {
  file?: string;
  regions?: string;
  local: boolean;
  project?: string;
}

/** -f, else ./ruvector.yaml, else (with --local) the local template: the README's quick start. */
export function specPath(flags: TargetFlags): string {
  if (flags.file) return flags.file;
  if (existsSync('ruvector.yaml')) return 'ruvector.yaml';
  if (flags.local) return join(packageRoot(), 'templates', 'local.yaml');
  return 'ruvector.yaml';
}

/**
 * --regions as a list, undefined when the flag is absent. Given but naming no region (`,,`,
 * an empty variable) is refused: taken as absent, it would act on every region.
 */
export function parseRegions(value?: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = [...new Set(value.split(',').map((r) => r.trim()).filter(Boolean))];
  if (list.length === 0) throw new UserError(`--regions: no region given in ${JSON.stringify(value)} (a comma-separated list, e.g. us-central1,europe-west1; leave the flag out for every region)`);
  return list;
}

export async function openSession(flags: TargetFlags, o: { start: boolean }): Promise<{ session: Session; loaded: LoadedSpec; file: string; targetLabel: string }> {
  const file = specPath(flags);
  const regions = parseRegions(flags.regions);
  const loaded = await loadSpec(file);
  // A target that cannot be reached, or no credentials for it, is the user's to fix: a clean message, not a stack.
  const asUserError = (e: unknown): never => {
    throw e instanceof TargetError ? new UserError(e.message) : e;
  };
  const target = await resolveTarget({ local: flags.local, project: flags.project ?? loaded.spec.project, start: o.start }).catch(asUserError);
  // On stderr, so it never mixes into what --json writes on stdout; without it a throttled API is minutes of silence.
  const onReadRetry: ReadRetryHook = (what, c, attempt, delayMs) =>
    process.stderr.write(`retrying ${what} after ${c.httpStatus ?? c.grpcStatus ?? c.kind}: ${c.message.split('\n')[0]!.slice(0, 160)} (try ${attempt + 1} in ${(delayMs / 1000).toFixed(1)} s)\n`);
  const session = new Session(loaded.spec, target, { regions, onReadRetry });
  await session.clients.checkCredentials().catch(asUserError);
  return { session, loaded, file, targetLabel: describeTarget(target) };
}
