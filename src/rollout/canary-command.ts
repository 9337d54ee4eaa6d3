/** What `rollout promote` and `rollout rollback` share: find the canaries, act on each region, report. */
import { BaseCommand } from '../cli/base-command.js';
import { targetFlags } from '../cli/flags.js';
import { openSession } from '../cli/session.js';
import type { Session } from '../engine/session.js';
import type { RegionResult } from './index.js';
import { renderResults } from './render.js';

export abstract class CanaryCommand extends BaseCommand {
  static override flags = { ...targetFlags };

  /** promote or rollback, region by region. */
  protected abstract act(session: Session): Promise<RegionResult[]>;

  async run(): Promise<{ results: RegionResult[] }> {
    const { flags } = await this.parse(this.constructor as typeof CanaryCommand);
    const { session } = await openSession(flags, { start: false });
    try {
      const results = await this.act(session);
      if (!this.jsonEnabled()) this.log(renderResults(results));
      return this.finish({ results }, results.some((r) => r.outcome === 'failed') ? 1 : 0);
    } finally {
      await session.close();
    }
  }
}
