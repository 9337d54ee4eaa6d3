/**
 * `ruvector scale --burst 50x --for 4h`: raise each region's Cloud Run minimum instances
 * ahead of a known event to what the burst needs (the cost model's average instances x the
 * multiplier, capped at maxInstances), and lower them to the spec's after. The window's
 * cost (the extra instances held for its hours, at the price table's Cloud Run rates) is
 * worked out first. The window is recorded on each service (annotations), so `--restore`
 * from any machine knows what to undo, and `verify`'s drift shows the raised minimum.
 */
import { costInputFromSpec, loadPriceTable } from '../cost/index.js';
import type { PriceTable } from '../cost/prices.js';
import { spreadInstances } from '../cost/model.js';
import { regionalRate, runPriceKey } from '../cost/lines.js';
import type { Session } from '../engine/session.js';
import { desiredService, readService, updateService, type LiveService } from '../rollout/service.js';
import { rolloutInProgress } from '../rollout/traffic.js';
import { lastSegment } from '../util/resource-name.js';

export const BURST_UNTIL = 'ruvector.dev/burst-until';
export const BURST_MIN = 'ruvector.dev/burst-min-instances';

export interface ScaleRegion {
  region: string;
  service: string;
  specMin: number;
  max: number;
  /** The cost model's average instances for the region. */
  average: number;
  targetMin: number;
  extra: number;
  /** $ for holding `extra` instances for the window. */
  cost: number;
  capped: boolean;
}

export interface ScalePlan {
  multiplier: number;
  hours: number;
  rates: string;
  regions: ScaleRegion[];
  total: number;
  notes: string[];
}

export function parseBurst(text: string): number {
  const m = /^(\d+(?:\.\d+)?)x?$/i.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(n) || n < 1) throw new RangeError(`--burst: "${text}" is not a multiplier like 50x`);
  return n;
}

/** $ per instance-hour for one region (CPU + memory, tier-2 multiplier, parts the table does not charge skipped). */
export function instanceHourRate(table: PriceTable, region: string, run: { cpu: number; memoryGib: number; billing: 'instance' | 'request' }): number {
  let perSecond = 0;
  for (const [part, qty] of [['cpu', run.cpu], ['memory', run.memoryGib]] as const) {
    const e = table.entries[runPriceKey(run.billing, part)];
    if (!e || e.notCharged) continue;
    perSecond += qty * regionalRate(table, e, region).rate;
  }
  return perSecond * 3600;
}

export function planScale(session: Session, o: { multiplier: number; hours: number; rates: string }): ScalePlan {
  const input = costInputFromSpec(session.spec);
  const table = loadPriceTable(o.rates);
  const avg = spreadInstances(input);
  const notes: string[] = [];
  const regions: ScaleRegion[] = [];
  for (const region of session.regions) {
    const r = input.regions.find((x) => x.region === region);
    if (!r?.run) continue;
    const d = desiredService(session, region);
    const average = avg.get(region) ?? r.run.minInstances;
    const wanted = Math.ceil(Math.max(average, 1) * o.multiplier);
    const targetMin = Math.max(r.run.minInstances, Math.min(r.run.maxInstances, wanted));
    const extra = targetMin - r.run.minInstances;
    const cost = extra * o.hours * instanceHourRate(table, region, r.run);
    regions.push({ region, service: lastSegment(d.name), specMin: r.run.minInstances, max: r.run.maxInstances, average, targetMin, extra, cost, capped: wanted > r.run.maxInstances });
  }
  const capped = regions.filter((r) => r.capped);
  if (capped.length) notes.push(`maxInstances caps the minimum in ${capped.map((r) => r.region).join(', ')}: raise tiers.*.run.maxInstances (and the Cloud Run quotas: \`ruvector quotas\`) for more headroom`);
  notes.push(`priced with the "${table.name}" table: the instances held warm for the window; requests the burst serves on top are in \`ruvector cost-estimate --scenario burst\``);
  return { multiplier: o.multiplier, hours: o.hours, rates: table.name, regions, total: regions.reduce((s, r) => s + r.cost, 0), notes };
}

export interface ScaleResult {
  region: string;
  service: string;
  minInstances?: number;
  revision?: string;
  outcome: 'raised' | 'restored' | 'unchanged' | 'failed';
  reason: string;
}

