/** The quota report as an aligned table, shortfalls first and each with what to ask for. */
import type { QuotaRow } from './report.js';
import type { FiledRequest } from './request.js';

const fmt = (n: number | undefined) => (n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

const ORDER = { short: 0, unknown: 1, ok: 2 } as const;

export function renderQuotaReport(rows: QuotaRow[], o: { targetLabel: string; filed?: FiledRequest[] }): string {
  const sorted = [...rows].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || a.key.localeCompare(b.key));
  const lines = [`Quotas for ${o.targetLabel}`, ''];
  lines.push(
    table([
      ['VERDICT', 'QUOTA', 'SCOPE', 'NEEDED', 'LIMIT', 'USAGE', 'UNIT', 'ASK FOR'],
      ...sorted.map((r) => [
        r.verdict.toUpperCase(),
        r.title,
        r.region ?? 'project',
        fmt(r.needed),
        fmt(r.limit),
        fmt(r.usage),
        r.unit,
        r.request ? `${fmt(r.request.preferredValue)} (+${fmt(r.request.increase)})` : '',
      ]),
    ]),
  );
  const short = sorted.filter((r) => r.verdict === 'short');
  const unknown = sorted.filter((r) => r.verdict === 'unknown');
  lines.push('');
  if (short.length) {
    lines.push(`${short.length} shortfall(s). Increases to request:`);
    for (const r of short) {
      lines.push(`  ${r.service} ${r.quotaId}${r.region ? ` region=${r.region}` : ''}: ${fmt(r.limit)} -> ${fmt(r.request?.preferredValue)} ${r.unit} (${r.basis})${r.note ? `; ${r.note}` : ''}`);
    }
    if (!o.filed) lines.push('File them with: ruvector quotas --request');
  } else {
    lines.push('Everything fits under the current limits.');
  }
  for (const r of unknown) lines.push(`  could not read ${r.title}${r.region ? ` in ${r.region}` : ''}: ${r.note}`);
  if (o.filed?.length) {
    lines.push('', 'Quota preferences filed:');
    for (const f of o.filed) {
      lines.push(`  ${f.action} ${f.name}: preferred ${fmt(f.preferredValue)}${f.pending ? ', pending review' : `, granted ${fmt(f.grantedValue)}`}`);
    }
  }
  return lines.join('\n');
}
