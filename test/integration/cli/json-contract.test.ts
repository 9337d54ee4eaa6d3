/**
 * The --json contract README states, on the paths that exit non-zero (the golden documents
 * cover the successful ones): a command that ends with a non-zero code still prints exactly
 * one document on stdout, and an error is one `{error: {message, exitCode}}` document.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { CLI, cliEnv, ensureBuilt, Homes, startTestEmulator, templateYaml } from '../engine/helpers.js';

const homes = new Homes();
let emu: RunningEmulator;
let env: NodeJS.ProcessEnv;
let spec: string;

/** Asynchronous: the emulator runs in this process and must keep answering meanwhile. */
function ruvector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  ensureBuilt();
  emu = await startTestEmulator();
  const home = homes.make();
  env = cliEnv(emu, home);
  spec = join(home, 'ruvector.yaml');
  writeFileSync(spec, templateYaml('local'));
}, 120_000);

afterAll(async () => {
  await emu?.stop();
  homes.cleanup();
});

it('plan --detailed-exitcode with changes exits 2 and still prints its one document', async () => {
  const r = await ruvector(['plan', '-f', spec, '--json', '--detailed-exitcode']);
  expect(r.code, r.stderr).toBe(2);
  const doc = JSON.parse(r.stdout) as { changes: boolean; summary: { create: number; update: number }; plan: { items: unknown[] } };
  expect(doc.changes).toBe(true);
  expect(doc.summary.create).toBe(doc.plan.items.length);
  expect(doc.summary.update).toBe(0);
}, 120_000);

it('deploy --json without --yes is refused as one error document, exit 1, nothing applied', async () => {
  const r = await ruvector(['deploy', '-f', spec, '--json']);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toEqual({ error: { message: 'refusing to deploy without --yes: not on a terminal, so there is no one to ask', exitCode: 1 } });
  const after = await ruvector(['plan', '-f', spec, '--json']);
  expect((JSON.parse(after.stdout) as { summary: { noop: number } }).summary.noop).toBe(0);
}, 120_000);

it('rollout promote --json with nothing deployed exits 1 with its regions as the document', async () => {
  const r = await ruvector(['rollout', 'promote', '-f', spec, '--json']);
  const doc = JSON.parse(r.stdout) as { results: { region: string; outcome: string }[] };
  expect(doc.results.map((x) => x.outcome)).toEqual(doc.results.map(() => 'failed'));
  expect(doc.results.length).toBeGreaterThan(0);
  expect(r.code).toBe(1);
}, 120_000);
