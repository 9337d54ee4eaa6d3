import type { CompareRow } from './compare.js';
import { fmt, money } from './format.js';

export { money };
import type { Estimate, LineItem } from './types.js';

export type GroupBy = 'line' | 'service' | 'region';
export type Format = 'table' | 'markdown' | 'json';

export interface CostReport {
  estimate: Estimate;
  versusSeed?: CompareRow[];
  compare?: { other: string; rows: CompareRow[]; total: number; otherTotal: number };
}

interface Grid {
  headers: string[];
  align: ('l' | 'r')[];
  rows: string[][];
}

const signed = (n: number): string => (Math.abs(n) < 0.005 ? '—' : `${n > 0 ? '+' : ''}${money(n)}`);
const rateStr = (n: number): string => (n === 0 ? '$0' : Math.abs(n) >= 1 ? money(n) : `$${+n.toPrecision(4)}`);
const qty = (n: number): string => fmt(n, Math.abs(n) < 10 ? 2 : 0);

/** Items of one line summed over regions, per component (rate shown as the effective average). */
function byComponent(items: LineItem[]): { component: string; quantity: number; unit: string; amount: number; regions: number }[] {
  const map = new Map<string, { component: string; quantity: number; unit: string; amount: number; regions: number }>();
  for (const i of items) {
    const c = map.get(i.component) ?? { component: i.component, quantity: 0, unit: i.unit, amount: 0, regions: 0 };
    c.quantity += i.quantity;
    c.amount += i.amount;
    c.regions += i.region ? 1 : 0;
    map.set(i.component, c);
  }
  return [...map.values()];
}

function lineGrid(r: CostReport): Grid {
  const est = r.estimate;
  const vs = new Map(r.versusSeed?.map((v) => [v.line, v]));
  const headers = ['Line', 'Item', 'Quantity', 'Unit', 'Rate', 'Amount'];
  const align: ('l' | 'r')[] = ['l', 'l', 'r', 'l', 'r', 'r'];
  if (r.versusSeed) {
    headers.push('vs seed', 'Why');
    align.push('r', 'l');
  }
  const rows: string[][] = [];
  for (const line of est.lines) {
    const comps = byComponent(est.items.filter((i) => i.line === line.line));
    const v = vs.get(line.line);
    const tail = r.versusSeed ? [v ? signed(v.delta) : '', v?.reason ?? ''] : [];
    const compRow = (c: (typeof comps)[number], first: boolean): string[] => [
      first ? line.service : '',
      c.component === 'stated' ? 'stated (see Overrides)' : `${c.component}${c.regions > 1 ? ` (${c.regions} regions)` : ''}`,
      qty(c.quantity), c.unit, rateStr(c.quantity !== 0 ? c.amount / c.quantity : 0), money(c.amount),
    ];
    if (comps.length === 1) {
      rows.push([...compRow(comps[0]!, true), ...tail]);
    } else {
      rows.push([line.service, '', '', '', '', money(line.amount), ...tail]);
      for (const c of comps) rows.push([...compRow(c, false).map((x, i) => (i === 1 ? `  ${x}` : x)), ...(r.versusSeed ? ['', ''] : [])]);
    }
  }
  rows.push(['Total', '', '', '', '', money(est.total), ...(r.versusSeed ? [signed(r.versusSeed.reduce((s, v) => s + v.delta, 0)), ''] : [])]);
  return { headers, align, rows };
}

function groupGrid(est: Estimate, by: 'service' | 'region'): Grid {
  const groups = new Map<string, Map<string, number>>();
  for (const i of est.items) {
    const key = by === 'service' ? i.service : i.region ?? 'global';
    const sub = by === 'service' ? i.region ?? 'global' : i.service;
    const g = groups.get(key) ?? new Map<string, number>();
    g.set(sub, (g.get(sub) ?? 0) + i.amount);
    groups.set(key, g);
  }
  const rows: string[][] = [];
  const sorted = [...groups.entries()].map(([k, g]) => [k, g, [...g.values()].reduce((a, b) => a + b, 0)] as const).sort((a, b) => b[2] - a[2]);
  for (const [key, g, sum] of sorted) {
    rows.push([key, '', money(sum), est.total !== 0 ? `${fmt((sum / est.total) * 100, 1)}%` : '']);
    if (g.size > 1) for (const [sub, amount] of [...g.entries()].sort((a, b) => b[1] - a[1])) rows.push(['', sub, money(amount), '']);
  }
  rows.push(['Total', '', money(est.total), '100%']);
  return { headers: [by === 'service' ? 'Service' : 'Region', by === 'service' ? 'Region' : 'Service', 'Amount', 'Share'], align: ['l', 'l', 'r', 'r'], rows };
}

