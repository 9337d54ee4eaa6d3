/**
 * Runs checks concurrently, each under its own deadline: a check that overruns is reported
 * as failed ("timed out after ...") and the others carry on.
 */
import { describeError } from '../gcp/errors.js';
import type { CheckDef, CheckResult, Outcome } from './types.js';

export function checkId(d: Pick<CheckDef, 'group' | 'region' | 'subject'>): string {
  return `${d.group}:${d.region ?? 'global'}:${d.subject}`;
}

export async function runCheck(d: CheckDef): Promise<CheckResult> {
  const started = performance.now();
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
      resolve({ verdict: 'fail', reason: `timed out after ${(d.timeoutMs / 1000).toFixed(d.timeoutMs < 1000 ? 1 : 0)} s` });
    }, d.timeoutMs);
  });
  const running = d.run(ctl.signal);
  let outcome: Outcome;
  try {
    outcome = await Promise.race([running, timeout]);
  } catch (err) {
    outcome = { verdict: 'fail', reason: describeError(err) };
  } finally {
    clearTimeout(timer);
  }
  if (timedOut && d.cleanupMs) {
    // Aborted: let the check's finally blocks run (what it made is removed) rather than
    // returning, and perhaps exiting, under them. Bounded by its cleanupMs: a check that
    // ignores its signal does not hold verify up.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([running.then(() => undefined, () => undefined), new Promise((r) => (grace = setTimeout(r, d.cleanupMs)))]);
    clearTimeout(grace);
  }
  return {
    id: checkId(d),
    group: d.group,
    region: d.region,
    subject: d.subject,
    verdict: outcome.verdict,
    reason: outcome.reason,
    durationMs: Math.round(performance.now() - started),
    ...(outcome.data ? { data: outcome.data } : {}),
  };
}

/** All checks at once, at most `concurrency` in flight; results in the order given. */
export async function runChecks(defs: CheckDef[], o: { concurrency?: number; onResult?: (r: CheckResult) => void } = {}): Promise<CheckResult[]> {
  const out: CheckResult[] = new Array(defs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < defs.length) {
      const i = next++;
      out[i] = await runCheck(defs[i]!);
      o.onResult?.(out[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 16, defs.length) }, worker));
  return out;
}
