/**
 * verify against a deployed local topology: the in-process emulator with its local data
 * plane (real Redis per Memorystore instance, real Postgres per Cloud SQL instance, and the
 * Cloud Run services when the run part is attached), templates/local.yaml deployed through
 * the engine exactly as `deploy --local` does. Then faults: a frozen Redis fails its region.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataPlane, type LocalDataPlane } from '../../../src/emulator/dataplane/index.js';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import type { Session } from '../../../src/engine/session.js';
import { verify, type CheckResult } from '../../../src/verify/index.js';
import { rollback, rollout } from '../../../src/rollout/index.js';
import { readService } from '../../../src/rollout/service.js';
import { applyBurst, planScale, restore } from '../../../src/scale/index.js';
import { deployUntilOk, failures, Homes, sessionFor, startTestEmulator, templateSpec } from '../engine/helpers.js';

let emu: RunningEmulator;
let plane: LocalDataPlane;
let session: Session;
const homes = new Homes();

const byGroup = (rs: CheckResult[], group: string, region?: string) => rs.filter((r) => r.group === group && (region === undefined || r.region === region));

beforeAll(async () => {
  plane = await createDataPlane({ log: () => undefined });
  emu = await startTestEmulator({ dataPlane: plane });
  session = sessionFor(templateSpec('local'), emu, homes.make());
  const { result } = await deployUntilOk(session);
  if (!result.ok) throw new Error(`deploy failed: ${failures(result)}`);
  // Best effort: a region whose service never gets ready is what verify must then report.
  if (plane.services().length) await plane.waitReady({ timeoutMs: 20_000 }).catch(() => undefined);
}, 180_000);

afterAll(async () => {
  await session?.close();
  await emu?.stop();
  await plane?.stop().catch(() => undefined);
  homes.cleanup();
});

describe('verify on a fresh local deploy', () => {
  let results: CheckResult[];
  beforeAll(async () => {
    results = (await verify(session, { samples: 20, timeoutMs: 8000 })).results;
  }, 120_000);

  it('finds every Cloud Run service Ready with the latest revision serving all traffic', () => {
    const run = byGroup(results, 'run');
    expect(run.map((r) => r.region).sort()).toEqual(['asia-northeast1', 'europe-west1', 'us-central1']);
    for (const r of run) expect(r, r.reason).toMatchObject({ verdict: 'pass' });
    expect(run[0]!.reason).toMatch(/Ready, revision .+ serves .+ 100%/);
  });

  it('writes and reads a probe key on each region\'s real Redis', () => {
    const redis = byGroup(results, 'redis');
    expect(redis).toHaveLength(3);
    for (const r of redis) {
      expect(r.verdict, r.reason).toBe('pass');
      expect(r.reason).toMatch(/writable \(SET\/GET\/DEL/);
    }
  });

  it('finds Cloud SQL primaries and the replica RUNNABLE', () => {
    const sql = byGroup(results, 'sql');
    expect(sql).toHaveLength(3);
    for (const r of sql) expect(r.verdict, r.reason).toBe('pass');
    expect(sql.find((r) => r.region === 'asia-northeast1')!.reason).toMatch(/replica of ruvector-db-us-central1/);
  });

  it('checks push endpoints against the live service URLs and the dead-letter topic', () => {
    const subs = byGroup(results, 'pubsub');
    expect(subs).toHaveLength(6);
    for (const r of subs) expect(r.verdict, r.reason).toBe('pass');
    const vu = subs.find((r) => r.subject === 'vector-updates-us-central1')!;
    expect(vu.reason).toMatch(/\/api\/v1\/pubsub\/vector-updates; dead letters to dead-letter/);
  });

  it('finds the buckets as specified and the load balancer chain complete', () => {
    for (const r of byGroup(results, 'storage')) expect(r.verdict, r.reason).toBe('pass');
    const lb = byGroup(results, 'lb');
    const https = lb.find((r) => r.subject === 'ruvector-https-forwarding')!;
    expect(https.verdict, https.reason).toBe('pass');
    expect(https.reason).toBe('ruvector-https-forwarding -> ruvector-https-proxy -> ruvector-url-map -> 3 backend services -> 3 NEGs');
    expect(lb.find((r) => r.subject === 'cloud armor')!.verdict).toBe('pass');
    expect(lb.find((r) => r.subject.startsWith('certificate'))!.verdict).not.toBe('fail');
  });

  it('reports no drift right after the deploy', () => {
    const drift = byGroup(results, 'drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.verdict, drift[0]!.reason).toBe('pass');
    expect(drift[0]!.reason).toMatch(/^all \d+ resources match the spec$/);
  });

  it('passes /health/ready through the service URL and the load balancer where the service runs, and fails it where it does not', () => {
    const health = byGroup(results, 'health');
    expect(health).toHaveLength(6);
    for (const s of plane.services()) {
      const mine = health.filter((r) => r.region === s.location);
      expect(mine).toHaveLength(2);
      for (const r of mine) expect(r.verdict, `${s.location} ${r.subject}: ${r.reason}`).toBe(s.ready ? 'pass' : 'fail');
      if (s.ready) {
        expect(mine.find((r) => r.subject === 'load balancer')!.reason).toMatch(new RegExp(`^LB \\(X-Client-Region: \\w+\\): ready \\(region ${s.location}\\)$`));
      }
    }
  });
});

describe('faults', () => {
  it('a frozen Redis fails only its region, with the reason', async () => {
    const status = plane.status() as { parts: { redis?: { instances?: { name: string; pid?: number }[] } } };
    const inst = (status.parts.redis?.instances ?? []).find((i) => i.name.endsWith('ruvector-redis-europe-west1'));
    if (!inst?.pid) {
      // Shared-Redis fallback (no redis-server binary): nothing of ours to stop.
      expect(status.parts.redis).toBeDefined();
      return;
    }
    process.kill(inst.pid, 'SIGSTOP');
    try {
      const report = await verify(session, { samples: 0, timeoutMs: 1500, drift: false });
      const redis = byGroup(report.results, 'redis');
      expect(redis.find((r) => r.region === 'europe-west1')!.verdict).toBe('fail');
      expect(redis.find((r) => r.region === 'europe-west1')!.reason).toMatch(/unreachable|timed out|Command timed out/i);
      expect(redis.filter((r) => r.region !== 'europe-west1').every((r) => r.verdict === 'pass')).toBe(true);
      expect(report.summary.exitCode).toBe(1);
      expect(report.summary.failedRegions).toContain('europe-west1');
      expect(report.summary.failedRegions).not.toContain('us-central1');
    } finally {
      process.kill(inst.pid, 'SIGCONT');
    }
  }, 60_000);

  it('API reads that meet 429s and 503s are retried: the verdicts are those of a quiet API', async () => {
    const verdicts = (rs: CheckResult[]) => Object.fromEntries(rs.map((r) => [`${r.group} ${r.region ?? 'global'} ${r.subject}`, `${r.verdict}`]));
    const quiet = verdicts((await verify(session, { samples: 0, timeoutMs: 8000, drift: false })).results);
    emu.faults.configure({ rate: 0.3, seed: 7 });
    try {
      const report = await verify(session, { samples: 0, timeoutMs: 8000, drift: false });
      expect(report.results.filter((r) => /injected/.test(r.reason)).map((r) => `${r.subject}: ${r.reason}`)).toEqual([]);
      expect(verdicts(report.results)).toEqual(quiet);
    } finally {
      emu.faults.configure({ rate: 0 });
    }
  }, 60_000);

  it('a subscription pushing elsewhere fails with what differs, and drift lists it', async () => {
    const sub = 'projects/ruvector-local/subscriptions/vector-updates-asia-northeast1';
    await session.clients.subscriber.modifyPushConfig({ subscription: sub, pushConfig: { pushEndpoint: 'https://example.invalid/push' } });
    try {
      const report = await verify(session, { samples: 0, timeoutMs: 5000 });
      const r = report.results.find((x) => x.group === 'pubsub' && x.subject === 'vector-updates-asia-northeast1')!;
      expect(r.verdict).toBe('fail');
      expect(r.reason).toMatch(/^pushes to https:\/\/example.invalid\/push, expected .+\/api\/v1\/pubsub\/vector-updates$/);
      const drift = report.results.filter((x) => x.group === 'drift' && x.subject === 'vector-updates-asia-northeast1');
      expect(drift).toHaveLength(1);
      expect(drift[0]!.reason).toMatch(/pushConfig/);
    } finally {
      await deployUntilOk(session);
    }
  }, 60_000);
});

describe('rollout and scale (us-central1)', () => {
  const US = 'projects/ruvector-local/locations/us-central1/services/ruvector-streaming';
  let us: Session;
  beforeAll(() => {
    us = sessionFor(templateSpec('local'), emu, homes.make(), ['us-central1']);
  });
  afterAll(async () => {
    await us?.close();
  });
  const opts = { canary: 20, pauseMs: 0, promote: true, probes: 5, timeoutMs: 10_000 };

  it('a broken image fails its canary and traffic returns to the previous revision automatically', async () => {
    const before = (await readService(us, US))!;
    const report = await rollout(us, { ...opts, image: 'gcr.io/ruvector-local/nginx:1.25' });
    expect(report.ok).toBe(false);
    const r = report.results[0]!;
    expect(r.outcome, r.reason).toBe('rolled-back');
    expect(r.previous).toBe(before.latestReady);
    // The rollout operation fails with Cloud Run's verdict, or the rollout finds the revision failed.
    expect(r.reason).toMatch(/is not ready(:| and cannot serve traffic\.) .*Image 'gcr.io\/ruvector-local\/nginx:1.25' not found/);
    const after = (await readService(us, US))!;
    expect(after.image).toBe(before.image);
    expect(after.shares.map((s) => s.percent)).toEqual([100]);
    const v = await verify(us, { samples: 0, timeoutMs: 8000, drift: false });
    const run = v.results.find((x) => x.group === 'run')!;
    expect(run.verdict, run.reason).toBe('pass');
  }, 120_000);

  it('a healthy image is promoted to 100%', async () => {
    const report = await rollout(us, { ...opts, image: 'ruvector:v2' });
    const r = report.results[0]!;
    expect(r.outcome, r.reason).toBe('promoted');
    const after = (await readService(us, US))!;
    expect(r.reason).toMatch(/^\d+\/\d+ health probes ready via the (service|tagged) URL$/);
    expect(after.image).toBe('ruvector:v2');
    expect(after.latestReady).toBe(r.revision);
    expect(after.shares).toEqual([{ revision: r.revision, percent: 100, tags: [], latest: true }]);
  }, 120_000);

  it('rollout --no-promote leaves a canary that rollback withdraws', async () => {
    const report = await rollout(us, { ...opts, image: 'ruvector:local', promote: false });
    expect(report.results[0]!.outcome, report.results[0]!.reason).toBe('canary');
    const mid = (await readService(us, US))!;
    expect(mid.shares.map((s) => s.percent)).toEqual([80, 20]);
    const back = await rollback(us);
    expect(back[0]!.outcome, back[0]!.reason).toBe('rolled-back');
    const after = (await readService(us, US))!;
    expect(after.image).toBe('ruvector:v2');
    expect(after.shares.map((s) => s.percent)).toEqual([100]);
  }, 120_000);

  it('scale raises min instances for the window and restore lowers them to the spec', async () => {
    const plan = planScale(us, { multiplier: 50, hours: 4, rates: 'list' });
    expect(plan.regions).toHaveLength(1);
    expect(plan.regions[0]).toMatchObject({ region: 'us-central1', specMin: 1, max: 2, targetMin: 2, extra: 1, capped: true });
    expect(plan.total).toBeGreaterThan(0);
    const raised = await applyBurst(us, plan, new Date(Date.now() + 3_600_000));
    expect(raised[0]!.outcome, raised[0]!.reason).toBe('raised');
    const min = async () => Number((((await readService(us, US))!.raw.template as { scaling?: { minInstanceCount?: number } }).scaling?.minInstanceCount));
    expect(await min()).toBe(2);
    expect((await restore(us, { force: false }))[0]!.outcome).toBe('unchanged');
    const restored = await restore(us, { force: true });
    expect(restored[0]!.outcome, restored[0]!.reason).toBe('restored');
    expect(await min()).toBe(1);
  }, 120_000);
});