function compareGrid(c: NonNullable<CostReport['compare']>): Grid {
  const rows = c.rows.map((r) => [r.service, money(r.amount), money(r.other), signed(r.delta)]);
  rows.push(['Total', money(c.total), money(c.otherTotal), signed(c.total - c.otherTotal)]);
  return { headers: ['Line', 'This spec', c.other, 'Difference'], align: ['l', 'r', 'r', 'r'], rows };
}

function aligned(g: Grid): string {
  const widths = g.headers.map((h, i) => Math.max(h.length, ...g.rows.map((r) => (r[i] ?? '').length)));
  const fmtRow = (r: string[]): string =>
    r.map((cell, i) => (g.align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmtRow(g.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...g.rows.map(fmtRow)].join('\n');
}

function markdownTable(g: Grid): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${g.headers.map(esc).join(' | ')} |`,
    `|${g.align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...g.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The facts under the table: totals, unit costs, scenario figures, capacity, flags, warnings. */
function summary(est: Estimate): { label: string; items: string[] }[] {
  const out: { label: string; items: string[] }[] = [];
  const totals = [`Total: ${money(est.total)} a month`];
  if (est.perConcurrentStream !== undefined) totals.push(`per concurrent stream: $${est.perConcurrentStream.toFixed(5)} a month`);
  if (est.perMillionRequests !== undefined) totals.push(`per million requests: $${est.perMillionRequests.toFixed(2)}`);
  out.push({ label: 'Totals', items: [totals.join('; ')] });
  out.push({ label: 'By category', items: [Object.entries(est.categories).map(([k, v]) => `${k} ${money(v ?? 0)}`).join('; ')] });
  if (est.burst) {
    const b = est.burst;
    out.push({ label: 'Burst', items: [`${b.multiplier}x for ${b.hours} h: ${money(b.perEvent)} an event, ${money(b.perHour)} an hour; ${b.eventsPerMonth} events a month: ${money(b.monthly)}`] });
  }
  if (est.optimized) {
    const o = est.optimized;
    out.push({ label: 'Optimized', items: [`baseline ${money(o.baselineTotal)}, savings ${money(o.savings)} a month (${fmt(o.savingsPct * 100, 1)}%)`] });
  }
  out.push({ label: 'Capacity', items: [est.capacity.message] });
  if (est.arithmetic.length) out.push({ label: 'Stated figures that do not follow from the rates', items: est.arithmetic.map((a) => a.message) });
  const overrides = est.lines.filter((l) => l.override).map((l) => `${l.service}: ${l.override!.reason}`);
  if (overrides.length) out.push({ label: `Overrides (usage.overrides.${est.rates})`, items: overrides });
  const warnings = est.warnings.filter((w) => w !== est.capacity.message);
  if (warnings.length) out.push({ label: 'Warnings', items: warnings });
  return out;
}

function title(est: Estimate): string {
  return `Cost estimate: ${est.name} — ${est.scenario}, ${est.rates} rates (priced ${est.pricedAsOf}), USD a month`;
}

function grid(r: CostReport, by: GroupBy): Grid {
  return by === 'line' ? lineGrid(r) : groupGrid(r.estimate, by);
}

export function renderTable(r: CostReport, by: GroupBy = 'line'): string {
  const parts = [title(r.estimate), '', aligned(grid(r, by))];
  if (r.compare) parts.push('', `Compared with ${r.compare.other}:`, aligned(compareGrid(r.compare)));
  for (const s of summary(r.estimate)) {
    parts.push('', `${s.label}:`, ...s.items.map((i) => `  ${i}`));
  }
  return parts.join('\n');
}

export function renderMarkdown(r: CostReport, by: GroupBy = 'line'): string {
  const parts = [`### ${title(r.estimate)}`, '', markdownTable(grid(r, by))];
  if (r.compare) parts.push('', `#### Compared with ${r.compare.other}`, '', markdownTable(compareGrid(r.compare)));
  for (const s of summary(r.estimate)) {
    parts.push('', `**${s.label}**`, '', ...s.items.map((i) => `- ${i}`));
  }
  return parts.join('\n');
}
