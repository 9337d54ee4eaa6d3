import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../src/cli/base-command.js';
import { allRegions, loadSpec } from '../src/spec/index.js';
import { parseRegions } from '../src/cli/session.js';
import { countByKind, expandTopology, renderGraphTable, type Resource } from '../src/topology/index.js';
import { specFileFlag } from '../src/cli/spec-file-flag.js';

export interface RenderResult {
  file: string;
  regions: string[];
  count: number;
  byKind: Record<string, number>;
  resources: Resource[];
}

export default class Render extends BaseCommand {
  static override summary = 'Print the desired resource graph a spec implies';
  static override description = `Every GCP resource the spec implies, with its full resource name, region, the fields
ruvector owns (in --json) and what it depends on. --regions keeps those regions plus the
global resources they need.`;

  static override examples = [
    '<%= config.bin %> render -f templates/production.yaml',
    '<%= config.bin %> render -f templates/production.yaml --regions us-central1,europe-west1 --json',
  ];

  static override flags = {
    file: specFileFlag('Topology spec (YAML)', { default: 'ruvector.yaml' }),
    regions: Flags.string({ summary: 'Comma-separated regions to keep (default: all)' }),
  };

  async run(): Promise<RenderResult> {
    const { flags } = await this.parse(Render);
    const regions = parseRegions(flags.regions);
    const { spec } = await loadSpec(flags.file);
    const all = allRegions(spec);
    if (regions) {
      const unknown = regions.filter((r) => !all.includes(r));
      if (unknown.length > 0) throw new UserError(`--regions: ${unknown.join(', ')} not in the spec (its regions: ${all.join(', ')})`);
    }
    const graph = expandTopology(spec, { regions });
    const result: RenderResult = {
      file: flags.file,
      regions: regions ?? all,
      count: graph.resources.length,
      byKind: countByKind(graph),
      resources: graph.resources,
    };
    if (!this.jsonEnabled()) {
      this.log(renderGraphTable(graph));
      this.log(`\n${graph.resources.length} resources in ${result.regions.length} region${result.regions.length === 1 ? '' : 's'}`);
    }
    return this.finish(result);
  }
}
