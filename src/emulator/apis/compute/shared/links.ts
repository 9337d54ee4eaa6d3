import { err } from './errors.js';

/**
 * References between Compute resources are stored as `compute://projects/...` and rendered
 * as full URLs against the emulator's own base at response time, so a restarted emulator on
 * another port still answers with links that resolve to itself.
 */
export const LINK = 'compute://';

const API_URL = /^https?:\/\/[^/]+\/compute\/(?:v1|beta|alpha)\//;

export type Scope = 'global' | 'regional' | 'zonal';

export interface RefKind {
  plural: string;
  scope: Scope;
}

export function scopePath(project: string, region?: string): string {
  return region ? `projects/${project}/regions/${region}` : `projects/${project}/global`;
}

export function resourceKey(project: string, region: string | undefined, plural: string, name: string): string {
  return `${scopePath(project, region)}/${plural}/${name}`;
}

export function link(key: string): string {
  return LINK + key;
}

export function isLink(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(LINK);
}

export function keyOf(linkOrKey: string): string {
  return linkOrKey.startsWith(LINK) ? linkOrKey.slice(LINK.length) : linkOrKey;
}

/** Last path segment of a key or link: the resource's short name. */
export function nameOf(linkOrKey: string): string {
  return linkOrKey.slice(linkOrKey.lastIndexOf('/') + 1);
}

/** 'projects/p/global/networks/n' -> 'networks'. */
export function pluralOf(linkOrKey: string): string {
  const parts = keyOf(linkOrKey).split('/');
  return parts[parts.length - 2] ?? '';
}

export function regionOf(linkOrKey: string): string | undefined {
  const m = /\/regions\/([^/]+)\//.exec(keyOf(linkOrKey));
  return m?.[1];
}

function shape(kind: RefKind): RegExp {
  const scope = kind.scope === 'global' ? 'global' : kind.scope === 'regional' ? 'regions/[^/]+' : 'zones/[^/]+';
  return new RegExp(`^projects/[^/]+/${scope}/${kind.plural}/[^/]+$`);
}

/**
 * Accepts a reference in any form GCP accepts (full URL on any host, `projects/...`,
 * `global/...` / `regions/...`, or a bare name) and returns the canonical key. The URL must
 * point at one of `allowed`; otherwise it is "malformed" as GCP says.
 */
export function canonicalRef(value: unknown, field: string, project: string, allowed: RefKind[], region?: string): string {
  if (typeof value !== 'string' || value === '') throw err.invalid(field, String(value ?? ''), 'The URL is malformed.');
  let rest = value.startsWith(LINK) ? value.slice(LINK.length) : value.replace(API_URL, '');
  if (/^https?:\/\//.test(rest)) throw err.invalid(field, value, 'The URL is malformed.');
  if (rest.startsWith('global/') || rest.startsWith('regions/') || rest.startsWith('zones/')) rest = `projects/${project}/${rest}`;
  else if (!rest.includes('/')) {
    const first = allowed[0]!;
    if (first.scope === 'global') rest = `projects/${project}/global/${first.plural}/${rest}`;
    else if (first.scope === 'regional' && region) rest = `projects/${project}/regions/${region}/${first.plural}/${rest}`;
    else throw err.invalid(field, value, 'The URL is malformed.');
  }
  if (!allowed.some((k) => shape(k).test(rest))) throw err.invalid(field, value, 'The URL is malformed.');
  return rest;
}

/** Deep copy for the wire: internal `_fields` dropped, stored links turned into full URLs. */
export function renderLinks(value: unknown, baseUrl: string): unknown {
  if (typeof value === 'string') return value.startsWith(LINK) ? `${baseUrl}/compute/v1/${value.slice(LINK.length)}` : value;
  if (Array.isArray(value)) return value.map((v) => renderLinks(v, baseUrl));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('_') || v === undefined) continue;
      out[k] = renderLinks(v, baseUrl);
    }
    return out;
  }
  return value;
}

/** True when `value` (any depth, any field but selfLink) holds a link to `key`. */
export function references(value: unknown, key: string): boolean {
  const target = LINK + key;
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') return v === target;
    if (Array.isArray(v)) return v.some(walk);
    if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'selfLink' || k === 'region') continue;
        if (walk(child)) return true;
      }
    }
    return false;
  };
  return walk(value);
}
