import { gcsErrors } from './errors.js';
import type { GcsObject } from './model.js';

export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const FIELDS = ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const;

/** Reads the precondition query parameters (`prefix` = 'Source' for ifSourceGenerationMatch, ...). */
export function readPreconditions(q: URLSearchParams, prefix = ''): Preconditions {
  const out: Preconditions = {};
  for (const f of FIELDS) {
    const name = prefix ? `if${prefix}${f.slice(2)}` : f;
    const v = q.get(name);
    if (v === null || v === '') continue;
    if (!/^\d+$/.test(v)) throw gcsErrors.invalid(`Invalid value for ${name}: ${v}`);
    out[f] = v;
  }
  return out;
}

export function hasPreconditions(p: Preconditions): boolean {
  return FIELDS.some((f) => p[f] !== undefined);
}

/**
 * Evaluates object preconditions against the live generation. `ifGenerationMatch=0` means
 * "only if no live object exists". Reads answer 304 where GCS does (the NotMatch forms).
 */
export function checkObject(p: Preconditions, current: GcsObject | undefined, mode: 'read' | 'write'): void {
  if (p.ifGenerationMatch !== undefined) {
    const want = p.ifGenerationMatch;
    const ok = want === '0' ? !current : !!current && current.generation === want;
    if (!ok) throw gcsErrors.preconditionFailed();
  }
  if (p.ifMetagenerationMatch !== undefined && (!current || current.metageneration !== p.ifMetagenerationMatch)) {
    throw gcsErrors.preconditionFailed();
  }
  if (p.ifGenerationNotMatch !== undefined && current && current.generation === p.ifGenerationNotMatch) {
    throw mode === 'read' ? gcsErrors.notModified() : gcsErrors.preconditionFailed();
  }
  if (p.ifMetagenerationNotMatch !== undefined && current && current.metageneration === p.ifMetagenerationNotMatch) {
    throw mode === 'read' ? gcsErrors.notModified() : gcsErrors.preconditionFailed();
  }
}

export function checkBucket(q: URLSearchParams, metageneration: string, mode: 'read' | 'write'): void {
  const match = q.get('ifMetagenerationMatch');
  if (match !== null && match !== '' && match !== metageneration) throw gcsErrors.preconditionFailed();
  const notMatch = q.get('ifMetagenerationNotMatch');
  if (notMatch !== null && notMatch !== '' && notMatch === metageneration) {
    throw mode === 'read' ? gcsErrors.notModified() : gcsErrors.preconditionFailed();
  }
}