async function setMin(session: Session, region: string, min: number, annotations: Record<string, string | null>): Promise<{ live: LiveService; before: number }> {
  const d = desiredService(session, region);
  const live = await readService(session, d.name);
  if (!live) throw new Error(`${lastSegment(d.name)} does not exist in ${region}: run \`ruvector deploy\` first`);
  if (rolloutInProgress(live.shares)) throw new Error('a canary rollout is in progress: promote or roll it back first');
  const scaling = { ...((((live.raw.template ?? {}) as Record<string, unknown>).scaling ?? {}) as Record<string, unknown>), minInstanceCount: min };
  const before = Number(((((live.raw.template ?? {}) as Record<string, unknown>).scaling ?? {}) as Record<string, unknown>).minInstanceCount ?? 0);
  const after = await updateService(session, d, live, { image: live.image, scaling, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }], annotations });
  return { live: after, before };
}

/** Raises every region's minimum to the plan's; records when the window ends. */
export async function applyBurst(session: Session, plan: ScalePlan, until: Date): Promise<ScaleResult[]> {
  return Promise.all(
    plan.regions.map(async (r): Promise<ScaleResult> => {
      try {
        const { live, before } = await setMin(session, r.region, r.targetMin, { [BURST_UNTIL]: until.toISOString(), [BURST_MIN]: String(r.targetMin) });
        return { region: r.region, service: r.service, minInstances: r.targetMin, revision: live.latestReady, outcome: before === r.targetMin ? 'unchanged' : 'raised', reason: `min instances ${before} -> ${r.targetMin} until ${until.toISOString()}` };
      } catch (err) {
        return { region: r.region, service: r.service, outcome: 'failed', reason: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** Lowers every region back to the spec's minimum and clears the window (only windows that ended, unless force). */
export async function restore(session: Session, o: { force: boolean; now?: Date }): Promise<ScaleResult[]> {
  const now = o.now ?? new Date();
  const input = costInputFromSpec(session.spec);
  return Promise.all(
    session.regions
      .filter((region) => input.regions.some((x) => x.region === region && x.run))
      .map(async (region): Promise<ScaleResult> => {
        const d = desiredService(session, region);
        const service = lastSegment(d.name);
        const specMin = input.regions.find((x) => x.region === region)!.run!.minInstances;
        try {
          const live = await readService(session, d.name);
          if (!live) return { region, service, outcome: 'failed', reason: 'service does not exist' };
          const until = (live.raw.annotations as Record<string, string> | undefined)?.[BURST_UNTIL];
          if (!until) return { region, service, outcome: 'unchanged', reason: 'no burst window recorded' };
          if (!o.force && new Date(until) > now) return { region, service, outcome: 'unchanged', reason: `window runs until ${until} (use --force to end it now)` };
          const { live: after, before } = await setMin(session, region, specMin, { [BURST_UNTIL]: null, [BURST_MIN]: null });
          return { region, service, minInstances: specMin, revision: after.latestReady, outcome: 'restored', reason: `min instances ${before} -> ${specMin} (the spec's)` };
        } catch (err) {
          return { region, service, outcome: 'failed', reason: err instanceof Error ? err.message : String(err) };
        }
      }),
  );
}

export function renderScalePlan(p: ScalePlan): string {
  const money = (n: number) => `$${n < 100 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US')}`;
  const rows = [['REGION', 'AVG', 'MIN NOW', 'MIN DURING', 'MAX', 'EXTRA', 'COST'], ...p.regions.map((r) => [r.region, r.average.toFixed(1), String(r.specMin), String(r.targetMin) + (r.capped ? '*' : ''), String(r.max), String(r.extra), money(r.cost)])];
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = [`Burst ${p.multiplier}x for ${p.hours} h: ${money(p.total)} for the window`, '', ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')), ''];
  for (const n of p.notes) lines.push(`note: ${n}`);
  if (p.regions.some((r) => r.capped)) lines.push('* capped at maxInstances');
  return lines.join('\n');
}

export function renderScaleResults(results: ScaleResult[]): string {
  const rows = [['REGION', 'OUTCOME', 'MIN', 'REASON'], ...results.map((r) => [r.region, r.outcome, r.minInstances === undefined ? '' : String(r.minInstances), r.reason])];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c)).join('  ')).join('\n');
}
