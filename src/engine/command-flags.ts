/** Flags plan, deploy and destroy share (declared once so they read the same everywhere). */
import { Flags } from '@oclif/core';

export const targetFlags = {
  file: Flags.string({ char: 'f', summary: 'Topology spec (YAML) [default: ./ruvector.yaml; with --local and none there, templates/local.yaml]' }),
  regions: Flags.string({ summary: 'Comma-separated regions: touch only these and the global resources they need' }),
  local: Flags.boolean({ summary: 'Target the local emulator (started when it is not running)', default: false }),
  project: Flags.string({ summary: 'GCP project (default: the spec\'s project)' }),
};
