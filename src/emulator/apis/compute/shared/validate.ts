import { err } from './errors.js';

const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** RFC 1035 names, 1-63 characters, as every Compute resource name. */
export function checkName(value: unknown, field = 'resource.name'): string {
  if (value === undefined || value === null || value === '') throw err.required(field);
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw err.invalid(field, value, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], dflt?: T): T {
  if (value === undefined || value === null || value === '') {
    if (dflt !== undefined) return dflt;
    throw err.required(field);
  }
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw err.invalid(field, value, `Must be one of [${allowed.join(', ')}].`);
  }
  return value as T;
}

export function intIn(value: unknown, field: string, min: number, max: number, dflt?: number): number {
  if (value === undefined || value === null || value === '') {
    if (dflt !== undefined) return dflt;
    throw err.required(field);
  }
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw err.invalid(field, value, `Must be an integer between ${min} and ${max}.`);
  }
  return n;
}

export function numIn(value: unknown, field: string, min: number, max: number, dflt?: number): number {
  if (value === undefined || value === null || value === '') {
    if (dflt !== undefined) return dflt;
    throw err.required(field);
  }
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw err.invalid(field, value, `Must be a number between ${min} and ${max}.`);
  }
  return n;
}

export function labelsOf(value: unknown, field = 'resource.labels'): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw err.invalid(field, value, 'Must be a map.');
  const out: Record<string, string> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 64) throw err.invalid(field, '', 'At most 64 labels are allowed.');
  for (const [k, v] of entries) {
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k)) throw err.invalid(`${field}.key`, k, 'Label keys must start with a lowercase letter and contain only lowercase letters, digits, underscores and dashes (at most 63).');
    const s = String(v ?? '');
    if (!/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(s)) throw err.invalid(`${field}.value`, s, 'Label values may contain only lowercase letters, digits, underscores and dashes (at most 63).');
    out[k] = s;
  }
  return out;
}

export function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw err.invalid(field, value, 'Must be an object.');
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw err.invalid(field, value, 'Must be a list.');
  return value;
}

export function bool(value: unknown, dflt: boolean): boolean {
  return typeof value === 'boolean' ? value : dflt;
}

/** RFC 1123 host name; `allowWildcard` lets a leading `*.` through. */
export function isHostname(value: string, allowWildcard: boolean): boolean {
  const v = allowWildcard && value.startsWith('*.') ? value.slice(2) : value;
  return v.length <= 253 && /^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(v);
}

/** A POST body that may be absent (removeRule, bodiless set* calls): anything but an object reads as {}. */
export function bodyOf(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
