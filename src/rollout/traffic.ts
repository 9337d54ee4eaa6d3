import { lastSegment } from '../util/resource-name.js';
/**
 * Cloud Run v2 traffic-split arithmetic: what a canary, a promotion and a rollback send as
 * `service.traffic`, and what a live service actually serves (its `trafficStatuses`).
 */
export const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
export const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
export const CANARY_TAG = 'canary';

export interface TrafficTarget {
  type?: string;
  revision?: string;
  percent?: number;
  tag?: string;
}

/** One revision's share of traffic (LATEST resolved to the revision it means). */
export interface Share {
  revision: string;
  percent: number;
  tags: string[];
  latest: boolean;
}

const short = (rev: string | undefined): string => lastSegment(rev ?? '');

/** Collapse targets into revision -> percent; LATEST means `latestReady`. */
export function shares(targets: TrafficTarget[] | undefined, latestReady: string | undefined): Share[] {
  const by = new Map<string, Share>();
  for (const t of targets ?? []) {
    const latest = t.type === LATEST || (!t.type && !t.revision);
    const revision = latest ? short(latestReady) : short(t.revision);
    const s = by.get(revision) ?? { revision, percent: 0, tags: [], latest: false };
    s.percent += t.percent ?? 0;
    if (t.tag) s.tags.push(t.tag);
    s.latest ||= latest;
    by.set(revision, s);
  }
  return [...by.values()].filter((s) => s.percent > 0 || s.tags.length).sort((a, b) => b.percent - a.percent || a.revision.localeCompare(b.revision));
}

export function describeShares(s: Share[]): string {
  if (!s.length) return 'no traffic';
  return s.map((x) => `${x.revision || '(latest)'} ${x.percent}%${x.tags.length ? ` [${x.tags.join(',')}]` : ''}`).join(', ');
}

/** Does what the service serves equal what the spec asks (percent per revision)? */
export function sameSplit(a: Share[], b: Share[]): boolean {
  const key = (s: Share[]) => s.filter((x) => x.percent > 0).map((x) => `${x.revision}=${x.percent}`).sort().join(';');
  return key(a) === key(b);
}

export function validateCanaryPercent(pct: number): number {
  if (!Number.isInteger(pct) || pct < 1 || pct > 99) throw new RangeError(`--canary must be a whole percentage from 1 to 99 (got ${pct})`);
  return pct;
}

/** The previous revision keeps 100 - pct; the new one takes pct and the canary tag (its own URL). */
export function canarySplit(previous: string, next: string, pct: number): TrafficTarget[] {
  validateCanaryPercent(pct);
  return [
    { type: REVISION, revision: short(previous), percent: 100 - pct },
    { type: REVISION, revision: short(next), percent: pct, tag: CANARY_TAG },
  ];
}

/** Promotion: back to the spec's form, the latest (now the canary) revision takes everything. */
export function promoteSplit(): TrafficTarget[] {
  return [{ type: LATEST, percent: 100 }];
}

/** Rollback: everything to the previous revision by name (the latest one is the bad one). */
export function rollbackSplit(previous: string): TrafficTarget[] {
  return [{ type: REVISION, revision: short(previous), percent: 100 }];
}

/**
 * The revisions of a split in progress: the canary (tagged) and the one it replaces.
 * undefined when the service is not mid-rollout.
 */
export function rolloutInProgress(s: Share[]): { canary: string; previous: string; canaryPercent: number } | undefined {
  const canary = s.find((x) => x.tags.includes(CANARY_TAG));
  if (!canary) return undefined;
  const previous = s.filter((x) => x !== canary && x.percent > 0).sort((a, b) => b.percent - a.percent)[0];
  if (!previous) return undefined;
  return { canary: canary.revision, previous: previous.revision, canaryPercent: canary.percent };
}

/** Which revision serves everything now (the one a canary will be compared against). */
export function servingRevision(s: Share[]): string | undefined {
  const full = s.find((x) => x.percent === 100);
  return full?.revision;
}

/**
 * Waves: "3" splits the regions into 3 waves in order; "a,b;c" names them. Every region
 * appears once; unknown regions are refused.
 */
export function planWaves(regions: string[], spec: string | undefined): string[][] {
  if (!regions.length) return [];
  if (!spec) return regions.map((r) => [r]);
  if (/^\d+$/.test(spec.trim())) {
    if (Number(spec) < 1) throw new RangeError(`--waves ${spec.trim()}: at least 1 wave`);
    const n = Math.min(Number(spec), regions.length);
    const size = Math.ceil(regions.length / n);
    const out: string[][] = [];
    for (let i = 0; i < regions.length; i += size) out.push(regions.slice(i, i + size));
    return out;
  }
  const waves = spec.split(';').map((w) => w.split(',').map((r) => r.trim()).filter(Boolean)).filter((w) => w.length);
  const named = waves.flat();
  // Naming none is a typo, not a wish to send every region in one wave.
  if (!named.length) throw new RangeError(`--waves ${JSON.stringify(spec)} names no region (e.g. "us-central1;europe-west1,asia-northeast1", or a count)`);
  const unknown = named.filter((r) => !regions.includes(r));
  if (unknown.length) throw new RangeError(`--waves names regions not in this rollout: ${unknown.join(', ')}`);
  const dup = named.filter((r, i) => named.indexOf(r) !== i);
  if (dup.length) throw new RangeError(`--waves names ${dup.join(', ')} twice`);
  const missing = regions.filter((r) => !named.includes(r));
  if (missing.length) waves.push(missing);
  return waves;
}
