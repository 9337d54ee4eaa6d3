import { BaseCommand } from '../../src/cli/base-command.js';
import { openSession } from '../../src/engine/cli-support.js';
import { targetFlags } from '../../src/engine/command-flags.js';
import { rollback, type RegionResult } from '../../src/rollout/index.js';
import { renderResults } from '../../src/rollout/render.js';

export default class RolloutRollback extends BaseCommand {
  static override summary = 'Send all traffic back to the revision each canary replaced';
  static override description = `Finds, per region, the revision tagged "canary" by \`ruvector rollout --no-promote\` and the
revision it shares traffic with, then pins 100% to the previous revision at once and puts its image back in the template. Regions
without a canary are left alone.`;

  static override examples = ['<%= config.bin %> rollout rollback --local', '<%= config.bin %> rollout rollback -f ruvector.yaml --regions europe-west1'];

  static override flags = { ...targetFlags };

  async run(): Promise<{ results: RegionResult[] }> {
    const { flags } = await this.parse(RolloutRollback);
    const opened = await openSession(flags, { start: false });
    const { session } = opened;
    try {
      const results = await rollback(session);
      if (!this.jsonEnabled()) this.log(renderResults(results));
      if (results.some((r) => r.outcome === 'failed')) {
        if (this.jsonEnabled()) this.logJson({ results });
        await session.close();
        this.exit(1);
      }
      return { results };
    } finally {
      await session.close();
    }
  }
}
