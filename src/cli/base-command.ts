import { Command, Errors } from '@oclif/core';

/**
 * Every ruvector command extends this: `--json` comes from oclif's enableJsonFlag, and
 * errors are rendered as one clear message (never a stack trace) unless RUVECTOR_DEBUG is set.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (process.env.RUVECTOR_DEBUG) return super.catch(err);
    // oclif's own exit()/parse errors already carry a clean message and exit code.
    if (err instanceof Errors.ExitError) throw err;
    const exit = err.oclif?.exit ?? err.exitCode ?? 1;
    if (this.jsonEnabled()) {
      this.logJson({ error: { message: err.message, exitCode: exit } });
      this.exit(exit);
    }
    this.logToStderr(`Error: ${err.message}`);
    this.exit(exit);
  }
}

/** An error the user can act on: message only, chosen exit code. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
