/**
 * The runbooks in docs/runbooks/, run as an operator runs them: `node bin/run.js ...` as a
 * child process against the local emulator daemon that `deploy --local` starts (own
 * RUVECTOR_HOME, so its own daemon and data plane). One deploy is shared: every runbook
 * starts from the state the previous one leaves, in the order an SRE would meet them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from '../integration/engine/helpers.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const home = mkdtempSync(join(tmpdir(), 'rv-runbooks-'));
const env: NodeJS.ProcessEnv = { ...process.env, RUVECTOR_HOME: home, NO_COLOR: '1', RUVECTOR_DEBUG: '', RUVECTOR_EMULATOR_HOST: '' };
delete env.RUVECTOR_EMULATOR_HOST;
const spec = join(home, 'ruvector.yaml');
// Its own project: the data plane's Postgres databases and Redis are named per project.
const project = `rb-e2e-${process.pid}`;

function ruvector(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, out: `${stdout}\n${stderr}`.slice(-4000) }));
  });
}

/** The local template with the regions and overrides a runbook step asks for. */
function writeSpec(mutate: (d: Doc) => void): void {
  const d = parse(readFileSync(join(ROOT, 'templates', 'local.yaml'), 'utf8')) as Doc;
  d.project = project;
  d.regions = { tier1: ['us-central1'], tier2: [] };
  d.loadBalancer.clientRegionRoutes = [{ value: 'us', region: 'us-central1' }];
  mutate(d);
  writeFileSync(spec, stringify(d));
}
const twoRegions = (d: Doc) => {
  d.regions.tier1 = ['us-central1', 'europe-west1'];
  d.loadBalancer.clientRegionRoutes = [{ value: 'us', region: 'us-central1' }, { value: 'eu', region: 'europe-west1' }];
};

interface Row { group: string; region?: string; subject: string; verdict: string; reason: string }
async function verifyJson(...extra: string[]): Promise<{ code: number; rows: Row[]; summary: { verdict: string; exitCode: number; failedRegions: string[] } }> {
  const r = await ruvector('verify', '-f', spec, '--local', '--json', ...extra);
  const body = JSON.parse(r.stdout) as { results: Row[]; summary: { verdict: string; exitCode: number; failedRegions: string[] } };
  return { code: r.code, rows: body.results, summary: body.summary };
}
/** Pids of a region's Cloud Run instances, from the daemon's data plane status. */
async function servicePids(region: string): Promise<number[]> {
  const { host, port } = JSON.parse(readFileSync(join(home, 'emulator.json'), 'utf8')) as { host: string; port: number };
  const st = (await (await fetch(`http://${host}:${port}/__emulator/dataplane`)).json()) as { parts: { run: { services: { name: string; revisions: { instances: { pid?: number }[] }[] }[] } } };
  return st.parts.run.services.filter((s) => s.name.includes(`/locations/${region}/`)).flatMap((s) => s.revisions.flatMap((r) => r.instances.map((i) => i.pid).filter((p): p is number => typeof p === 'number')));
}

const failing = (rows: Row[]) => rows.filter((r) => r.verdict === 'fail').map((r) => `${r.region ?? 'global'} ${r.group} ${r.subject}: ${r.reason}`);

beforeAll(() => {
  ensureBuilt();
  writeSpec(() => undefined);
}, 300_000);

