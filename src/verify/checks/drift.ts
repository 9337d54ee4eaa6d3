/** Drift: the engine's own plan. Anything but a no-op is an owned resource whose live state differs from the spec. */
import type { PlanItem } from '../../engine/types.js';
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { runCheck } from '../runner.js';
import { fail, pass, warn, type CheckResult, type Outcome } from '../types.js';

export function judgeDriftItem(i: PlanItem): Outcome {
  const fields = i.changes.map((c) => c.path);
  const list = fields.slice(0, 6).join(', ') + (fields.length > 6 ? ` (+${fields.length - 6})` : '');
  switch (i.action) {
    case 'create':
      return fail(`${i.kind} missing: \`ruvector deploy\` creates it`);
    case 'delete':
      return warn(`${i.kind} owned by this topology but not in the spec${i.blocked ? ` (${i.blocked})` : ''}`);
    case 'replace':
      return warn(`${i.kind} differs in fields that force a replacement: ${list}`);
    default:
      return warn(`${i.kind} differs from the spec: ${list}`);
  }
}

export async function driftResults(v: VerifyContext): Promise<CheckResult[]> {
  let items: PlanItem[] = [];
  const summary = await runCheck({
    group: 'drift',
    subject: 'plan',
    timeoutMs: Math.max(v.opts.timeoutMs, 60_000),
    async run() {
      const { plan } = await v.session.plan();
      items = plan.items.filter((i) => i.action !== 'noop');
      const total = plan.items.length;
      if (!items.length) return pass(`all ${total} resources match the spec`);
      return warn(`${items.length} of ${total} resources differ from the spec`, { resources: items.map((i) => i.name) });
    },
  });
  if (!items.length) return [summary];
  const rows = items.map((i): CheckResult => {
    const o = judgeDriftItem(i);
    return {
      id: `drift:${i.region ?? 'global'}:${i.name}`,
      group: 'drift',
      region: i.region,
      subject: lastSegment(i.name),
      verdict: o.verdict,
      reason: o.reason,
      durationMs: 0,
      data: { action: i.action, fields: i.changes.map((c) => c.path) },
    };
  });
  return [summary, ...rows];
}
