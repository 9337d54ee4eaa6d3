/** Plans and apply results as text for people (JSON output is the objects themselves). */
import { describeError } from '../gcp/errors.js';
import type { ApplyResult } from './apply.js';
import { summarize } from './plan.js';
import type { FieldChange, Plan, PlanItem } from './types.js';

const SYMBOL: Record<PlanItem['action'], string> = { create: '+', update: '~', replace: '-/+', delete: '-', noop: '=' };

function shortName(name: string): string {
  return name.replace(/^projects\/[^/]+\//, '').replace(/^(global|regions\/[^/]+|locations\/[^/]+)\//, '');
}

function value(v: unknown): string {
  if (v === undefined) return '(unset)';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 140 ? `${s.slice(0, 137)}...` : s;
}

function changeLine(c: FieldChange): string {
  return `        ${c.path}: ${value(c.before)} -> ${value(c.after)}`;
}

export function planSummaryLine(plan: Pick<Plan, 'items'>): string {
  const s = summarize(plan);
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.replace} to replace`, `${s.delete} to delete`, `${s.noop} unchanged`];
  return `Plan: ${parts.join(', ')}${s.blocked ? `, ${s.blocked} blocked` : ''}${s.deferred ? `, ${s.deferred} deferred` : ''}${s.kept ? `, ${s.kept} kept` : ''}.`;
}

/** "2 sql.Instance, 2 sql.Database": how many of each kind, most first. */
export function countKinds(items: { kind: string }[]): string {
  const n = new Map<string, number>();
  for (const i of items) n.set(i.kind, (n.get(i.kind) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, c]) => `${c} ${k}`).join(', ');
}

export function renderPlan(plan: Plan, o: { targetLabel: string }): string {
  const lines: string[] = [`Plan for topology ${plan.topology} on ${o.targetLabel}`];
  const groups = new Map<string, PlanItem[]>();
  for (const i of plan.items) {
    const g = i.region ?? 'global';
    groups.set(g, [...(groups.get(g) ?? []), i]);
  }
  const order = [...groups.keys()].sort((a, b) => (a === 'global' ? -1 : b === 'global' ? 1 : a.localeCompare(b)));
  for (const g of order) {
    const items = groups.get(g)!;
    const changing = items.filter((i) => i.action !== 'noop' || i.waitReady);
    lines.push('', g);
    for (const i of changing) {
      const note = i.kept ? `  [kept: ${i.kept}]` : i.blocked ? `  [blocked: ${i.blocked}]` : i.deferred ? `  [deferred: ${i.deferred}]` : i.waitReady ? '  [wait until ready]' : i.adopt ? '  [adopt: exists without our labels]' : '';
      const [symbol, action] = i.kept ? ['=', 'keep'] : [SYMBOL[i.action], i.action];
      lines.push(`  ${symbol.padEnd(3)} ${action.padEnd(7)} ${i.kind.padEnd(34)} ${shortName(i.name)}${note}`);
      for (const c of i.changes) lines.push(changeLine(c));
    }
    const same = items.length - changing.length;
    if (same) lines.push(`      ${same} unchanged`);
  }
  const protectedItems = plan.items.filter((i) => i.protection && !i.kept);
  if (protectedItems.length) {
    lines.push('', 'Protected resources this plan would delete or replace:');
    for (const i of protectedItems) lines.push(`  ! ${i.action} ${i.kind} ${shortName(i.name)}: ${i.protection}${i.blocked ? ' (blocked without --allow-destroy-protected)' : ''}`);
  }
  const kept = plan.items.filter((i) => i.kept);
  if (kept.length) lines.push('', `Kept, as protection covers them: ${countKinds(kept)}. --allow-destroy-protected deletes them too.`);
  lines.push('', planSummaryLine(plan));
  return lines.join('\n');
}

export function renderResult(r: ApplyResult): string {
  const done = r.results.filter((x) => x.status === 'done').length;
  const failed = r.results.filter((x) => x.status === 'failed' || x.status === 'blocked');
  const deferred = r.results.filter((x) => x.status === 'deferred');
  const skipped = r.results.filter((x) => x.status === 'skipped');
  const lines = [`Applied ${done} change${done === 1 ? '' : 's'} in ${(r.ms / 1000).toFixed(1)}s; ${failed.length} failed, ${skipped.length} skipped.`];
  for (const f of failed) lines.push(`  x ${f.action} ${f.kind} ${shortName(f.name)}: ${f.error ?? 'failed'}`);
  if (skipped.length) {
    const byCause = new Map<string, number>();
    for (const s of skipped) byCause.set(s.blockedBy ?? '?', (byCause.get(s.blockedBy ?? '?') ?? 0) + 1);
    for (const [cause, n] of byCause) lines.push(`  - ${n} skipped because ${shortName(cause)} failed`);
  }
  const kept = r.results.filter((x) => x.status === 'kept');
  if (kept.length) lines.push(`  kept ${kept.length} that protection covers (${countKinds(kept)})`);
  if (deferred.length) lines.push(`  ${deferred.length} deferred until the regions they reference are deployed (${deferred.map((d) => shortName(d.name)).slice(0, 3).join(', ')}${deferred.length > 3 ? ', ...' : ''})`);
  if (!r.ok) lines.push('Run the same command again to resume once the cause is fixed.');
  return lines.join('\n');
}

export { describeError };
