import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clients } from '../../../src/gcp/clients.js';
import { loadSpec } from '../../../src/spec/index.js';
import { expandTopology } from '../../../src/topology/index.js';
import { checkQuotas, requestIncreases, shortfalls, type QuotaRow } from '../../../src/quotas/index.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';

const exec = promisify(execFile);

let t: TestEmulator;
let clients: Clients;
let project: string;

beforeAll(async () => {
  t = await startTestEmulator({ quotas: 'gcp-defaults' });
  const spec = (await loadSpec('templates/production.yaml')).spec;
  project = spec.project;
  clients = new Clients({ kind: 'emulator', project, host: t.emu.host, port: t.emu.port, timeScale: 0.001 });
});

afterAll(async () => {
  await clients?.close();
  await t?.stop();
});

const row = (rows: QuotaRow[], quota: string, region?: string) => rows.find((r) => r.quota === quota && r.region === region);

describe('ruvector quotas against GCP default limits', () => {
  it('lists the shortfalls the seed appendix asks to raise, read through Compute and Cloud Quotas', async () => {
    const graph = expandTopology((await loadSpec('templates/production.yaml')).spec);
    const rows = await checkQuotas(clients, graph);
    expect(rows.filter((r) => r.verdict === 'unknown')).toEqual([]);
    // Cloud Run: 32,000 vCPU and 8,000 instances in a tier-1 region against 1,000 / 1,000.
    expect(row(rows, 'run.cpu', 'us-central1')).toMatchObject({ verdict: 'short', needed: 32_000, limit: 1000, request: { preferredValue: 32_000, increase: 31_000 } });
    expect(row(rows, 'run.instances', 'us-central1')).toMatchObject({ verdict: 'short', limit: 1000 });
    expect(row(rows, 'run.instances', 'us-east1')).toMatchObject({ verdict: 'ok', needed: 1000 });
    expect(row(rows, 'run.memory', 'me-west1')?.verdict).toBe('short');
    // What fits: Redis per region, routers, forwarding rules, Cloud SQL at today's defaults.
    expect(row(rows, 'redis.capacity', 'us-central1')?.verdict).toBe('ok');
    expect(row(rows, 'compute.routers')).toMatchObject({ verdict: 'ok', needed: 15, usage: 0 });
    expect(row(rows, 'compute.forwardingRules')?.verdict).toBe('ok');
    const shortKeys = new Set(shortfalls(rows).map((r) => r.quota));
    expect(shortKeys).toEqual(new Set(['run.cpu', 'run.memory', 'run.instances']));
  });

  it('files quota preferences that raise modest limits at once and leave large ones pending', async () => {
    const spec = (await loadSpec('templates/local.yaml')).spec;
    const graph = expandTopology(spec);
    const base = await checkQuotas(clients, graph);
    expect(shortfalls(base)).toEqual([]);
    // A synthetic shortfall of 1,500 vCPU (default 1,000: within the auto-approved 2x) and one of 32,000.
    const cpuRow = row(base, 'run.cpu', 'us-central1');
    expect(cpuRow).toBeDefined();
    const modest: QuotaRow = { ...cpuRow!, needed: 1500, verdict: 'short', request: { preferredValue: 1500, increase: 500 } };
    const large: QuotaRow = { ...cpuRow!, region: 'europe-west1', key: 'run.cpu@europe-west1', needed: 32_000, verdict: 'short', request: { preferredValue: 32_000, increase: 31_000 } };
    const filed = await requestIncreases(clients, [modest, large], 'test');
    expect(filed.map((f) => [f.action, f.pending])).toEqual([['created', false], ['created', true]]);
    const after = await checkQuotas(clients, graph);
    expect(row(after, 'run.cpu', 'us-central1')?.limit).toBe(1500);
    expect(row(after, 'run.cpu', 'europe-west1')?.limit).toBe(1000);
    // Filing again updates the same preference rather than creating another.
    const again = await requestIncreases(clients, [modest], 'test');
    expect(again[0].action).toBe('updated');
  });

  it('runs as a command: a table of shortfalls and exit 1, or JSON', async () => {
    const env = { ...process.env, RUVECTOR_EMULATOR_HOST: `${t.emu.host}:${t.emu.port}` };
    const err = await exec('node', ['bin/run.js', 'quotas', '-f', 'templates/production.yaml', '--json'], { env }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(err?.code).toBe(1);
    const out = JSON.parse(err!.stdout) as { shortfalls: number; rows: QuotaRow[] };
    expect(out.shortfalls).toBeGreaterThanOrEqual(25);
    const ok = await exec('node', ['bin/run.js', 'quotas', '-f', 'templates/regional.yaml'], { env });
    expect(ok.stdout).toMatch(/Everything fits under the current limits/);
  });

  it('deploy refuses to start a topology that cannot fit, before any write', async () => {
    const env = { ...process.env, RUVECTOR_EMULATOR_HOST: `${t.emu.host}:${t.emu.port}`, RUVECTOR_HOME: await mkdtemp(join(tmpdir(), 'ruvector-quota-home-')) };
    const writesBefore = t.emu.requestLog.entries().filter((e) => e.write).length;
    const err = await exec('node', ['bin/run.js', 'deploy', '-f', 'templates/production.yaml', '--yes'], { env }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/does not fit the project's quotas/);
    expect(err?.stderr).toMatch(/Cloud Run CPU allocation in asia-northeast1: needs 32,000 vCPU, limit 1,000 \(ask for 32,000\)/);
    expect(err?.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(t.emu.requestLog.entries().filter((e) => e.write).length).toBe(writesBefore);
    await rm(env.RUVECTOR_HOME, { recursive: true, force: true });
  });
});

