/** Flags the commands share (declared once so they read the same everywhere). */
import { Errors, Flags } from '@oclif/core';
import { specFileFlag } from '../cli/spec-file-flag.js';
import { PROJECT_ID, PROJECT_ID_RULE } from '../spec/schema.js';

/** A flag's parse step that refuses a value `problem` finds fault with (exit 2, oclif's "Parsing --flag"). */
export const refuse =
  (problem: (v: string) => string | undefined) =>
  async (v: string): Promise<string> => {
    const why = problem(v);
    if (why) throw new Errors.CLIError(why);
    return v;
  };

/** --project, checked as GCP checks it: a bad id is a parse error here, not a 404 from an API later. */
export const projectFlag = (summary: string) =>
  Flags.string({ summary, parse: refuse((v) => (PROJECT_ID.test(v) ? undefined : `${JSON.stringify(v)} is not ${PROJECT_ID_RULE}`)) });

export const targetFlags = {
  file: specFileFlag('Topology spec (YAML) [default: ./ruvector.yaml; with --local and none there, templates/local.yaml]'),
  regions: Flags.string({ summary: 'Comma-separated regions: touch only these and the global resources they need' }),
  local: Flags.boolean({ summary: 'Target the local emulator (started when it is not running)', default: false }),
  project: projectFlag('GCP project (default: the spec\'s project)'),
};
