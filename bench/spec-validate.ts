/**
 * How long validating a spec takes as it grows: templates/production.yaml with N extra
 * metadata labels, and with N extra tier-2 entries. Each case runs loadSpec in a child
 * process (its own heap; a crash or a hang cannot take the bench down) and prints the wall
 * time, the peak RSS and the outcome (the first problem, with its file:line:col).
 *
 * With --baseline DIR (a compiled tree of another revision, e.g. main's dist/) each case also
 * runs there, and the ratio baseline/this is printed. Cases that finish within a second run
 * --repeat times (alternating trees) and report the median.
 * Usage: tsx bench/spec-validate.ts [--baseline /path/to/other/dist] [--timeout-s 120] [--repeat 7] [--only production]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values } = parseArgs({ options: { baseline: { type: 'string' }, 'timeout-s': { type: 'string', default: '120' }, repeat: { type: 'string', default: '7' }, only: { type: 'string' } } });
const repeat = Number(values.repeat);
const root = resolve(import.meta.dirname, '..');
const timeoutMs = Number(values['timeout-s']) * 1000;
const template = readFileSync(join(root, 'templates', 'production.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'rv-spec-bench-'));

function withLabels(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`    label-${String(i).padStart(6, '0')}: value-${String(i).padStart(6, '0')}`);
  return template.replace('    environment: production\n', `    environment: production\n${lines.join('\n')}\n`);
}
function withTier2(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`    - region-${i}`);
  return template.replace(/ {2}tier2:\n/, `  tier2:\n${lines.join('\n')}\n`);
}

const cases: [string, () => string][] = [
  ['production.yaml', () => template],
  ['+5,000 labels', () => withLabels(5_000)],
  ['+10,000 labels', () => withLabels(10_000)],
  ['+20,000 labels', () => withLabels(20_000)],
  ['+350,000 labels', () => withLabels(350_000)],
  ['+100,000 tier2', () => withTier2(100_000)],
  ['+1,000,000 tier2', () => withTier2(1_000_000)],
];

// The child: load the spec with the given tree's loadSpec, report time, memory and outcome.
const child = `
const [dist, file] = process.argv.slice(1);
const { loadSpec } = await import(dist + '/src/spec/index.js');
const t = performance.now();
let outcome;
try { await loadSpec(file); outcome = 'valid'; }
catch (e) { outcome = e.problems ? e.problems.find((p) => p.severity !== 'warning')?.file + ':' + (e.problems.find((p) => p.severity !== 'warning')?.line) + ':' + (e.problems.find((p) => p.severity !== 'warning')?.col) + ' ' + e.problems.find((p) => p.severity !== 'warning')?.message : 'crash: ' + e.message; }
const s = (performance.now() - t) / 1000;
// Warm: the same file again in this process (compiled schema, caches), median of N.
const warm = [];
for (let i = 0; outcome === 'valid' && i < Number(process.argv[3] ?? 0); i++) { const w = performance.now(); await loadSpec(file); warm.push(performance.now() - w); }
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ s, rssMb: process.resourceUsage().maxRSS / 1024, outcome, warmMs: warm.length ? warm[warm.length >> 1] : undefined }));
`;

interface Run {
  s?: number;
  warmMs?: number;
  rssMb?: number;
  outcome: string;
}

function run(dist: string, file: string): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['--input-type=module', '-e', child, pathToFileURL(dist).href, file, '50'], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      const last = stdout.trim().split('\n').pop();
      if (last?.startsWith('{')) return done(JSON.parse(last) as Run);
      done({ outcome: err?.killed ? `no answer within ${timeoutMs / 1000} s` : `crash: ${(err?.message ?? '').split('\n').slice(0, 2).join(' ')}` });
    });
  });
}

function median(runs: Run[]): Run {
  const timed = runs.filter((r) => r.s !== undefined).sort((a, b) => a.s! - b.s!);
  return timed.length === runs.length ? { ...timed[Math.floor(timed.length / 2)]!, outcome: `${runs[0]!.outcome}${runs.length > 1 ? ` (median of ${runs.length})` : ''}` } : runs[0]!;
}

const fmt = (r: Run) => (r.s === undefined ? `>${timeoutMs / 1000} s`.padStart(9) : `${r.s.toFixed(3)} s`.padStart(9)) + `${r.rssMb ? `${r.rssMb.toFixed(0)} MB`.padStart(9) : ''.padStart(9)}`;

try {
  console.log(`case                 size     this tree          ${values.baseline ? 'baseline           ratio' : ''}`);
  for (const [name, make] of cases.filter(([n]) => !values.only || n.includes(values.only))) {
    const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
    const text = make();
    writeFileSync(file, text);
    const mineRuns = [await run(join(root, 'dist'), file)];
    const baseRuns = values.baseline ? [await run(resolve(values.baseline), file)] : [];
    const quick = (r: Run) => r.s !== undefined && r.s < 1;
    if (quick(mineRuns[0]!) && (!baseRuns[0] || quick(baseRuns[0]))) {
      for (let i = 1; i < repeat; i++) {
        mineRuns.push(await run(join(root, 'dist'), file));
        if (values.baseline) baseRuns.push(await run(resolve(values.baseline), file));
      }
    }
    const mine = median(mineRuns);
    const base = baseRuns.length ? median(baseRuns) : undefined;
    const ratio = base && mine.s !== undefined ? (base.s === undefined ? `>${(timeoutMs / 1000 / mine.s).toFixed(0)}x` : `${(base.s / mine.s).toFixed(1)}x`) : '';
    console.log(`${name.padEnd(18)} ${`${(Buffer.byteLength(text) / 1024 / 1024).toFixed(2)} MB`.padStart(9)} ${fmt(mine)}  ${base ? `${fmt(base)}  ${ratio.padStart(6)}` : ''}`);
    console.log(`    this:     ${mine.outcome.replace(dir + '/', '').slice(0, 200)}`);
    if (base) console.log(`    baseline: ${base.outcome.replace(dir + '/', '').slice(0, 200)}`);
    if (mine.warmMs !== undefined) {
      const w = base?.warmMs !== undefined ? `, baseline ${base.warmMs.toFixed(1)} ms, ratio ${(base.warmMs / mine.warmMs).toFixed(2)}x` : '';
      console.log(`    warm (same process, median of 50): this ${mine.warmMs.toFixed(1)} ms${w}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
