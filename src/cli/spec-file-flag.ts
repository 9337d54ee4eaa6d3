/** -f/--file, the spec path every spec-reading command takes, declared once. */
import { Errors, Flags } from '@oclif/core';

/**
 * An empty path (`-f ''`, `-f "$UNSET"`) is refused while parsing: taken as absent, it
 * quietly fell back to ./ruvector.yaml or, with --local, to templates/local.yaml.
 */
async function nonEmptyPath(v: string): Promise<string> {
  if (v.trim() === '') throw new Errors.CLIError('the spec path is empty: name a file (e.g. -f ruvector.yaml), or leave -f out for the default');
  return v;
}

export const specFileFlag = (summary: string, o: { default?: string } = {}) =>
  o.default === undefined
    ? Flags.string({ char: 'f', summary, parse: nonEmptyPath })
    : Flags.string({ char: 'f', summary, default: o.default, parse: nonEmptyPath });
