import { gcsErrors } from './errors.js';
import type { CorsRule, LifecycleRule } from './model.js';

export const STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE', 'MULTI_REGIONAL', 'REGIONAL', 'DURABLE_REDUCED_AVAILABILITY'];
const MULTI_REGIONS = ['US', 'EU', 'ASIA'];
const DUAL_REGIONS = ['NAM4', 'EUR4', 'ASIA1', 'EUR5', 'EUR7', 'EUR8'];

/** GCS bucket naming rules (the dotted, up-to-222-character form is not supported). */
export function validateBucketName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw gcsErrors.required('Required');
  const ok =
    /^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.startsWith('goog') &&
    !/g[o0][o0]gle/.test(name) &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.includes('..');
  if (!ok) throw gcsErrors.invalid(`Invalid bucket name: '${name}'`);
  return name;
}

export function locationInfo(location: unknown): { location: string; locationType: string; rpo?: string } {
  const loc = (typeof location === 'string' && location !== '' ? location : 'US').toUpperCase();
  if (MULTI_REGIONS.includes(loc)) return { location: loc, locationType: 'multi-region', rpo: 'DEFAULT' };
  if (DUAL_REGIONS.includes(loc)) return { location: loc, locationType: 'dual-region', rpo: 'DEFAULT' };
  if (/^[A-Z]+-[A-Z]+\d+$/.test(loc)) return { location: loc, locationType: 'region' };
  throw gcsErrors.invalid('The specified location constraint is not valid.');
}

export function validateStorageClass(v: unknown): string {
  const sc = typeof v === 'string' && v !== '' ? v.toUpperCase() : 'STANDARD';
  if (!STORAGE_CLASSES.includes(sc)) throw gcsErrors.invalid(`Invalid storage class: ${String(v)}`);
  return sc;
}

const CONDITION_KEYS = new Set([
  'age', 'createdBefore', 'isLive', 'numNewerVersions', 'matchesStorageClass', 'daysSinceNoncurrentTime',
  'noncurrentTimeBefore', 'customTimeBefore', 'daysSinceCustomTime', 'matchesPrefix', 'matchesSuffix',
]);

export function validateLifecycle(v: unknown): { rule: LifecycleRule[] } | undefined {
  if (v === undefined || v === null) return undefined;
  const rules = (v as { rule?: unknown }).rule;
  if (rules === undefined) return { rule: [] };
  if (!Array.isArray(rules)) throw gcsErrors.invalid('Invalid argument: lifecycle.rule must be a list.');
  if (rules.length > 100) throw gcsErrors.invalid('A bucket can have at most 100 lifecycle rules.');
  return {
    rule: rules.map((r: unknown, i) => {
      const rule = r as Partial<LifecycleRule>;
      const type = rule.action?.type;
      if (type !== 'Delete' && type !== 'SetStorageClass' && type !== 'AbortIncompleteMultipartUpload') {
        throw gcsErrors.invalid(`Invalid lifecycle action type at rule ${i}: ${String(type)}`);
      }
      if (type === 'SetStorageClass') validateStorageClass(rule.action?.storageClass ?? 'missing');
      const cond = rule.condition ?? {};
      const keys = Object.keys(cond);
      if (keys.length === 0) throw gcsErrors.invalid(`Lifecycle rule ${i} must have at least one condition.`);
      for (const k of keys) {
        if (!CONDITION_KEYS.has(k)) throw gcsErrors.invalid(`Invalid lifecycle condition at rule ${i}: ${k}`);
      }
      for (const k of ['age', 'numNewerVersions', 'daysSinceNoncurrentTime', 'daysSinceCustomTime']) {
        const n = cond[k];
        if (n !== undefined && (!Number.isInteger(n) || (n as number) < 0)) {
          throw gcsErrors.invalid(`Invalid lifecycle condition at rule ${i}: ${k} must be a non-negative integer.`);
        }
      }
      return { action: { ...rule.action!, type }, condition: { ...cond } };
    }),
  };
}

export function validateCors(v: unknown): CorsRule[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw gcsErrors.invalid('Invalid argument: cors must be a list.');
  return v.map((c: CorsRule) => {
    for (const k of ['origin', 'method', 'responseHeader'] as const) {
      if (c[k] !== undefined && (!Array.isArray(c[k]) || c[k]!.some((s) => typeof s !== 'string'))) {
        throw gcsErrors.invalid(`Invalid argument: cors.${k} must be a list of strings.`);
      }
    }
    if (c.maxAgeSeconds !== undefined && (!Number.isInteger(Number(c.maxAgeSeconds)) || Number(c.maxAgeSeconds) < 0)) {
      throw gcsErrors.invalid('Invalid argument: cors.maxAgeSeconds must be a non-negative integer.');
    }
    return { ...c, ...(c.maxAgeSeconds !== undefined ? { maxAgeSeconds: Number(c.maxAgeSeconds) } : {}) };
  });
}

const KMS_KEY = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

export function validateKmsKey(v: unknown): string {
  if (typeof v !== 'string' || !KMS_KEY.test(v)) {
    throw gcsErrors.invalid(`Invalid argument: encryption.defaultKmsKeyName must look like projects/P/locations/L/keyRings/R/cryptoKeys/K, got ${String(v)}`);
  }
  return v;
}

/** GCP label rules: at most 64; keys start with a lowercase letter; lowercase, digits, `_` and `-`; <= 63 chars. */
export function validateLabels(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw gcsErrors.invalid('Invalid argument: labels must be a map.');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 64) throw gcsErrors.invalid('A bucket can have at most 64 labels.');
  for (const [k, val] of entries) {
    if (val === null) continue; // a patch deleting the key
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k)) throw gcsErrors.invalid(`Invalid label key: '${k}'`);
    if (typeof val !== 'string' || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(val)) throw gcsErrors.invalid(`Invalid label value for '${k}'`);
  }
  return v as Record<string, string>;
}

export function validatePublicAccessPrevention(v: unknown): string {
  if (v === undefined || v === null || v === '' || v === 'unspecified' || v === 'inherited') return 'inherited';
  if (v === 'enforced') return 'enforced';
  throw gcsErrors.invalid(`Invalid argument: iamConfiguration.publicAccessPrevention: ${String(v)}`);
}
