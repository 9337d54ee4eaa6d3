import { fmt, money } from './format.js';
import type { Estimate, LineItem } from './types.js';

/** One line of an estimate beside the same line of another (the seed's, or another spec's). */
export interface CompareRow {
  line: string;
  service: string;
  amount: number;
  other: number;
  delta: number;
  reason?: string;
}

interface Component {
  quantity: number;
  amount: number;
  unit: string;
}

function components(items: LineItem[]): Map<string, Component> {
  const out = new Map<string, Component>();
  for (const i of items) {
    const c = out.get(i.component) ?? { quantity: 0, amount: 0, unit: i.unit };
    c.quantity += i.quantity;
    c.amount += i.amount;
    out.set(i.component, c);
  }
  return out;
}

const rateOf = (c: Component): number => (c.quantity !== 0 ? c.amount / c.quantity : 0);
const rate = (n: number): string => (Math.abs(n) >= 1 ? money(n) : `$${+n.toPrecision(3)}`);

/**
 * Why a line differs between two price tables, in one line: components one side does not
 * count, rates or quantities that differ, and the structural notes of the priced side
 * (size bands, tier-2 regions, tiers, negotiated prices).
 */
function reasonFor(line: string, est: Estimate, seed: Estimate): string | undefined {
  const mine = est.items.filter((i) => i.line === line);
  const seedSummary = seed.lines.find((l) => l.line === line);
  const theirs = [...seed.items, ...seed.replaced].filter((i) => i.line === line && i.component !== 'stated');
  const reasons: string[] = [];
  if (!seedSummary) reasons.push('the seed has no such line');
  const sc = components(theirs);
  for (const [name, c] of components(mine)) {
    if (name.endsWith('free tier')) {
      reasons.push('free tier credited');
      continue;
    }
    const s = sc.get(name);
    if (!s) {
      if (seedSummary && !(seedSummary.override && theirs.length === 0)) reasons.push(`${name} not counted in the seed`);
      continue;
    }
    const [r1, r2] = [rateOf(c), rateOf(s)];
    if (Math.abs(r1 - r2) > 0.005 * Math.max(Math.abs(r1), Math.abs(r2))) reasons.push(`${name} ${rate(r1)} vs the seed's ${rate(r2)} per ${c.unit}`);
    else if (Math.abs(c.quantity - s.quantity) > 1e-6 * Math.max(1, s.quantity)) reasons.push(`${name} ${fmt(c.quantity)} vs the seed's ${fmt(s.quantity)} ${c.unit}`);
  }
  const stated = seed.items.find((i) => i.line === line && i.component === 'stated');
  const mineUnits = components(mine);
  if (stated && mineUnits.size === 1) {
    const [, c] = [...mineUnits][0]!;
    if (c.unit === stated.unit && Math.abs(c.quantity - stated.quantity) > 1e-6 * Math.max(1, stated.quantity)) {
      reasons.push(`the seed counts ${fmt(stated.quantity)} ${c.unit}, the topology ${fmt(c.quantity)}`);
    }
  }
  if (seedSummary?.override && theirs.length === 0) {
    // The seed states a figure with no rate: say so, and what dominates the list price.
    const biggest = [...components(mine)].sort((a, b) => b[1].amount - a[1].amount)[0];
    reasons.unshift(`the seed states ${money(seedSummary.amount)} with no rate${biggest ? `; ${biggest[0]}: ${fmt(biggest[1].quantity)} ${biggest[1].unit}${biggest[1].unit === 'event' && biggest[1].quantity !== 1 ? 's' : ''} x ${rate(rateOf(biggest[1]))} = ${money(biggest[1].amount)}` : ''}`);
  }
  if (seedSummary?.override && theirs.length > 0 && seedSummary.computed !== undefined) {
    reasons.push(`the seed states ${money(seedSummary.amount)} (its rates give ${money(seedSummary.computed)})`);
  }
  const notes = new Set(mine.flatMap((i) => (i.note ? i.note.split('; ') : [])).map((n) => n.replace(/^tiered per .*/, 'tiered rates')));
  reasons.push(...[...notes].slice(0, 3));
  return reasons.length ? [...new Set(reasons)].join('; ') : undefined;
}

/** Every line of `est` beside the seed table's estimate of the same topology, with reasons. */
export function versusSeed(est: Estimate, seed: Estimate): CompareRow[] {
  return joinLines(est, seed).map((row) => ({
    ...row,
    reason: Math.abs(row.delta) >= 0.005 ? reasonFor(row.line, est, seed) : undefined,
  }));
}

/** The monthly difference by line between two estimates (this spec vs --compare other.yaml). */
export function compareEstimates(est: Estimate, other: Estimate): CompareRow[] {
  return joinLines(est, other);
}

function joinLines(a: Estimate, b: Estimate): CompareRow[] {
  const ids = [...new Set([...a.lines.map((l) => l.line), ...b.lines.map((l) => l.line)])];
  return ids.map((line) => {
    const x = a.lines.find((l) => l.line === line);
    const y = b.lines.find((l) => l.line === line);
    const amount = x?.amount ?? 0;
    const other = y?.amount ?? 0;
    return { line, service: (x ?? y)!.service, amount, other, delta: amount - other };
  });
}
