import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../src/cli/base-command.js';
import { confirmOrRefuse } from '../src/cli/confirm.js';
import { targetFlags } from '../src/cli/flags.js';
import { openSession } from '../src/cli/session.js';
import { sleep } from '../src/engine/retry.js';
import { formatDuration, parseDuration } from '../src/rollout/duration.js';
import { applyBurst, parseBurst, planScale, renderScalePlan, renderScaleResults, restore, type ScalePlan, type ScaleResult } from '../src/scale/index.js';

export default class Scale extends BaseCommand {
  static override summary = 'Hold extra Cloud Run minimum instances for a known burst, and lower them after';
  static override description = `--burst 50x --for 4h raises each region's minimum instances to the cost model's average
instances times the multiplier (capped at maxInstances), after printing what holding them
for the window costs. The window's end is recorded on each service; \`scale --restore\` lowers
the minimum back to the spec's once it has passed (--force: now), and --wait stays running
and restores at the end. A normal \`deploy\` also restores the spec's minimum.`;

  static override examples = [
    '<%= config.bin %> scale -f ruvector.yaml --burst 50x --for 4h --dry-run',
    '<%= config.bin %> scale -f ruvector.yaml --burst 50x --for 4h --regions us-central1 --yes',
    '<%= config.bin %> scale --local --burst 2x --for 30m --yes --wait',
    '<%= config.bin %> scale -f ruvector.yaml --restore',
  ];

  static override flags = {
    ...targetFlags,
    burst: Flags.string({ summary: 'Traffic multiplier of the event (e.g. 50x)' }),
    for: Flags.string({ summary: 'How long the event lasts (e.g. 4h, 90m)' }),
    rates: Flags.string({ summary: 'Price table for the window\'s cost: seed, list, or a path', default: 'list' }),
    restore: Flags.boolean({ summary: 'Lower the minimum back to the spec\'s where a recorded window has ended', default: false }),
    force: Flags.boolean({ summary: 'With --restore: end windows that are still running', default: false }),
    wait: Flags.boolean({ summary: 'Stay running for the window, then restore', default: false }),
    'dry-run': Flags.boolean({ summary: 'Print the plan and its cost, change nothing', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation', default: false }),
  };

  async run(): Promise<{ plan?: ScalePlan; results: ScaleResult[]; until?: string }> {
    const { flags } = await this.parse(Scale);
    if (!flags.restore && (!flags.burst || !flags.for)) throw new UserError('give --burst and --for (e.g. --burst 50x --for 4h), or --restore');
    let multiplier = 1;
    let windowMs = 0;
    try {
      if (!flags.restore) {
        multiplier = parseBurst(flags.burst!);
        windowMs = parseDuration(flags.for!, '--for');
        if (windowMs <= 0) throw new RangeError('--for must be longer than 0');
      }
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const opened = await openSession(flags, { start: false });
    const { session, targetLabel } = opened;
    const exitCode = (results: ScaleResult[]): number => (results.some((r) => r.outcome === 'failed') ? 1 : 0);
    try {
      if (flags.restore) {
        const results = await restore(session, { force: flags.force });
        if (!this.jsonEnabled()) this.log(renderScaleResults(results));
        return this.finish({ results }, exitCode(results));
      }
      const plan = planScale(session, { multiplier, hours: windowMs / 3_600_000, rates: flags.rates });
      if (!this.jsonEnabled()) this.log(renderScalePlan(plan));
      if (flags['dry-run']) return this.finish({ plan, results: [] });
      await confirmOrRefuse(`\nHold these minimums on ${targetLabel} for ${formatDuration(windowMs)}?`, { yes: flags.yes, isTTY: Boolean(process.stdin.isTTY) }, {
        notATty: 'not a terminal: pass --yes to apply',
        no: 'cancelled',
        noExitCode: 0,
      });
      const until = new Date(Date.now() + windowMs);
      const results = await applyBurst(session, plan, until);
      if (!this.jsonEnabled()) {
        this.log(renderScaleResults(results));
        if (!flags.wait) this.log(`\nAfter ${until.toISOString()}: ruvector scale --restore${flags.file ? ` -f ${flags.file}` : ''}${flags.local ? ' --local' : ''}`);
      }
      if (exitCode(results) !== 0) return this.finish({ plan, results, until: until.toISOString() }, 1);
      if (flags.wait) {
        if (!this.jsonEnabled()) this.log(`\nHolding until ${until.toISOString()} (Ctrl-C leaves the minimums raised; \`scale --restore\` lowers them)`);
        await sleep(until.getTime() - Date.now());
        const restored = await restore(session, { force: true });
        if (!this.jsonEnabled()) this.log(renderScaleResults(restored));
        return this.finish({ plan, results: [...results, ...restored], until: until.toISOString() });
      }
      return this.finish({ plan, results, until: until.toISOString() });
    } finally {
      await session.close();
    }
  }
}
