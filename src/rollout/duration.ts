/** A year: anything longer is a typo (40000h for 4h), not a pause between waves or a burst window. */
const MAX_DURATION_MS = 366 * 86_400_000;

/** "90s", "5m", "4h", "1h30m", "0" -> milliseconds (for --pause, --for). */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let consumed = '';
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0];
  }
  if (!consumed || consumed !== t) throw new RangeError(`${flag}: "${text}" is not a duration (e.g. 30s, 5m, 4h, 1h30m)`);
  if (total > MAX_DURATION_MS) throw new RangeError(`${flag}: "${text}" is longer than ${MAX_DURATION_MS / 86_400_000}d`);
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
