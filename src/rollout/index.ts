/**
 * `ruvector rollout`: per region, a new revision on the image taking --canary percent of the
 * traffic, the canary's checks, then promotion to 100% or an automatic rollback to the
 * previous revision. Regions go in waves with a pause between them; a failed wave stops
 * the rollout (later waves keep their current revision).
 */
import { randomBytes } from 'node:crypto';
import type { Session } from '../engine/session.js';
import { sleep } from '../engine/retry.js';
import { checkCanary } from './canary.js';
import { desiredService, PREVIOUS_IMAGE_ANNOTATION, readService, revisionNameFor, updateService, type LiveService } from './service.js';
import { canarySplit, describeShares, planWaves, promoteSplit, rollbackSplit, rolloutInProgress, servingRevision, validateCanaryPercent } from './traffic.js';
import { lastSegment } from '../util/resource-name.js';

export * from './traffic.js';

export type RegionOutcome = 'promoted' | 'canary' | 'rolled-back' | 'skipped' | 'failed';

export interface RegionResult {
  region: string;
  service: string;
  outcome: RegionOutcome;
  previous?: string;
  revision?: string;
  traffic?: string;
  reason: string;
}

export type RolloutEvent = { type: 'wave'; index: number; regions: string[] } | { type: 'pause'; ms: number } | { type: 'step'; region: string; message: string } | { type: 'region'; result: RegionResult };

export interface RolloutOptions {
  image: string;
  canary: number;
  /** "3" waves, or "a,b;c". Default: one region per wave. */
  waves?: string;
  pauseMs: number;
  /** Promote after the checks pass (false: leave the canary for `rollout promote`). */
  promote: boolean;
  probes: number;
  timeoutMs: number;
  /** Roll out even when the region already serves the image (fresh instances: the index reloads from its snapshot). */
  force?: boolean;
  onEvent?: (e: RolloutEvent) => void;
}

export interface RolloutReport {
  image: string;
  canary: number;
  waves: string[][];
  results: RegionResult[];
  ok: boolean;
}

/** Two steps so the cut-off is instant: pin traffic to the previous revision, then restore its image as the latest. */
async function revert(session: Session, region: string, s: LiveService, previous: string, previousImage: string): Promise<LiveService> {
  const d = desiredService(session, region);
  const pinned = await updateService(session, d, s, { image: s.image, revision: s.latestCreated || undefined, traffic: rollbackSplit(previous) });
  if (!previousImage || previousImage === pinned.image) return pinned;
  return updateService(session, d, pinned, { image: previousImage, traffic: promoteSplit() });
}

async function rolloutRegion(session: Session, region: string, o: RolloutOptions): Promise<RegionResult> {
  const d = desiredService(session, region);
  const service = lastSegment(d.name);
  const step = (message: string) => o.onEvent?.({ type: 'step', region, message });
  const live = await readService(session, d.name);
  if (!live) return { region, service, outcome: 'failed', reason: `${service} does not exist in ${region}: run \`ruvector deploy\` first` };
  if (rolloutInProgress(live.shares)) return { region, service, outcome: 'failed', reason: `a canary is already in progress (${describeShares(live.shares)}): promote or roll it back first` };
  const previous = servingRevision(live.shares);
  if (!previous) return { region, service, outcome: 'failed', reason: `traffic is split (${describeShares(live.shares)}): no single revision to compare the canary against` };
  if (!o.force && live.image === o.image && live.latestReady === previous) return { region, service, outcome: 'skipped', previous, revision: previous, traffic: describeShares(live.shares), reason: `already serving ${o.image}` };
  const revision = revisionNameFor(service, o.image, randomBytes(2).toString('hex'));
  step(`new revision ${revision} (${o.image}) takes ${o.canary}%, ${previous} keeps ${100 - o.canary}%`);
  let canary: LiveService;
  try {
    canary = await updateService(session, d, live, { image: o.image, revision, traffic: canarySplit(previous, revision, o.canary), annotations: { [PREVIOUS_IMAGE_ANNOTATION]: live.image } });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    step(`revision failed (${why}); rolling back to ${previous}`);
    const now = (await readService(session, d.name)) ?? live;
    const back = await revert(session, region, now, previous, live.image).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    const traffic = back instanceof Error ? `rollback failed: ${back.message}` : describeShares(back.shares);
    return { region, service, outcome: 'rolled-back', previous, revision, traffic, reason: `revision ${revision} failed: ${why}` };
  }
  try {
    step(`checking the canary (${o.probes} probes)`);
    const verdict = await checkCanary(session, region, canary, revision, { probes: o.probes, pct: o.canary, timeoutMs: o.timeoutMs });
    if (!verdict.ok) {
      step(`canary failed: ${verdict.reason}; rolling back to ${previous}`);
      const back = await revert(session, region, (await readService(session, d.name)) ?? canary, previous, live.image);
      return { region, service, outcome: 'rolled-back', previous, revision, traffic: describeShares(back.shares), reason: verdict.reason };
    }
    if (!o.promote) return { region, service, outcome: 'canary', previous, revision, traffic: describeShares(canary.shares), reason: `${verdict.reason}; waiting for \`ruvector rollout promote\`` };
    step(`canary healthy (${verdict.reason}); promoting ${revision} to 100%`);
    const done = await updateService(session, d, canary, { image: o.image, revision, traffic: promoteSplit() });
    return { region, service, outcome: 'promoted', previous, revision, traffic: describeShares(done.shares), reason: verdict.reason };
  } catch (err) {
    // Never leave a half-checked canary behind: whatever broke, traffic goes back.
    const why = err instanceof Error ? err.message : String(err);
    step(`error during the canary (${why}); rolling back to ${previous}`);
    const back = await revert(session, region, (await readService(session, d.name)) ?? canary, previous, live.image).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    const traffic = back instanceof Error ? `rollback failed: ${back.message}` : describeShares(back.shares);
    return { region, service, outcome: back instanceof Error ? 'failed' : 'rolled-back', previous, revision, traffic, reason: why };
  }
}

