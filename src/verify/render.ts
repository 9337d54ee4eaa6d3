/** One table: region, check, subject, verdict, reason; then the summary line. */
import type { CheckResult } from './types.js';
import type { VerifySummary } from './verdicts.js';

const MARK = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Long API messages (a failed revision's container log) are cut in the table; --json has them whole. */
export function clip(reason: string, max: number): string {
  const one = reason.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function renderVerify(report: { target: string; topology: string; results: CheckResult[]; summary: VerifySummary }, o: { maxReason?: number } = {}): string {
  const order = (r: CheckResult) => (r.region ? 0 : r.group === 'drift' ? 2 : 1);
  const rows = [...report.results].sort((a, b) => order(a) - order(b) || (a.region ?? '').localeCompare(b.region ?? ''));
  const cols = [
    ['REGION', ...rows.map((r) => r.region ?? 'global')],
    ['CHECK', ...rows.map((r) => r.group)],
    ['SUBJECT', ...rows.map((r) => r.subject)],
    ['VERDICT', ...rows.map((r) => MARK[r.verdict])],
  ];
  const widths = cols.map((c) => Math.min(44, Math.max(...c.map((x) => x.length))));
  const lines: string[] = [`Verify ${report.topology} on ${report.target}`, ''];
  const line = (i: number, reason: string) => cols.map((c, j) => pad(c[i]!.slice(0, widths[j]), widths[j]!)).join('  ') + '  ' + reason;
  lines.push(line(0, 'REASON'));
  rows.forEach((r, i) => lines.push(line(i + 1, clip(r.reason, o.maxReason ?? 240))));
  const s = report.summary;
  lines.push('');
  lines.push(`${s.verdict === 'fail' ? 'FAIL' : s.verdict === 'warn' ? 'PASS with warnings' : 'PASS'}: ${s.pass} passed, ${s.warn} warnings, ${s.fail} failed${s.failedRegions.length ? ` — failing regions: ${s.failedRegions.join(', ')}` : ''}`);
  return lines.join('\n');
}
