/**
 * `ruvector verify`: every check for the selected regions and the global load balancer,
 * concurrently, each under its own deadline; then drift from the engine's plan.
 */
import type { Session } from '../engine/session.js';
import { healthChecks } from './checks/health.js';
import { driftResults } from './checks/drift.js';
import { latencyChecks } from './checks/latency.js';
import { lbChecks } from './checks/lb.js';
import { pubsubChecks } from './checks/pubsub.js';
import { redisChecks } from './checks/redis.js';
import { runChecks as serviceChecks } from './checks/run.js';
import { sqlChecks } from './checks/sql.js';
import { storageChecks } from './checks/storage.js';
import type { VerifyContext, VerifyOptions } from './context.js';
import { resolveFrontDoor, type FrontDoor } from './frontdoor.js';
import { Live } from './live.js';
import { runChecks } from './runner.js';
import type { CheckDef, CheckGroup, CheckResult } from './types.js';
import { summarize, byRegion, type VerifySummary } from './verdicts.js';

export type { CheckResult, CheckGroup, Verdict, Outcome } from './types.js';
export type { VerifyOptions } from './context.js';
export { summarize, worst, byRegion, type VerifySummary } from './verdicts.js';
export { latencyStats, judgeLatency, LATENCY_TARGETS, type LatencyStats } from './latency.js';
export { renderVerify } from './render.js';

export const DEFAULT_VERIFY: VerifyOptions = { samples: 100, timeoutMs: 10_000, drift: true };

/** How long verify waits for its reads of live state before the checks start regardless. */
export const PREFETCH_BOUND_MS = 30_000;

export interface VerifyReport {
  target: string;
  topology: string;
  regions: string[];
  results: CheckResult[];
  summary: VerifySummary;
  regionVerdicts: Record<string, string>;
}

export function verifyContext(session: Session, opts: VerifyOptions): VerifyContext {
  const live = new Live(session);
  let fd: Promise<FrontDoor | undefined> | undefined;
  return { session, live, opts, frontDoor: () => (fd ??= resolveFrontDoor(session, live).catch(() => undefined)) };
}

/** The per-region checks, optionally only some groups (rollout's canary checks). */
export function regionChecks(v: VerifyContext, region: string, groups?: CheckGroup[]): CheckDef[] {
  const all = [
    ...serviceChecks(v, region),
    ...healthChecks(v, region),
    ...redisChecks(v, region),
    ...sqlChecks(v, region),
    ...pubsubChecks(v, region),
    ...storageChecks(v, region),
    ...latencyChecks(v, region),
  ];
  return groups ? all.filter((c) => groups.includes(c.group)) : all;
}

export async function verify(session: Session, opts: Partial<VerifyOptions> = {}, o: { targetLabel?: string; onResult?: (r: CheckResult) => void } = {}): Promise<VerifyReport> {
  const v = verifyContext(session, { ...DEFAULT_VERIFY, ...opts });
  const defs = [...session.regions.flatMap((r) => regionChecks(v, r)), ...lbChecks(v)];
  await v.live.prefetch(session.desired, PREFETCH_BOUND_MS);
  const [checked, drift] = await Promise.all([
    runChecks(defs, { onResult: o.onResult }),
    v.opts.drift ? driftResults(v) : Promise.resolve([] as CheckResult[]),
  ]);
  const results = [...checked, ...drift];
  return {
    target: o.targetLabel ?? session.clients.capabilities.name,
    topology: session.topology,
    regions: session.regions,
    results,
    summary: summarize(results),
    regionVerdicts: byRegion(results),
  };
}
