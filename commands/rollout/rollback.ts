import type { Session } from '../../src/engine/session.js';
import { CanaryCommand } from '../../src/rollout/canary-command.js';
import { rollback, type RegionResult } from '../../src/rollout/index.js';

export default class RolloutRollback extends CanaryCommand {
  static override summary = 'Send all traffic back to the revision each canary replaced';
  static override description = `Finds, per region, the revision tagged "canary" by \`ruvector rollout --no-promote\` and the
revision it shares traffic with, then pins 100% to the previous revision at once and puts its image back in the template. Regions
without a canary are left alone.`;

  static override examples = ['<%= config.bin %> rollout rollback --local', '<%= config.bin %> rollout rollback -f ruvector.yaml --regions europe-west1'];

  protected act(session: Session): Promise<RegionResult[]> {
    return rollback(session);
  }
}
