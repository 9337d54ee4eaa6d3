/**
 * Golden documents: what the CLI prints with --json, written to a directory so two trees can
 * be compared with `diff -r`. A restructuring that means to change no behaviour shows an
 * empty diff between a run before it and a run after it.
 *
 *   npx tsx scripts/golden-docs.ts <out-dir> [--no-build]
 *
 * It builds dist/ (unless --no-build) and then runs the built CLI as a user would, in a fresh
 * $RUVECTOR_HOME with RUVECTOR_EMULATOR_HOST cleared, so it never sees anyone else's emulator:
 *   render-<template>.json        `render --json` of every spec in templates/
 *   plan-<template>.json          `plan --json` of local.yaml and regional.yaml against a freshly
 *                                 started emulator (nothing deployed: every resource a create)
 *   deploy-local.json             `deploy --json --yes` of local.yaml (its final document)
 *   plan-local-deployed.json      `plan --json` of local.yaml once deployed (observe + diff)
 *   verify-local.json             `verify --json` of local.yaml (control plane only, so the
 *                                 data-plane checks report what they cannot reach)
 *   destroy-local.json            `destroy --json --yes` of local.yaml (its final document)
 *   plan-local-destroyed.json     `plan --json` of local.yaml after the destroy
 * Each document carries the command's exit code next to its output.
 *
 * The emulator runs without its data plane (no Redis, Postgres or service processes: the
 * documents do not depend on the machine's load) and with its default seed, so generated
 * names are repeatable. What is still not repeatable is normalised, and only that:
 *   - wall-clock timestamps (`at`, `createdAt`, `startedAt`)     -> "<time>"
 *   - elapsed times (`ms`, `durationMs`, `roundTripMs`)           -> "<ms>"
 *   - the emulator's port, which the OS picks (in target labels)   -> 127.0.0.1:<port>
 *   - Cloud Run revision suffixes (`<service>-00001-abc`): drawn from the emulator's seeded
 *     PRNG, but in the order concurrent creates reach it, so which region gets which suffix
 *     varies from run to run                                       -> <service>-00001-<rand>
 *   - the order of apply results: resources run concurrently and finish in any order, so
 *     `result.results` is sorted by resource name (its contents are kept).
 *   - an apply result's `retries`: concurrent writers meet transient conflicts by timing (two
 *     IAM member deletes on one bucket race for its policy's etag, and the loser retries on
 *     FAILED_PRECONDITION in some runs and not others)                -> "<retries>"
 *     `status` stays, so a retry that ends in failure still shows.
 * deploy and destroy also stream progress events (NDJSON) before their final document: their
 * order and timing depend on the scheduler, so only the final document is kept.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outArg = args.find((a) => !a.startsWith('--'));
if (!outArg) {
  process.stderr.write('usage: npx tsx scripts/golden-docs.ts <out-dir> [--no-build]\n');
  process.exit(2);
}
const out = resolve(outArg);
mkdirSync(out, { recursive: true });

if (!args.includes('--no-build')) {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync('node', ['scripts/oclif-manifest.mjs'], { cwd: root, stdio: 'inherit' });
}

const scratch = mkdtempSync(join(tmpdir(), 'ruvector-golden-'));
const env: NodeJS.ProcessEnv = { ...process.env, RUVECTOR_HOME: join(scratch, 'home'), NO_COLOR: '1', RUVECTOR_DEBUG: '' };
delete env.RUVECTOR_EMULATOR_HOST;

function cli(argv: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [join(root, 'bin/run.js'), ...argv], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const TIME_KEYS = new Set(['at', 'createdAt', 'startedAt']);
const MS_KEYS = new Set(['ms', 'durationMs', 'roundTripMs']);
const RETRY_KEYS = new Set(['retries']);

function normalise(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>').replace(/\b([a-z][a-z0-9-]*-\d{5})-[a-z0-9]{3}\b/g, '$1-<rand>');
  if (Array.isArray(v)) return v.map(normalise);
  if (!v || typeof v !== 'object') return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (TIME_KEYS.has(k) && typeof x === 'string') o[k] = '<time>';
    else if (MS_KEYS.has(k) && typeof x === 'number') o[k] = '<ms>';
    else if (RETRY_KEYS.has(k) && typeof x === 'number') o[k] = '<retries>';
    else o[k] = normalise(x);
  }
  const results = (o.result as { results?: Array<{ name: string }> } | undefined)?.results;
  if (Array.isArray(results)) results.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return o;
}

/** The command's JSON document (the last one, for commands that stream events first). */
function lastDocument(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    // NDJSON events, then the final pretty-printed document: it starts at the last line that is exactly "{".
    const at = text.lastIndexOf('\n{\n');
    return JSON.parse(at >= 0 ? text.slice(at + 1) : text);
  }
}

function record(file: string, argv: string[]): void {
  const r = cli(argv);
  let doc: unknown;
  try {
    doc = lastDocument(r.stdout);
  } catch {
    doc = { unparsedStdout: r.stdout };
  }
  writeFileSync(join(out, file), `${JSON.stringify(normalise({ command: argv.join(' '), exitCode: r.status, output: doc }), null, 2)}\n`);
  process.stdout.write(`${file}: exit ${r.status}\n`);
  if (r.status !== 0 && r.stderr.trim()) process.stdout.write(`  stderr: ${r.stderr.trim().split('\n').slice(-3).join('\n  ')}\n`);
}

const templates = readdirSync(join(root, 'templates')).filter((f) => f.endsWith('.yaml')).sort();
for (const t of templates) record(`render-${basename(t, '.yaml')}.json`, ['render', '--json', '-f', `templates/${t}`]);

const started = cli(['emulator', 'start', '--state', join(scratch, 'state'), '--no-data-plane']);
if (started.status !== 0) throw new Error(`emulator start failed: ${started.stderr}`);
try {
  record('plan-local.json', ['plan', '--local', '--json', '-f', 'templates/local.yaml']);
  record('plan-regional.json', ['plan', '--local', '--json', '-f', 'templates/regional.yaml']);
  record('deploy-local.json', ['deploy', '--local', '--json', '--yes', '-f', 'templates/local.yaml']);
  record('plan-local-deployed.json', ['plan', '--local', '--json', '-f', 'templates/local.yaml']);
  record('verify-local.json', ['verify', '--local', '--json', '--samples', '5', '--timeout', '5', '-f', 'templates/local.yaml']);
  record('destroy-local.json', ['destroy', '--local', '--json', '--yes', '-f', 'templates/local.yaml']);
  record('plan-local-destroyed.json', ['plan', '--local', '--json', '-f', 'templates/local.yaml']);
} finally {
  const stopped = cli(['emulator', 'stop']);
  process.stdout.write(`emulator stop: exit ${stopped.status}\n`);
  rmSync(scratch, { recursive: true, force: true });
}
