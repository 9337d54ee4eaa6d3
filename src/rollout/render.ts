import type { RegionResult, RolloutEvent } from './index.js';

export function renderResults(results: RegionResult[]): string {
  const rows = [['REGION', 'OUTCOME', 'REVISION', 'TRAFFIC', 'REASON'], ...results.map((r) => [r.region, r.outcome, r.revision ?? '', r.traffic ?? '', r.reason])];
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 4 ? c.padEnd(w[i]!) : c)).join('  ')).join('\n');
}

export function describeEvent(e: RolloutEvent): string | undefined {
  switch (e.type) {
    case 'wave':
      return `Wave ${e.index}: ${e.regions.join(', ')}`;
    case 'pause':
      return `Pausing ${Math.round(e.ms / 1000)} s before the next wave`;
    case 'step':
      return `  ${e.region}: ${e.message}`;
    default:
      return undefined;
  }
}
