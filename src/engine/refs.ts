/**
 * Late-bound values (`${ref:<name>#<field>}`, see src/topology/refs.ts): resolved from the
 * referenced object's observed state right before a diff, create or update. A value that
 * cannot be resolved yet (its object is still to be created) stays a placeholder and shows
 * in plans as "(known after apply)". A `#payload` reference reads a secret: anything resolved
 * from it is sensitive.
 */
import type { Provider, ProviderContext } from '../providers/types.js';
import type { FieldChange, Observed, Resource } from './types.js';

const REF = /\$\{ref:([^#}]+)#([^}]+)\}/g;
export const KNOWN_AFTER_APPLY = '(known after apply)';

export interface RefSource {
  /** The referenced object as observed (fresh enough for the caller's purpose). */
  observed(name: string): Promise<Observed | undefined>;
  provider(kind: string): Provider | undefined;
  ctx: ProviderContext;
  /** Wraps the reads a reference needs (retries). */
  call?: <T>(fn: () => Promise<T>) => Promise<T>;
}

function hasRef(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('${ref:');
  if (Array.isArray(v)) return v.some(hasRef);
  if (v && typeof v === 'object') return Object.values(v).some(hasRef);
  return false;
}

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

async function resolveString(s: string, src: RefSource): Promise<{ value: string; unresolved: boolean }> {
  let unresolved = false;
  const parts: string[] = [];
  let last = 0;
  for (const m of s.matchAll(REF)) {
    parts.push(s.slice(last, m.index));
    last = m.index! + m[0].length;
    const [, name, field] = m as unknown as [string, string, string];
    const o = await src.observed(name);
    let v: unknown;
    if (o) {
      const p = src.provider(o.kind);
      const read = p?.readField;
      v = read ? await (src.call ? src.call(() => read.call(p, src.ctx, o, field)) : read.call(p, src.ctx, o, field)) : readPath(o.raw, field);
    }
    if (v === undefined || v === null || v === '') {
      unresolved = true;
      parts.push(m[0]);
    } else parts.push(String(v));
  }
  parts.push(s.slice(last));
  return { value: parts.join(''), unresolved };
}

async function resolveValue(v: unknown, src: RefSource, state: { unresolved: boolean }): Promise<unknown> {
  if (typeof v === 'string') {
    if (!v.includes('${ref:')) return v;
    const r = await resolveString(v, src);
    state.unresolved ||= r.unresolved;
    return r.value;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) out.push(await resolveValue(x, src, state));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await resolveValue(x, src, state);
    return out;
  }
  return v;
}

/** The resource with every reference it can resolve replaced; `unresolved` when some could not be. */
export async function resolveResource(r: Resource, src: RefSource): Promise<{ resource: Resource; unresolved: boolean }> {
  if (!hasRef(r.spec)) return { resource: r, unresolved: false };
  const state = { unresolved: false };
  const spec = (await resolveValue(r.spec, src, state)) as Record<string, unknown>;
  return { resource: { ...r, spec }, unresolved: state.unresolved };
}

/** Paths (dotted, as in FieldChange) whose desired value reads a secret payload. */
export function secretPaths(spec: unknown, prefix = '', out: string[] = []): string[] {
  if (typeof spec === 'string') {
    if (/\$\{ref:[^}]*#payload\}/.test(spec)) out.push(prefix);
  } else if (Array.isArray(spec)) {
    // Arrays are diffed as a whole: a secret anywhere inside masks the array.
    if (spec.some((x) => secretPaths(x).length > 0)) out.push(prefix);
  } else if (spec && typeof spec === 'object') {
    for (const [k, v] of Object.entries(spec)) secretPaths(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/** Mark changes sensitive where the spec read a secret, and show unresolved values as such. */
export function annotateChanges(original: Resource, changes: FieldChange[]): FieldChange[] {
  const secrets = secretPaths(original.spec);
  return changes.map((c) => {
    const sensitive = c.sensitive || secrets.some((p) => c.path === p || c.path.startsWith(`${p}.`) || p.startsWith(`${c.path}.`));
    const after = typeof c.after === 'string' && c.after.includes('${ref:') ? KNOWN_AFTER_APPLY : c.after;
    return { ...c, after, ...(sensitive ? { sensitive: true } : {}) };
  });
}
