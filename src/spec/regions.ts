import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from './paths.js';

/** Region facts from config/regions.yaml: the seed's tiers, its nearest-primary map, valid regions. */
export interface RegionConfig {
  tier1: string[];
  tier2: string[];
  nearestPrimary: Record<string, string>;
  valid: string[];
  firstZone: Record<string, string>;
}

let cached: RegionConfig | undefined;

export function regionConfig(): RegionConfig {
  if (!cached) {
    const raw = parse(readFileSync(join(packageRoot(), 'config', 'regions.yaml'), 'utf8')) as RegionConfig;
    cached = { ...raw, firstZone: raw.firstZone ?? {} };
  }
  return cached;
}

export function isValidRegion(region: string): boolean {
  return regionConfig().valid.includes(region);
}

/** Zone for a Cloud SQL primary's location preference (see firstZone in config/regions.yaml). */
export function primaryZone(region: string): string {
  return regionConfig().firstZone[region] ?? `${region}-a`;
}

const GEO: Record<string, string> = {
  africa: 'af', asia: 'as', australia: 'au', europe: 'eu', me: 'me',
  northamerica: 'na', southamerica: 'sa', us: 'us',
};
const DIRECTION: Record<string, string> = {
  central: 'c', east: 'e', west: 'w', north: 'n', south: 's',
  northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
};

/**
 * A short, deterministic code for a region (us-central1 -> usc1, northamerica-northeast1
 * -> nane1), the usual GCP shorthand. Needed because several GCP names are too short to
 * hold a full region name: VPC Access connectors allow 25 characters and service account
 * ids 30, while "northamerica-northeast1" alone is 23. Codes are unique across the valid
 * regions (a unit test checks it).
 */
export function regionShort(region: string): string {
  const m = /^([a-z]+)-([a-z]+?)(\d+)$/.exec(region);
  if (!m) return region.replace(/[^a-z0-9]/g, '');
  const [, geo, dir, n] = m as unknown as [string, string, string, string];
  return `${GEO[geo] ?? geo.slice(0, 2)}${DIRECTION[dir] ?? dir.slice(0, 2)}${n}`;
}
