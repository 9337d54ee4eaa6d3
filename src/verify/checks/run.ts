/** Cloud Run: the service Ready, its latest revision ready, and serving the split the spec asks for. */
import { describeShares, rolloutInProgress, sameSplit, shares, type TrafficTarget } from '../../rollout/traffic.js';
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { fail, pass, warn, type CheckDef, type Outcome } from '../types.js';

type Obj = Record<string, unknown>;

export function judgeService(raw: Obj, desiredTraffic: TrafficTarget[] | undefined): Outcome {
  const term = (raw.terminalCondition ?? {}) as Obj;
  const latestCreated = lastSegment(String(raw.latestCreatedRevision ?? ''));
  const latestReady = lastSegment(String(raw.latestReadyRevision ?? ''));
  if (raw.reconciling === true) return warn(`still reconciling (latest revision ${latestCreated || 'none'})`);
  if (term.state !== 'CONDITION_SUCCEEDED') {
    return fail(`not Ready: ${String(term.state ?? 'no condition')}${term.message ? ` — ${String(term.message)}` : ''}`);
  }
  if (!latestReady) return fail('no ready revision');
  if (latestCreated && latestCreated !== latestReady) return fail(`latest revision ${latestCreated} is not ready (still serving ${latestReady})`);
  const live = shares(raw.trafficStatuses as TrafficTarget[] | undefined, latestReady);
  const want = shares(desiredTraffic ?? [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }], latestReady);
  const data = { latestReadyRevision: latestReady, traffic: live };
  if (!sameSplit(live, want)) {
    const r = rolloutInProgress(live);
    const hint = r ? ' — a canary rollout is in progress: `ruvector rollout promote` or `ruvector rollout rollback`' : '';
    return (r ? warn : fail)(`serves ${describeShares(live)}, the spec asks ${describeShares(want)}${hint}`, data);
  }
  return pass(`Ready, revision ${latestReady} serves ${describeShares(live)}`, data);
}

export function runChecks(v: VerifyContext, region: string): CheckDef[] {
  return v.live.desired('run.Service', region).map((d) => ({
    group: 'run' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: v.opts.timeoutMs,
    async run() {
      const o = await v.live.get(d);
      if (!o) return fail(`service ${d.name} does not exist`);
      return judgeService(o.raw, (d.spec as Obj).traffic as TrafficTarget[] | undefined);
    },
  }));
}
