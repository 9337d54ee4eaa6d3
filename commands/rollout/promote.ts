import { BaseCommand } from '../../src/cli/base-command.js';
import { openSession } from '../../src/engine/cli-support.js';
import { targetFlags } from '../../src/engine/command-flags.js';
import { promote, type RegionResult } from '../../src/rollout/index.js';
import { renderResults } from '../../src/rollout/render.js';

export default class RolloutPromote extends BaseCommand {
  static override summary = 'Move every canary in progress to 100% of the traffic';
  static override description = `Finds, per region, the revision tagged "canary" by \`ruvector rollout --no-promote\` and the
revision it shares traffic with, then gives the canary 100% (the spec's "latest revision serves all" form). Regions
without a canary are left alone.`;

  static override examples = ['<%= config.bin %> rollout promote --local', '<%= config.bin %> rollout promote -f ruvector.yaml --regions europe-west1'];

  static override flags = { ...targetFlags };

  async run(): Promise<{ results: RegionResult[] }> {
    const { flags } = await this.parse(RolloutPromote);
    const opened = await openSession(flags, { start: false });
    const { session } = opened;
    try {
      const results = await promote(session);
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
