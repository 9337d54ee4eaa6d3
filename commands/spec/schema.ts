import { writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import { specJsonSchema } from '../../src/spec/index.js';

export default class SpecSchemaCommand extends BaseCommand {
  static override summary = "Print the topology spec's JSON Schema";
  static override description = `Generated from the same schema code that validates specs. Point an editor at it
(templates start with "# yaml-language-server: $schema=...") for completion and checks.`;

  static override examples = ['<%= config.bin %> spec schema > ruvector.schema.json', '<%= config.bin %> spec schema --out config/ruvector.schema.json'];

  static override flags = {
    out: Flags.string({ summary: 'Write the schema to this file instead of stdout' }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { flags } = await this.parse(SpecSchemaCommand);
    const schema = specJsonSchema();
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (flags.out) {
      await writeFile(flags.out, text);
      if (!this.jsonEnabled()) this.log(`wrote ${flags.out}`);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(text);
    }
    return this.finish(schema);
  }
}
