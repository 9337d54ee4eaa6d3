import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../src/cli/base-command.js';
import { InitExistsError, initSpec, TEMPLATES, type InitResult, type TemplateName } from '../src/spec/init.js';
import { projectFlag } from '../src/cli/flags.js';

export default class Init extends BaseCommand {
  static override summary = 'Write a topology spec from a template';
  static override description = `Templates: production (the seed's 15-region topology, value for value), regional (one
primary and one replica region, small and cheap), local (three regions sized for the local emulator).`;

  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --template production --out prod.yaml --project my-project',
    '<%= config.bin %> init --template local --out local.yaml',
  ];

  static override flags = {
    template: Flags.string({ char: 't', summary: 'Template to start from', options: [...TEMPLATES], default: 'regional' }),
    out: Flags.string({ char: 'o', summary: 'Where to write the spec', default: 'ruvector.yaml' }),
    project: projectFlag('GCP project id to put in the spec'),
    name: Flags.string({ summary: 'Topology name (metadata.name)' }),
    force: Flags.boolean({ summary: 'Overwrite an existing file', default: false }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    try {
      const result = await initSpec({ template: flags.template as TemplateName, out: flags.out, force: flags.force, project: flags.project, name: flags.name });
      if (!this.jsonEnabled()) {
        this.log(`wrote ${result.out} from the ${result.template} template; next: ruvector validate -f ${result.out}`);
      }
      return this.finish(result);
    } catch (e) {
      if (e instanceof InitExistsError) throw new UserError(e.message);
      throw e;
    }
  }
}
