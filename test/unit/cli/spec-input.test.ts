/**
 * Spec input at the command line: an empty -f is refused (it used to fall back to a default
 * spec without a word), and a long list of problems reaches a pipe whole.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MINIMAL } from '../spec/helpers.js';
import { ensureBuilt, ruvector } from './helpers.js';

let home: string;
const saved = process.env.RUVECTOR_HOME;
beforeAll(() => {
  ensureBuilt();
  home = mkdtempSync(join(tmpdir(), 'ruvector-spec-input-'));
  process.env.RUVECTOR_HOME = home;
});
afterAll(() => {
  if (saved === undefined) delete process.env.RUVECTOR_HOME;
  else process.env.RUVECTOR_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

it("-f '' is refused by every spec-reading command before anything starts (with --local it quietly used templates/local.yaml)", async () => {
  const runs = [['deploy', '--local', '--yes'], ['plan', '--local'], ['destroy', '--local', '--yes'], ['verify', '--local'], ['validate'], ['render'], ['cost-estimate']];
  for (const args of runs) {
    const r = await ruvector([...args, '-f', ''], home);
    expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(/Parsing --file[\s\S]*the spec path is empty: name a file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  expect(readdirSync(home).filter((f) => f.startsWith('emulator'))).toEqual([]);
}, 120_000);

it('validate --json with thousands of problems writes the whole document to a pipe (it was cut off at 128 KiB)', async () => {
  const firewalls = Array.from({ length: 9000 }, (_, i) => `    - { name: fw-${i}, priority: -1 }`).join('\n');
  const file = join(home, 'many-problems.yaml');
  writeFileSync(file, `${MINIMAL}network:\n  firewalls:\n${firewalls}\n`);
  const r = await ruvector(['validate', '-f', file, '--json'], home);
  expect(r.code).toBe(1);
  expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
  const body = JSON.parse(r.stdout) as { valid: boolean; problems: { path: string; line: number }[] };
  expect(body.valid).toBe(false);
  expect(body.problems).toHaveLength(9000);
  expect(body.problems[8999]).toMatchObject({ path: 'network.firewalls[8999].priority', line: 9011 });
  const text = await ruvector(['validate', '-f', file], home);
  expect(text.stderr.trim().split('\n')).toHaveLength(9001);
}, 120_000);

it('a 10 MB spec is refused in seconds with the place the size limit is passed', async () => {
  const file = join(home, 'huge.yaml');
  writeFileSync(file, `${MINIMAL}metadata2:\n${Array.from({ length: 400_000 }, (_, i) => `  key-${i}: value-${i}`).join('\n')}\n`);
  const r = await ruvector(['validate', '-f', file], home);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d{4,}:\\d+ {2}\\(root\\) {2}the spec is \\d+\\.\\d MiB; at most 1\\.0 MiB is accepted`));
}, 60_000);
