import { Command, Errors } from '@oclif/core';
import { classify, describeError } from '../gcp/errors.js';

/**
 * What a failed command prints: the message, except that an error from a Google API is told
 * by its status and message (its raw message is often the whole JSON error body).
 */
export function errorText(err: Error): string {
  if (err instanceof UserError) return err.message;
  const c = classify(err);
  // An API status, or a message classify rewrote (a JSON body's message, a network code and what to check).
  return c.httpStatus !== undefined || c.grpcCode !== undefined || c.message !== err.message ? describeError(err) : err.message;
}

/**
 * Every ruvector command extends this: `--json` comes from oclif's enableJsonFlag, and
 * errors are rendered as one clear message (never a stack trace) unless RUVECTOR_DEBUG is set.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  /**
   * How every command ends: with exit code 0, `result` is returned and oclif prints it as the
   * --json document; otherwise it is printed here (under --json) and the command exits with
   * `exitCode`, so a failing run still leaves its document on stdout. Returns only on 0.
   */
  protected finish<T>(result: T, exitCode = 0): T {
    if (exitCode !== 0) {
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(exitCode);
    }
    return result;
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (process.env.RUVECTOR_DEBUG) return super.catch(err);
    // oclif's own exit()/parse errors already carry a clean message and exit code.
    if (err instanceof Errors.ExitError) {
      await flushOutput();
      throw err;
    }
    const exit = err.oclif?.exit ?? err.exitCode ?? 1;
    if (this.jsonEnabled()) this.logJson({ error: { message: errorText(err), exitCode: exit } });
    else this.logToStderr(`Error: ${errorText(err)}`);
    await flushOutput();
    this.exit(exit);
  }
}

/**
 * Wait until stdout and stderr have handed everything written so far to the OS. oclif ends a
 * failed command with process.exit, which drops what a pipe has not taken yet: a long problem
 * list, or a --json document, arrived cut off at 64-128 KiB.
 */
export function flushOutput(): Promise<void> {
  const flushed = (s: NodeJS.WriteStream) => new Promise<void>((resolve) => (s.writableLength === 0 ? resolve() : s.write('', () => resolve())));
  return Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => undefined);
}

/** An error the user can act on: message only, chosen exit code. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
