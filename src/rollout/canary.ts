/** The checks a canary must pass: its revision Ready, then /health/ready on it (its tagged URL, else the service URL). */
import type { Session } from '../engine/session.js';
import { excerpt, request } from '../verify/http.js';
import { PREFETCH_BOUND_MS, regionChecks, verifyContext } from '../verify/index.js';
import { runChecks } from '../verify/runner.js';
import type { CheckResult } from '../verify/types.js';
import { CANARY_TAG } from './traffic.js';
import type { LiveService } from './service.js';

type Obj = Record<string, unknown>;

export interface CanaryVerdict {
  ok: boolean;
  reason: string;
  checks: CheckResult[];
}

/** Why a revision is not Ready, from the service's conditions. */
export function revisionFailure(s: LiveService, revision: string): string | undefined {
  if (s.latestReady === revision) return undefined;
  const term = (s.raw.terminalCondition ?? {}) as Obj;
  const conds = ((s.raw.conditions ?? []) as Obj[]).filter((c) => c.state === 'CONDITION_FAILED' && c.message);
  const msg = [term.message, ...conds.map((c) => c.message)].filter(Boolean).map(String)[0];
  return `revision ${revision} is not ready${msg ? `: ${msg}` : ''}`;
}

function taggedUrl(s: LiveService): string | undefined {
  const t = ((s.raw.trafficStatuses ?? []) as Obj[]).find((x) => x.tag === CANARY_TAG);
  return typeof t?.uri === 'string' && t.uri ? t.uri : undefined;
}

/**
 * Probes /health/ready `probes` times. On the tagged URL every answer is the canary's; on the
 * service URL the split sends it about pct% of them, so more probes are sent there.
 */
async function probeHealth(s: LiveService, o: { probes: number; pct: number; timeoutMs: number; startupMs: number }): Promise<{ ok: boolean; reason: string }> {
  const tagged = taggedUrl(s);
  let base = tagged;
  if (tagged) {
    const first = await request(`${tagged}/health/ready`, { timeoutMs: o.timeoutMs }).catch(() => undefined);
    if (!first) base = undefined; // tagged URLs need DNS the emulator does not serve: use the split
  }
  const uri = base ?? String(s.raw.uri ?? '');
  if (!uri) return { ok: false, reason: 'the service has no URL' };
  const n = base ? o.probes : Math.max(o.probes, Math.ceil((o.probes * 100) / Math.max(1, o.pct)));
  const url = `${uri.replace(/\/$/, '')}/health/ready`;
  // Warm-up: a revision Ready in the control plane may still be loading its index behind the
  // URL (the local data plane; Cloud Run's own startup probe makes this instant). Wait for
  // three answers in a row, within the startup budget, before counting.
  const warmDeadline = Date.now() + o.startupMs;
  let streak = 0;
  let lastWarm = '';
  while (streak < 3) {
    if (Date.now() > warmDeadline) return { ok: false, reason: `never became ready within ${Math.round(o.startupMs / 1000)} s via the ${base ? 'tagged' : 'service'} URL (${lastWarm})` };
    const r = await request(url, { timeoutMs: o.timeoutMs }).catch((e: unknown) => ({ status: 0, body: e instanceof Error ? e.message : String(e) }));
    if (r.status === 200) streak++;
    else {
      streak = 0;
      lastWarm = r.status ? `HTTP ${r.status} ${excerpt(r.body, 60)}` : r.body;
      await new Promise((res) => setTimeout(res, 250));
    }
  }
  const bad: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const r = await request(url, { timeoutMs: o.timeoutMs });
      if (r.status !== 200) bad.push(`HTTP ${r.status} ${excerpt(r.body, 60)}`);
    } catch (err) {
      bad.push(err instanceof Error ? err.message : String(err));
    }
  }
  const via = base ? 'tagged URL' : 'service URL';
  if (bad.length) return { ok: false, reason: `${bad.length}/${n} health probes failed via the ${via} (${[...new Set(bad)].slice(0, 2).join('; ')})` };
  return { ok: true, reason: `${n}/${n} health probes ready via the ${via}` };
}

export async function checkCanary(session: Session, region: string, s: LiveService, revision: string, o: { probes: number; pct: number; timeoutMs: number; startupMs?: number }): Promise<CanaryVerdict> {
  const failed = revisionFailure(s, revision);
  if (failed) return { ok: false, reason: failed, checks: [] };
  const health = await probeHealth(s, { ...o, startupMs: o.startupMs ?? Math.max(30_000, 3 * o.timeoutMs) });
  // verify's own checks for the region's service and data stores, as the canary sees them.
  const v = verifyContext(session, { samples: 0, timeoutMs: o.timeoutMs, drift: false });
  await v.live.prefetch(['run.Service', 'redis.Instance', 'sql.Instance'].flatMap((k) => v.live.desired(k, region)), PREFETCH_BOUND_MS);
  const checks = await runChecks(regionChecks(v, region, ['health', 'redis', 'sql']).filter((c) => c.subject !== 'load balancer'));
  const failedChecks = checks.filter((c) => c.verdict === 'fail');
  if (!health.ok) return { ok: false, reason: health.reason, checks };
  if (failedChecks.length) return { ok: false, reason: failedChecks.map((c) => `${c.group} ${c.subject}: ${c.reason}`).join('; '), checks };
  return { ok: true, reason: health.reason, checks };
}
