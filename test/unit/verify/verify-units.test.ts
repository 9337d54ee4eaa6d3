import { describe, expect, it } from 'vitest';
import { judgeService } from '../../../src/verify/checks/run.js';
import { judgeReady } from '../../../src/verify/checks/health.js';
import { judgeSubscription } from '../../../src/verify/checks/pubsub.js';
import { judgeCertificate, urlMapServices } from '../../../src/verify/checks/lb.js';
import { judgeDriftItem } from '../../../src/verify/checks/drift.js';
import { computeRef, Live } from '../../../src/verify/live.js';
import type { Session } from '../../../src/engine/session.js';
import { judgeLatency, latencyStats } from '../../../src/verify/latency.js';
import { runCheck, runChecks } from '../../../src/verify/runner.js';
import { byRegion, summarize } from '../../../src/verify/verdicts.js';
import type { CheckResult } from '../../../src/verify/types.js';

const result = (verdict: CheckResult['verdict'], region?: string): CheckResult => ({ id: 'x', group: 'run', region, subject: 's', verdict, reason: '', durationMs: 0 });

describe('verdicts', () => {
  it('exit 1 only on a failure; warnings alone pass', () => {
    expect(summarize([result('pass'), result('warn')])).toMatchObject({ verdict: 'warn', exitCode: 0, warn: 1, pass: 1 });
    expect(summarize([result('pass', 'a'), result('fail', 'b'), result('fail', 'b')])).toMatchObject({ verdict: 'fail', exitCode: 1, fail: 2, failedRegions: ['b'] });
    expect(byRegion([result('pass', 'a'), result('warn', 'a'), result('fail')])).toEqual({ a: 'warn', global: 'fail' });
  });
});

describe('runner', () => {
  it('a check past its deadline fails as timed out while the others finish', async () => {
    const rs = await runChecks([
      { group: 'redis', region: 'slow', subject: 'r', timeoutMs: 50, run: () => new Promise(() => undefined) },
      { group: 'redis', region: 'fast', subject: 'r', timeoutMs: 1000, run: async () => ({ verdict: 'pass', reason: 'ok' }) },
    ]);
    expect(rs.map((r) => [r.region, r.verdict, r.reason])).toEqual([['slow', 'fail', 'timed out after 0.1 s'], ['fast', 'pass', 'ok']]);
  });
  it('a thrown error is a failure with its message', async () => {
    const r = await runCheck({ group: 'sql', subject: 'db', timeoutMs: 1000, run: async () => { throw new Error('boom\nstack'); } });
    expect(r).toMatchObject({ verdict: 'fail', reason: 'boom', id: 'sql:global:db' });
  });
  it('an API error is told by its status and message, not its JSON body', async () => {
    const body = { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } };
    const r = await runCheck({ group: 'run', subject: 'svc', timeoutMs: 1000, run: async () => { throw new Error(JSON.stringify(body)); } });
    expect(r.reason).toBe('503: The service is currently unavailable.');
  });
});

