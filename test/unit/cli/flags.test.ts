/**
 * Every command, as a user runs it, refuses a flag it does not know (exit 2, oclif's message,
 * no stack trace) before it does anything: a mistyped flag must never be silently ignored.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, ROOT, ruvector } from './helpers.js';

let home: string;
const saved = process.env.RUVECTOR_HOME;
beforeAll(() => {
  ensureBuilt();
  // Its own home: no command may reach a daemon of the developer's.
  home = mkdtempSync(join(tmpdir(), 'ruvector-flags-'));
  process.env.RUVECTOR_HOME = home;
});
afterAll(() => {
  if (saved === undefined) delete process.env.RUVECTOR_HOME;
  else process.env.RUVECTOR_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

it('every command refuses an unknown flag with exit 2 and says which', async () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
  const ids = Object.keys(manifest.commands).sort();
  expect(ids).toEqual(expect.arrayContaining(['deploy', 'verify', 'emulator:status', 'emulator:stop', 'emulator:reset']));
  const runs = await Promise.all(ids.map(async (id) => ({ id, r: await ruvector([...id.split(':'), '--no-such-flag'], home) })));
  const wrong = runs
    .filter(({ r }) => r.code !== 2 || !/Nonexistent flag: --no-such-flag/.test(r.stderr) || /\n\s+at /.test(r.stderr))
    .map(({ id, r }) => `${id}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  expect(wrong).toEqual([]);
}, 120_000);

it('a --regions that names no region, or a malformed --project, is refused before anything starts', async () => {
  for (const args of [['render', '--regions', ',,'], ['deploy', '--local', '--regions', ' , ', '--yes'], ['plan', '--local', '--regions', '']]) {
    const r = await ruvector(args, home);
    expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(/^Error: --regions: no region given in ".*" \(a comma-separated list/);
    expect(r.stdout).toBe('');
  }
  const badProject = await ruvector(['plan', '--local', '--project', 'My_Project'], home);
  expect(badProject.code).toBe(2);
  expect(badProject.stderr).toMatch(/Parsing --project[\s\S]*"My_Project" is not a GCP project id/);
  // Nothing was started: no emulator record in this home.
  expect(readdirSync(home).filter((f) => f.startsWith('emulator'))).toEqual([]);
}, 60_000);
