import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { CLI, cliEnv, ensureBuilt, Homes, startTestEmulator, templateYaml } from '../integration/engine/helpers.js';

const homes = new Homes();

/** Asynchronous: the emulator runs in this process and must keep answering meanwhile. */
function ruvector(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
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

// Each test runs the CLI several times as child processes (a deploy among them); on a 2-core
// machine running the rest of the suite beside it, the default 60 s guard was hit by load alone.
describe('ruvector plan / deploy / destroy as a user runs them', { timeout: 180_000 }, () => {
  let emu: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  let spec: string;
  beforeAll(async () => {
    ensureBuilt();
    emu = await startTestEmulator();
    const home = homes.make();
    env = cliEnv(emu, home);
    spec = join(home, 'ruvector.yaml');
    writeFileSync(spec, templateYaml('local'));
  });
  afterAll(async () => {
    await emu.stop();
    homes.cleanup();
  });

  it('plans, refuses to deploy without --yes off a terminal, deploys, then plans nothing', async () => {
    const plan = await ruvector(['plan', '-f', spec, '--detailed-exitcode'], env);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/Plan: \d+ to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged\./);
    expect(plan.stdout).toContain('us-central1');

    const refused = await ruvector(['deploy', '-f', spec], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const deploy = await ruvector(['deploy', '-f', spec, '--yes'], env);
    expect(deploy.code, deploy.stdout.slice(-2000) + deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/Applied \d+ changes/);
    // Plain progress lines (not a TTY): one per event.
    expect(deploy.stdout).toMatch(/\[\+\d+\.\ds\] us-central1 +create +run\.Service .* done in/);
    // Secrets never printed: the generated password must not appear anywhere.
    expect(deploy.stdout).not.toMatch(/password.*"[A-Za-z0-9]{32}"/);

    const again = await ruvector(['plan', '-f', spec, '--detailed-exitcode', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const parsed = JSON.parse(again.stdout) as { changes: boolean; summary: { noop: number } };
    expect(parsed.changes).toBe(false);
    expect(parsed.summary.noop).toBeGreaterThan(50);
  });

  it('a saved plan is refused once live state moved', async () => {
    const out = join(homes.make(), 'plan.json');
    const changed = join(homes.make(), 'changed.yaml');
    writeFileSync(changed, templateYaml('local', (d) => ((d.tiers as Record<string, Record<string, Record<string, number>>>).tier2!.run!.maxInstances = 3)));
    const p = await ruvector(['plan', '-f', changed, '--out', out], env);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('template.scaling.maxInstanceCount: 1 -> 3');
    // Someone changes the same service in between (another deploy of another value).
    const other = join(homes.make(), 'other.yaml');
    writeFileSync(other, templateYaml('local', (d) => ((d.tiers as Record<string, Record<string, Record<string, number>>>).tier2!.run!.maxInstances = 2)));
    expect((await ruvector(['deploy', '-f', other, '--yes'], env)).code).toBe(0);
    const stale = await ruvector(['deploy', '-f', changed, '--plan', out, '--yes'], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('live state changed since the plan was saved');
  });

  it('destroy --json streams one event per line and leaves nothing of ours', async () => {
    const d = await ruvector(['destroy', '-f', spec, '--yes', '--json'], env);
    expect(d.code, d.stderr + d.stdout.slice(-1500)).toBe(0);
    const lines = d.stdout.trim().split('\n');
    const events = lines.slice(0, -1).filter((l) => l.startsWith('{"event"')).map((l) => JSON.parse(l) as { event: string; action?: string });
    expect(events.some((e) => e.event === 'done' && e.action === 'delete')).toBe(true);
    const plan = await ruvector(['destroy', '-f', spec, '--yes'], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Nothing to destroy.');
  });
});