describe('live reads before the deadlines', () => {
  // Only what Live touches: the registry's providers and the provider context.
  const retried: string[] = [];
  const sessionWith = (get: (r: { name: string }) => Promise<unknown>) =>
    ({
      ctx: {},
      timing: { backoff: { baseMs: 1, maxMs: 2, maxAttempts: 20 } },
      onReadRetry: (what: string, c: { kind: string }, attempt: number) => retried.push(`${what}: ${c.kind} #${attempt}`),
      registry: { get: (kind: string) => (kind === 'x.Thing' ? { get: (_: unknown, r: { name: string }) => get(r) } : undefined) },
    }) as unknown as Session;

  it('a read that meets a transient error (503, connection reset) is tried again; a 403 is not', async () => {
    const asked: string[] = [];
    const failures: Record<string, Error[]> = {
      flaky: [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), new Error(JSON.stringify({ error: { code: 503, message: 'unavailable' } }))],
      denied: [new Error(JSON.stringify({ error: { code: 403, message: 'Permission denied' } }))],
    };
    const live = new Live(
      sessionWith(async (r) => {
        asked.push(r.name);
        const e = failures[r.name]?.shift();
        if (e) throw e;
        return { raw: { name: r.name } };
      }),
    );
    expect((await live.get({ kind: 'x.Thing', name: 'flaky' }))?.raw.name).toBe('flaky');
    await expect(live.get({ kind: 'x.Thing', name: 'denied' })).rejects.toThrow(/Permission denied/);
    expect(asked).toEqual(['flaky', 'flaky', 'flaky', 'denied']);
    // Each retry is told (the CLI prints it on stderr): what was read and what it met.
    expect(retried).toEqual(['reading x.Thing flaky: unknownOutcome #1', 'reading x.Thing flaky: transient #2']);
  });

  it('prefetch reads each object once, and a check then finds it without asking again', async () => {
    const asked: string[] = [];
    const live = new Live(sessionWith(async (r) => (asked.push(r.name), { raw: { name: r.name } })));
    await live.prefetch([{ kind: 'x.Thing', name: 'a' }, { kind: 'x.Thing', name: 'b' }, { kind: 'no.Provider', name: 'c' }], 1000);
    const [check] = await runChecks([{ group: 'run', subject: 'a', timeoutMs: 50, run: async () => ((await live.get({ kind: 'x.Thing', name: 'a' }))?.raw.name === 'a' ? { verdict: 'pass', reason: 'read' } : { verdict: 'fail', reason: 'not read' }) }]);
    expect(asked).toEqual(['a', 'b']);
    expect(check).toMatchObject({ verdict: 'pass', reason: 'read' });
  });
  it('prefetch gives up on a read that hangs after its bound; the check awaiting it times out under its own deadline', async () => {
    const live = new Live(sessionWith(() => new Promise(() => undefined)));
    await live.prefetch([{ kind: 'x.Thing', name: 'hung' }], 30); // returns at its bound: else this test times out
    const [check] = await runChecks([{ group: 'run', subject: 'hung', timeoutMs: 100, run: async () => ((await live.get({ kind: 'x.Thing', name: 'hung' })) ? { verdict: 'pass', reason: '' } : { verdict: 'fail', reason: 'missing' }) }]);
    expect(check).toMatchObject({ verdict: 'fail', reason: 'timed out after 0.1 s' });
  });
});

describe('latency', () => {
  it('percentiles from samples and the seed targets', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
    const s = latencyStats(samples);
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeCloseTo(50, 0);
    expect(s.p95Ms).toBeCloseTo(95, 0);
    expect(s.p99Ms).toBeCloseTo(99, 0);
    expect(judgeLatency(s).verdict).toBe('fail');
    expect(judgeLatency(latencyStats(Array(100).fill(2))).verdict).toBe('pass');
    expect(judgeLatency(latencyStats([...Array(98).fill(12), 20, 20])).verdict).toBe('warn');
  });
});

