import { readFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../src/cli/base-command.js';
import { confirmAndApply } from '../src/cli/apply-plan.js';
import { targetFlags } from '../src/cli/flags.js';
import { openSession, parseRegions } from '../src/cli/session.js';
import type { ApplyResult } from '../src/engine/apply.js';
import { hasChanges, summarize } from '../src/engine/plan.js';
import { planSummaryLine, renderPlan, renderResult } from '../src/engine/render.js';
import { PlanStaleError } from '../src/engine/session.js';
import type { Plan, PlanSummary } from '../src/engine/types.js';
import { showLocalWorld } from '../src/local/world.js';
import { quotaPreflight } from '../src/quotas/preflight.js';

export interface DeployResult {
  summary: PlanSummary;
  applied: boolean;
  ok: boolean;
  result?: ApplyResult;
}

export default class Deploy extends BaseCommand {
  static override summary = 'Make the target match the spec';
  static override description = `Plans (or takes a saved plan), asks, then applies the plan as a dependency graph: independent
work runs at once across regions (bounded per API and region), creates in dependency order,
deletes in reverse, every call retried with backoff. A failure stops only what depends on it;
running deploy again resumes and converges. With --local and no spec, deploys
templates/local.yaml to the local emulator (starting it when needed).`;

  static override examples = [
    '<%= config.bin %> deploy --local',
    '<%= config.bin %> deploy -f ruvector.yaml --yes',
    '<%= config.bin %> deploy -f templates/production.yaml --regions us-central1,europe-west1',
    '<%= config.bin %> deploy --plan plan.json --yes',
  ];

  static override flags = {
    ...targetFlags,
    plan: Flags.string({ summary: 'Apply a plan saved by `plan --out` (refused if live state moved since)' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation', default: false }),
    'dry-run': Flags.boolean({ summary: 'Show the plan and stop', default: false }),
    concurrency: Flags.integer({ summary: 'Operations in flight per API and region', default: 8, min: 1, max: 64 }),
    'allow-destroy-protected': Flags.boolean({ summary: 'Allow deleting or replacing protected resources', default: false }),
    'skip-quota-check': Flags.boolean({ summary: 'Deploy even when `ruvector quotas` reports a shortfall', default: false }),
  };

  async run(): Promise<DeployResult> {
    const { flags } = await this.parse(Deploy);
    const opened = await openSession(flags, { start: !flags['dry-run'] });
    const { session, targetLabel } = opened;
    const json = this.jsonEnabled();
    try {
      let planned;
      if (flags.plan) {
        const saved = JSON.parse(await readFile(flags.plan, 'utf8')) as Plan;
        try {
          planned = await session.checkSaved(saved, { allowDestroyProtected: flags['allow-destroy-protected'] });
        } catch (e) {
          if (e instanceof PlanStaleError) throw new UserError(`${flags.plan}: ${e.message}`);
          throw e;
        }
      } else {
        planned = await session.plan({ allowDestroyProtected: flags['allow-destroy-protected'] });
      }
      const { plan } = planned;
      const summary = summarize(plan);
      if (json) this.log(JSON.stringify({ event: 'plan', summary, fingerprint: plan.fingerprint }));
      else this.log(renderPlan(plan, { targetLabel }));
      if (!hasChanges(plan)) {
        if (!json) this.log('No changes: the target matches the spec.');
        if (flags.local) await showLocalWorld({ spec: opened.loaded.spec, regions: parseRegions(flags.regions), json, log: (l) => this.log(l) });
        return this.finish({ summary, applied: false, ok: true });
      }
      if (!flags['skip-quota-check']) {
        const refused = await quotaPreflight(session.clients, { resources: session.desired });
        if (refused) throw new UserError(refused);
      }
      if (flags['dry-run']) return this.finish({ summary, applied: false, ok: true });
      const result = await confirmAndApply(session, planned, {
        verb: 'deploy',
        question: `Apply ${planSummaryLine(plan).replace(/^Plan: /, '')}`,
        yes: flags.yes,
        json,
        concurrency: flags.concurrency,
      });
      const out: DeployResult = { summary, applied: true, ok: result.ok, result };
      if (!json) this.log(renderResult(result));
      if (!result.ok) return this.finish(out, 1);
      if (flags.local) await showLocalWorld({ spec: opened.loaded.spec, regions: parseRegions(flags.regions), json, log: (l) => this.log(l) });
      return this.finish(out);
    } finally {
      await session.close();
    }
  }
}
