import { writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { openSession } from '../src/cli/session.js';
import { targetFlags } from '../src/cli/flags.js';
import { hasChanges, summarize } from '../src/engine/plan.js';
import { renderPlan } from '../src/engine/render.js';
import type { Plan, PlanSummary } from '../src/engine/types.js';

export interface PlanResult {
  summary: PlanSummary;
  changes: boolean;
  plan: Plan;
}

export default class PlanCommand extends BaseCommand {
  static override summary = 'Show what deploy would create, update or delete';
  static override description = `Observes the target (list calls per kind and region), compares it with the spec and prints
every create, update (with field-level diffs), replace and delete, grouped by region. Deletes
cover only resources carrying this topology's labels that the spec no longer has. Nothing is
changed. --out saves the plan for \`deploy --plan\`, which refuses it if live state moved.`;

  static override examples = [
    '<%= config.bin %> plan -f ruvector.yaml',
    '<%= config.bin %> plan --local',
    '<%= config.bin %> plan -f templates/production.yaml --regions us-central1,europe-west1 --out plan.json',
    '<%= config.bin %> plan --detailed-exitcode   # 0 = no changes, 2 = changes, 1 = error',
  ];

  static override flags = {
    ...targetFlags,
    out: Flags.string({ summary: 'Save the plan as JSON for `deploy --plan`' }),
    'detailed-exitcode': Flags.boolean({ summary: 'Exit 2 when there are changes, 0 when none', default: false }),
    'allow-destroy-protected': Flags.boolean({ summary: 'Plan deletes/replaces of protected resources as runnable', default: false }),
  };

  async run(): Promise<PlanResult> {
    const { flags } = await this.parse(PlanCommand);
    const opened = await openSession(flags, { start: true });
    const { session, targetLabel } = opened;
    try {
      const { plan } = await session.plan({ allowDestroyProtected: flags['allow-destroy-protected'] });
      if (flags.out) await writeFile(flags.out, `${JSON.stringify(plan, null, 2)}\n`);
      if (!this.jsonEnabled()) {
        this.log(renderPlan(plan, { targetLabel }));
        if (flags.out) this.log(`Saved to ${flags.out}; apply it with: ruvector deploy --plan ${flags.out}`);
      }
      const changes = hasChanges(plan);
      const result: PlanResult = { summary: summarize(plan), changes, plan };
      return this.finish(result, flags['detailed-exitcode'] && changes ? 2 : 0);
    } finally {
      await session.close();
    }
  }
}