describe('service and health judgements', () => {
  const ok = {
    terminalCondition: { state: 'CONDITION_SUCCEEDED' },
    latestCreatedRevision: 'p/l/s/revisions/s-2',
    latestReadyRevision: 'p/l/s/revisions/s-2',
    trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
  };
  it('Ready and serving the spec split passes', () => {
    expect(judgeService(ok, undefined)).toMatchObject({ verdict: 'pass', reason: 'Ready, revision s-2 serves s-2 100%' });
  });
  it('a latest revision that is not ready fails with both names', () => {
    expect(judgeService({ ...ok, latestCreatedRevision: 'x/revisions/s-3' }, undefined).reason).toBe('latest revision s-3 is not ready (still serving s-2)');
  });
  it('a canary split warns and names the commands; any other split fails', () => {
    const canary = { ...ok, trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-1', percent: 90 }, { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-2', percent: 10, tag: 'canary' }] };
    expect(judgeService(canary, undefined)).toMatchObject({ verdict: 'warn' });
    expect(judgeService(canary, undefined).reason).toMatch(/rollout promote/);
    const pinned = { ...ok, trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-1', percent: 100 }] };
    expect(judgeService(pinned, undefined)).toMatchObject({ verdict: 'fail', reason: 'serves s-1 100%, the spec asks s-2 100%' });
  });
  it('not Ready fails with the condition message', () => {
    expect(judgeService({ ...ok, terminalCondition: { state: 'CONDITION_FAILED', message: 'Image not found' } }, undefined).reason).toBe('not Ready: CONDITION_FAILED — Image not found');
  });
  it('/health/ready: 200 ok, 200 degraded warns, 503 fails naming what is down, wrong region fails', () => {
    expect(judgeReady(200, '{"status":"ok","region":"eu"}', 'eu', 'x').verdict).toBe('pass');
    expect(judgeReady(200, '{"status":"degraded","checks":{"redis":"down"},"region":"eu"}', 'eu', 'x')).toMatchObject({ verdict: 'warn', reason: 'x: ready but degraded (redis down)' });
    expect(judgeReady(503, '{"status":"unavailable","checks":{"postgres":"down","index":"loaded"}}', 'eu', 'x').reason).toBe('x: HTTP 503 (postgres down)');
    expect(judgeReady(200, '{"status":"ok","region":"us"}', 'eu', 'LB').reason).toBe('LB: answered by region us, expected eu');
  });
});

describe('pubsub, lb, drift', () => {
  it('subscription endpoint and dead-letter topic', () => {
    const raw = { state: 'ACTIVE', topic: 't', pushConfig: { pushEndpoint: 'http://a/push' }, deadLetterPolicy: { deadLetterTopic: 'projects/p/topics/dl' } };
    expect(judgeSubscription(raw, { pushEndpoint: 'http://a/push', deadLetterTopic: 'projects/p/topics/dl', topic: 't' }).verdict).toBe('pass');
    expect(judgeSubscription(raw, { pushEndpoint: 'http://b/push' }).reason).toBe('pushes to http://a/push, expected http://b/push');
    expect(judgeSubscription({ ...raw, deadLetterPolicy: undefined }, { deadLetterTopic: 'projects/p/topics/dl' }).reason).toBe('dead-letter topic missing, expected dl');
  });
  it('URL map services, compute links, certificates', () => {
    expect(urlMapServices({ defaultService: 'a', pathMatchers: [{ defaultService: 'a', routeRules: [{ service: 'b' }, { service: 'c' }] }] })).toEqual(['a', 'b', 'c']);
    expect(computeRef('https://compute.googleapis.com/compute/v1/projects/p/regions/r1/networkEndpointGroups/n')).toEqual({ kind: 'compute.RegionNetworkEndpointGroup', name: 'projects/p/regions/r1/networkEndpointGroups/n', region: 'r1' });
    expect(judgeCertificate({ managed: { status: 'PROVISIONING', domainStatus: { 'a.com': 'PROVISIONING' } } }).verdict).toBe('warn');
    expect(judgeCertificate({ managed: { status: 'ACTIVE' } }).verdict).toBe('pass');
    expect(judgeCertificate({ managed: { status: 'PROVISIONING_FAILED' } }).verdict).toBe('fail');
  });
  it('drift: missing fails, changed fields warn and are listed', () => {
    const base = { kind: 'run.Service', name: 'n', protect: false, dependsOn: [] };
    expect(judgeDriftItem({ ...base, action: 'create', changes: [] }).verdict).toBe('fail');
    expect(judgeDriftItem({ ...base, action: 'update', changes: [{ path: 'template.scaling.minInstanceCount', before: 1, after: 2 }] })).toEqual({ verdict: 'warn', reason: 'run.Service differs from the spec: template.scaling.minInstanceCount' });
  });
});