export async function rollout(session: Session, o: RolloutOptions): Promise<RolloutReport> {
  validateCanaryPercent(o.canary);
  const waves = planWaves(session.regions.filter((r) => session.desired.some((d) => d.kind === 'run.Service' && d.region === r)), o.waves);
  const results: RegionResult[] = [];
  let ok = true;
  for (const [i, wave] of waves.entries()) {
    if (i > 0 && o.pauseMs > 0) {
      o.onEvent?.({ type: 'pause', ms: o.pauseMs });
      await sleep(o.pauseMs);
    }
    o.onEvent?.({ type: 'wave', index: i + 1, regions: wave });
    const got = await Promise.all(wave.map((r) => rolloutRegion(session, r, o).catch((err: unknown): RegionResult => ({ region: r, service: '?', outcome: 'failed', reason: err instanceof Error ? err.message : String(err) }))));
    for (const g of got) o.onEvent?.({ type: 'region', result: g });
    results.push(...got);
    if (got.some((g) => g.outcome === 'rolled-back' || g.outcome === 'failed')) {
      ok = false;
      for (const r of waves.slice(i + 1).flat()) results.push({ region: r, service: '', outcome: 'skipped', reason: 'not attempted: an earlier wave failed' });
      break;
    }
  }
  return { image: o.image, canary: o.canary, waves, results, ok };
}

/** `rollout promote`: every region with a canary in progress moves it to 100%. */
export async function promote(session: Session): Promise<RegionResult[]> {
  return forEachService(session, async (region, service, d, live) => {
    const r = rolloutInProgress(live.shares);
    if (!r) return { region, service, outcome: 'skipped', traffic: describeShares(live.shares), reason: 'no canary in progress' };
    const done = await updateService(session, d, live, { image: live.image, revision: r.canary, traffic: promoteSplit() });
    return { region, service, outcome: 'promoted', previous: r.previous, revision: r.canary, traffic: describeShares(done.shares), reason: `${r.canary} promoted from ${r.canaryPercent}% to 100%` };
  });
}

/** `rollout rollback`: every region with a canary goes back to the revision it replaced. */
export async function rollback(session: Session, o: { previousImage?: string } = {}): Promise<RegionResult[]> {
  return forEachService(session, async (region, service, _d, live) => {
    const r = rolloutInProgress(live.shares);
    if (!r) return { region, service, outcome: 'skipped', traffic: describeShares(live.shares), reason: 'no canary in progress' };
    const prevImage = o.previousImage ?? (live.raw.annotations as Record<string, string> | undefined)?.[PREVIOUS_IMAGE_ANNOTATION] ?? specImage(session, region);
    const back = await revert(session, region, live, r.previous, prevImage);
    return { region, service, outcome: 'rolled-back', previous: r.previous, revision: r.canary, traffic: describeShares(back.shares), reason: `${r.canary} withdrawn; ${r.previous} serves 100% and the template is back on ${prevImage}` };
  });
}

function specImage(session: Session, region: string): string {
  const t = (desiredService(session, region).spec.template ?? {}) as { containers?: { image?: string }[] };
  return t.containers?.[0]?.image ?? '';
}

async function forEachService(session: Session, f: (region: string, service: string, d: ReturnType<typeof desiredService>, live: LiveService) => Promise<RegionResult>): Promise<RegionResult[]> {
  const regions = session.regions.filter((r) => session.desired.some((d) => d.kind === 'run.Service' && d.region === r));
  return Promise.all(
    regions.map(async (region) => {
      const d = desiredService(session, region);
      const service = lastSegment(d.name);
      try {
        const live = await readService(session, d.name);
        if (!live) return { region, service, outcome: 'failed' as const, reason: 'service does not exist' };
        return await f(region, service, d, live);
      } catch (err) {
        return { region, service, outcome: 'failed' as const, reason: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}
