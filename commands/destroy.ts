import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { confirmAndApply } from '../src/cli/apply-plan.js';
import { targetFlags } from '../src/cli/flags.js';
import { openSession } from '../src/cli/session.js';
import type { ApplyResult } from '../src/engine/apply.js';
import { hasChanges, summarize } from '../src/engine/plan.js';
import { planSummaryLine, renderPlan, renderResult } from '../src/engine/render.js';
import type { PlanSummary } from '../src/engine/types.js';

export interface DestroyResult {
  summary: PlanSummary;
  applied: boolean;
  ok: boolean;
  /** What protection keeps, and why. */
  kept: { kind: string; name: string; region?: string; kept: string }[];
  result?: ApplyResult;
}

export default class Destroy extends BaseCommand {
  static override summary = 'Delete everything this topology owns';
  static override description = `Deletes every resource carrying this topology's labels (or, for kinds without labels, named
by the spec), in reverse dependency order: forwarding rules before proxies, URL maps,
backends, NEGs and services; subscriptions before topics; replicas before primaries.
Resources without our labels are never touched.

Protected resources (sql.preventDestroy / sql.deletionProtection, redis.preventDestroy, or
deletion protection set in the API) stay, and so does what their data needs: what lives
inside them (a primary's databases and users), the read replicas of a protected primary
(unless --destroy-replicas), what they depend on (a kept user's password secret, the
network and private service access they sit on) and the generated secrets their clients
read (the API key), so a redeploy finds the same data under the same credentials. The plan
marks each one "kept" and says why; keeping is not a failure. --allow-destroy-protected
deletes all of it. With --regions: those regions and the globals only they use.`;

  static override examples = ['<%= config.bin %> destroy --local --yes', '<%= config.bin %> destroy -f ruvector.yaml --regions us-east1'];

  static override flags = {
    ...targetFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation', default: false }),
    concurrency: Flags.integer({ summary: 'Operations in flight per API and region', default: 8, min: 1, max: 64 }),
    'allow-destroy-protected': Flags.boolean({ summary: 'Also delete protected resources and what they keep (deletion protection is lifted first)', default: false }),
    'destroy-replicas': Flags.boolean({ summary: 'Also delete the read replicas of protected primaries (kept by default: each takes minutes to rebuild)', default: false }),
  };

  async run(): Promise<DestroyResult> {
    const { flags } = await this.parse(Destroy);
    const opened = await openSession(flags, { start: false });
    const { session, targetLabel } = opened;
    const json = this.jsonEnabled();
    try {
      const planned = await session.plan({ destroy: true, allowDestroyProtected: flags['allow-destroy-protected'], destroyReplicas: flags['destroy-replicas'] });
      const { plan } = planned;
      const summary = summarize(plan);
      const kept = plan.items.filter((i) => i.kept).map((i) => ({ kind: i.kind, name: i.name, ...(i.region ? { region: i.region } : {}), kept: i.kept! }));
      // One line, before the progress events (oclif's log() is silent under --json).
      if (json) process.stdout.write(`${JSON.stringify({ event: 'plan', summary, kept })}\n`);
      else this.log(renderPlan(plan, { targetLabel }));
      if (!hasChanges(plan)) {
        if (!json) this.log(kept.length ? `Nothing to destroy but what protection keeps (${kept.length}).` : 'Nothing to destroy.');
        return this.finish({ summary, applied: false, ok: true, kept });
      }
      const result = await confirmAndApply(session, planned, {
        verb: 'destroy',
        question: `Destroy: ${planSummaryLine(plan).replace(/^Plan: /, '')}`,
        yes: flags.yes,
        json,
        concurrency: flags.concurrency,
      });
      const out: DestroyResult = { summary, applied: true, ok: result.ok, kept, result };
      if (!json) this.log(renderResult(result));
      return this.finish(out, result.ok ? 0 : 1);
    } finally {
      await session.close();
    }
  }
}