afterAll(async () => {
  await ruvector('emulator', 'stop');
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe.sequential('runbooks against deploy --local', () => {
  it('deploy-new-region: one region deployed and verified, then a second added with --regions', async () => {
    const first = await ruvector('deploy', '-f', spec, '--local', '--yes');
    expect(first.code, first.out).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ changes in [\d.]+s; 0 failed/);
    const v1 = await verifyJson('--samples', '0');
    expect(failing(v1.rows)).toEqual([]);

    writeSpec(twoRegions);
    const plan = await ruvector('plan', '-f', spec, '--local', '--regions', 'europe-west1');
    expect(plan.code, plan.out).toBe(0);
    expect(plan.stdout).toMatch(/europe-west1/);
    expect(plan.stdout).toMatch(/\d+ to create/);
    const add = await ruvector('deploy', '-f', spec, '--local', '--regions', 'europe-west1', '--yes');
    expect(add.code, add.out).toBe(0);
    const v2 = await verifyJson('--samples', '0');
    expect(failing(v2.rows)).toEqual([]);
    expect(v2.rows.filter((r) => r.region === 'europe-west1' && r.group === 'health').map((r) => r.verdict)).toEqual(['pass', 'pass']);
  }, 600_000);

  it('canary-rollout: a healthy image is promoted; a broken one is rolled back automatically (exit 1)', async () => {
    const good = await ruvector('rollout', '-f', spec, '--local', '--image', 'ruvector:v2', '--canary', '10', '--regions', 'us-central1', '--pause', '0s', '--probes', '3');
    expect(good.code, good.out).toBe(0);
    expect(good.stdout).toMatch(/us-central1 +promoted +ruvector-streaming-v2-\w+ +ruvector-streaming-v2-\w+ 100%/);
    const bad = await ruvector('rollout', '-f', spec, '--local', '--image', `gcr.io/${project}/nginx:1.25`, '--canary', '10', '--pause', '0s', '--probes', '3');
    expect(bad.code, bad.out).toBe(1);
    expect(bad.stdout).toMatch(/us-central1 +rolled-back/);
    expect(bad.stdout).toMatch(/europe-west1 +skipped .*not attempted: an earlier wave failed/);
    expect(bad.stdout).toMatch(/Image 'gcr.io\/.+\/nginx:1.25' not found/);
    // Back to the spec's image: deploy converges the service, verify is clean again.
    const back = await ruvector('deploy', '-f', spec, '--local', '--yes');
    expect(back.code, back.out).toBe(0);
    const v = await verifyJson('--samples', '0');
    expect(failing(v.rows)).toEqual([]);
  }, 600_000);

  it('regional-failover: a region whose service stops fails verify; its clients move to a healthy region', async () => {
    // The outage: europe-west1's service instances stop answering (SIGSTOP: alive but frozen, as a hung region is).
    const pids = await servicePids('europe-west1');
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const down = await verifyJson('--samples', '0', '--timeout', '3');
      expect(down.code).toBe(1);
      expect(down.summary.failedRegions, failing(down.rows).join('\n')).toEqual(['europe-west1']);
      expect(down.rows.find((r) => r.region === 'europe-west1' && r.subject === 'ruvector-streaming url')!.reason).toMatch(/timed out|no answer/);
    } finally {
      // The data plane may have replaced a frozen instance meanwhile (its liveness probe failed,
      // as Cloud Run's would): that process is gone, and there is nothing left to resume.
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        }
      }
    }
    // Failover: eu clients go to us-central1 (the URL map's X-Client-Region route), europe-west1 repaired after.
    writeSpec((d) => {
      twoRegions(d);
      d.loadBalancer.clientRegionRoutes = [{ value: 'us', region: 'us-central1' }, { value: 'eu', region: 'us-central1' }];
    });
    const plan = await ruvector('plan', '-f', spec, '--local');
    expect(plan.stdout).toMatch(/ruvector-url-map/);
    const move = await ruvector('deploy', '-f', spec, '--local', '--yes');
    expect(move.code, move.out).toBe(0);
    const v = await verifyJson('--samples', '0');
    expect(failing(v.rows)).toEqual([]);
    expect(v.rows.find((r) => r.region === 'europe-west1' && r.subject === 'load balancer')).toMatchObject({ verdict: 'warn' });
    writeSpec(twoRegions);
    const restore = await ruvector('deploy', '-f', spec, '--local', '--yes');
    expect(restore.code, restore.out).toBe(0);
    const after = await verifyJson('--samples', '0');
    expect(failing(after.rows)).toEqual([]);
  }, 600_000);

  it('burst-50x: cost first, minimums raised for the window, drift shows them, restore lowers them', async () => {
    const dry = await ruvector('scale', '-f', spec, '--local', '--burst', '50x', '--for', '4h', '--dry-run');
    expect(dry.code, dry.out).toBe(0);
    expect(dry.stdout).toMatch(/^Burst 50x for 4 h: \$[\d.,]+ for the window/m);
    expect(dry.stdout).toMatch(/us-central1 +[\d.]+ +1 +2\* +2 +1 +\$/);
    const up = await ruvector('scale', '-f', spec, '--local', '--burst', '50x', '--for', '4h', '--yes');
    expect(up.code, up.out).toBe(0);
    expect(up.stdout).toMatch(/us-central1 +raised +2 +min instances 1 -> 2 until/);
    const v = await verifyJson('--samples', '0');
    expect(v.rows.filter((r) => r.group === 'drift' && /minInstanceCount/.test(r.reason)).length).toBe(2);
    const early = await ruvector('scale', '-f', spec, '--local', '--restore');
    expect(early.stdout).toMatch(/unchanged +window runs until/);
    const down = await ruvector('scale', '-f', spec, '--local', '--restore', '--force');
    expect(down.code, down.out).toBe(0);
    expect(down.stdout).toMatch(/us-central1 +restored +1/);
  }, 600_000);

  it('p99-slo-breach: verify measures latency per region and names the regions to act on', async () => {
    const v = await verifyJson('--samples', '50');
    const lat = v.rows.filter((r) => r.group === 'latency');
    expect(lat.map((r) => r.region).sort()).toEqual(['europe-west1', 'us-central1']);
    for (const r of lat) expect(r.reason).toMatch(/p50 .* ms, p95 .* ms, p99 .* ms over 50 searches|no collection with points to search/);
    expect(failing(v.rows)).toEqual([]);
  }, 300_000);

  it('rotate-db-password: a new secret name, one deploy, the service reconnects', async () => {
    writeSpec((d) => {
      twoRegions(d);
      d.secrets = [
        { name: 'ruvector-redis-host-${region}', valueFrom: 'redis.host' },
        { name: 'ruvector-db-user', valueFrom: 'sql.user' },
        { name: 'ruvector-db-password-r2-${primaryRegion}', valueFrom: 'sql.password' },
      ];
      d.service.secretEnv = { DB_PASSWORD: { secret: 'ruvector-db-password-r2-${primaryRegion}', version: 'latest' } };
    });
    const plan = await ruvector('plan', '-f', spec, '--local');
    expect(plan.code, plan.out).toBe(0);
    expect(plan.stdout).toMatch(/create +secretmanager\.Secret .*ruvector-db-password-r2-us-central1/);
    expect(plan.stdout).toMatch(/delete +secretmanager\.Secret .*ruvector-db-password-us-central1/);
    const deploy = await ruvector('deploy', '-f', spec, '--local', '--yes');
    expect(deploy.code, deploy.out).toBe(0);
    const v = await verifyJson('--samples', '0');
    expect(failing(v.rows)).toEqual([]);
  }, 600_000);

  it('restore-index: fresh instances reload the index; verify is clean after', async () => {
    const r = await ruvector('rollout', '-f', spec, '--local', '--image', 'ruvector:local', '--force', '--canary', '50', '--regions', 'europe-west1', '--pause', '0s', '--probes', '3');
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/europe-west1 +promoted/);
    const v = await verifyJson('--samples', '0');
    expect(failing(v.rows)).toEqual([]);
  }, 600_000);
});
