/**
 * Where ruvector keeps its own files: the emulator daemon's record and log, its default
 * state, and the engine's pending-create journal.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * $RUVECTOR_HOME, else ~/.ruvector. Set but empty counts as unset, as the shell conventions
 * for HOME and XDG_*_HOME have it: an empty home would put the journal and the daemon's
 * record in whatever directory the command happens to run in, where the next run from
 * elsewhere would not find them.
 */
export function ruvectorHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.RUVECTOR_HOME || join(homedir(), '.ruvector');
}
