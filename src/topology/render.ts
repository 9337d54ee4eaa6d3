import type { ResourceGraph } from './types.js';

/** The short form of a resource name for tables: its last segment (or "<parent>#iam"). */
export function shortName(name: string): string {
  const [base, frag] = name.split('#') as [string, string | undefined];
  const last = base.slice(base.lastIndexOf('/') + 1);
  return frag ? `${last}#${frag}` : last;
}

/** Aligned plain-text table: kind, name, region, dependencies (short names). */
export function renderGraphTable(g: ResourceGraph): string {
  const rows = g.resources.map((r) => [
    r.kind,
    r.name,
    r.region ?? (r.homeRegion ? `global (${r.homeRegion})` : 'global'),
    r.dependsOn.map(shortName).join(', ') || '-',
  ]);
  const head = ['KIND', 'NAME', 'REGION', 'DEPENDS ON'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** Resource counts per kind, in first-seen order. */
export function countByKind(g: ResourceGraph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of g.resources) out[r.kind] = (out[r.kind] ?? 0) + 1;
  return out;
}
