import type { Session } from '../../src/engine/session.js';
import { CanaryCommand } from '../../src/rollout/canary-command.js';
import { promote, type RegionResult } from '../../src/rollout/index.js';

export default class RolloutPromote extends CanaryCommand {
  static override summary = 'Move every canary in progress to 100% of the traffic';
  static override description = `Finds, per region, the revision tagged "canary" by \`ruvector rollout --no-promote\` and the
revision it shares traffic with, then gives the canary 100% (the spec's "latest revision serves all" form). Regions
without a canary are left alone.`;

  static override examples = ['<%= config.bin %> rollout promote --local', '<%= config.bin %> rollout promote -f ruvector.yaml --regions europe-west1'];

  protected act(session: Session): Promise<RegionResult[]> {
    return promote(session);
  }
}
