import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { formatProblem, loadSpec, SpecError, type SpecProblem } from '../src/spec/index.js';
import { countByKind, expandTopology } from '../src/topology/index.js';
import { specFileFlag } from '../src/cli/spec-file-flag.js';

export interface ValidateResult {
  valid: boolean;
  file: string;
  problems: SpecProblem[];
  regions?: { tier1: string[]; tier2: string[] };
  resources?: number;
  byKind?: Record<string, number>;
}

export default class Validate extends BaseCommand {
  static override summary = 'Check a topology spec and report every problem at once';
  static override description = `Parses the YAML, checks it against the spec schema and GCP's rules (regions, names, CIDR
overlaps, scaling bounds, replica-to-primary mapping, ...) and prints each problem as
file:line:col  path.to.field  message. Exit 0 when valid (warnings allowed), 1 otherwise.`;

  static override examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f templates/production.yaml --json'];

  static override flags = {
    file: specFileFlag('Topology spec (YAML)', { default: 'ruvector.yaml' }),
  };

  async run(): Promise<ValidateResult> {
    const { flags } = await this.parse(Validate);
    try {
      const loaded = await loadSpec(flags.file);
      const graph = expandTopology(loaded.spec);
      const byKind = countByKind(graph);
      const result: ValidateResult = {
        valid: true,
        file: flags.file,
        problems: loaded.warnings,
        regions: { tier1: loaded.spec.regions.tier1, tier2: loaded.spec.regions.tier2 },
        resources: graph.resources.length,
        byKind,
      };
      if (!this.jsonEnabled()) {
        for (const w of loaded.warnings) this.logToStderr(formatProblem(w));
        const { tier1, tier2 } = loaded.spec.regions;
        const kinds = Object.entries(byKind)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([k, n]) => `${n} ${k}`)
          .join(', ');
        this.log(
          `${flags.file}: valid — ${tier1.length + tier2.length} region${tier1.length + tier2.length === 1 ? '' : 's'} ` +
            `(${tier1.length} tier 1, ${tier2.length} tier 2), ${graph.resources.length} resources (${kinds})` +
            (loaded.warnings.length ? ` (${loaded.warnings.length} warning${loaded.warnings.length === 1 ? '' : 's'})` : ''),
        );
      }
      return this.finish(result);
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      const errors = e.problems.filter((p) => p.severity !== 'warning');
      if (!this.jsonEnabled()) {
        for (const p of e.problems) this.logToStderr(formatProblem(p));
        this.logToStderr(`${flags.file}: ${errors.length} problem${errors.length === 1 ? '' : 's'}`);
      }
      return this.finish({ valid: false, file: flags.file, problems: e.problems }, 1);
    }
  }
}
