/**
 * Field-level diff of what the spec owns against what the API returned. Only keys present in
 * the desired value are compared (server defaults and output-only fields never show), and
 * server forms are normalised: full URL vs relative reference, number vs numeric string,
 * zero values vs absent, *_UNSPECIFIED enums vs absent.
 */
import type { FieldChange } from '../engine/types.js';

export interface DiffOptions {
  /** Dotted paths whose values must never be printed. */
  sensitive?: string[];
  /** Dotted paths to skip. */
  ignore?: string[];
  /** Dotted paths of arrays compared as sets (order the server may change). */
  unordered?: string[];
  /** Arrays whose elements have an identity field (Armor rules by priority): diffed element by element. */
  keyed?: Record<string, string>;
}

/** The top-level field a change path belongs to ('rules[priority=10].action' -> 'rules'). */
export function topOf(path: string): string {
  return path.split(/[.[]/)[0]!;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** True for values the APIs treat as "not set". */
export function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || v === '0') return true;
  if (typeof v === 'string' && /_UNSPECIFIED$/.test(v)) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}

/** Reduce a resource reference to its project-relative form. */
export function refKey(s: string): string {
  const i = s.indexOf('projects/');
  return i >= 0 ? s.slice(i) : s;
}

function scalarEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) {
    const na = Number(a);
    const nb = Number(b);
    if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na === nb;
    if (typeof a === 'string' && typeof b === 'string') {
      const ka = refKey(a);
      const kb = refKey(b);
      if (ka === kb) return true;
      // "global/networks/x" vs ".../projects/p/global/networks/x"
      if ((a.includes('/') || b.includes('/')) && (ka.endsWith(`/${kb}`) || kb.endsWith(`/${ka}`))) return true;
      // port ranges "80" vs "80-80"
      const pa = /^(\d+)-(\d+)$/.exec(a);
      const pb = /^(\d+)-(\d+)$/.exec(b);
      if (pa && pa[1] === pa[2] && pa[1] === b) return true;
      if (pb && pb[1] === pb[2] && pb[1] === a) return true;
      // durations "300s" vs "300.000s"
      const da = /^(\d+(?:\.\d+)?)s$/.exec(a);
      const db = /^(\d+(?:\.\d+)?)s$/.exec(b);
      if (da && db) return Number(da[1]) === Number(db[1]);
    }
  }
  return false;
}

/** Desired is owned-fields-only: does actual satisfy it? */
export function satisfies(desired: unknown, actual: unknown, path = '', opts: DiffOptions = {}): boolean {
  return diffFields(desired, actual, opts, path).length === 0;
}

function sortKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (isObj(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => p.localeCompare(q))) : x));
}

function arraysSatisfy(desired: unknown[], actual: unknown[], path: string, opts: DiffOptions): boolean {
  if (desired.length !== actual.length) return false;
  if (opts.unordered?.includes(path)) {
    const pool = [...actual];
    for (const d of [...desired].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))) {
      const i = pool.findIndex((a) => satisfies(d, a, path, { ...opts, unordered: [] }));
      if (i < 0) return false;
      pool.splice(i, 1);
    }
    return true;
  }
  return desired.every((d, i) => satisfies(d, actual[i], `${path}[]`, opts));
}

export function diffFields(desired: unknown, actual: unknown, opts: DiffOptions = {}, path = ''): FieldChange[] {
  if (desired === undefined) return [];
  if (path && opts.ignore?.includes(path)) return [];
  const sensitive = !!path && !!opts.sensitive?.some((s) => path === s || path.startsWith(`${s}.`));
  if (isObj(desired)) {
    const act = isObj(actual) ? actual : {};
    if (!isObj(actual) && !isZero(actual)) return [{ path, before: actual, after: desired, sensitive }];
    const out: FieldChange[] = [];
    for (const [k, v] of Object.entries(desired)) out.push(...diffFields(v, act[k], opts, path ? `${path}.${k}` : k));
    return out;
  }
  if (Array.isArray(desired) && opts.keyed?.[path]) {
    const key = opts.keyed[path]!;
    const act = (Array.isArray(actual) ? actual : []) as Obj[];
    const id = (x: unknown): string => String(isObj(x) ? x[key] : x);
    const out: FieldChange[] = [];
    for (const d of desired) {
      const match = act.find((a) => id(a) === id(d));
      const at = `${path}[${key}=${id(d)}]`;
      if (!match) out.push({ path: at, before: undefined, after: d, sensitive });
      else out.push(...diffFields(d, match, { ...opts, keyed: {} }, at));
    }
    for (const a of act) if (!desired.some((d) => id(d) === id(a))) out.push({ path: `${path}[${key}=${id(a)}]`, before: a, after: undefined, sensitive });
    return out;
  }
  if (Array.isArray(desired)) {
    const act = Array.isArray(actual) ? actual : isZero(actual) ? [] : [actual];
    return arraysSatisfy(desired, act, path, opts) ? [] : [{ path, before: actual, after: desired, sensitive }];
  }
  return scalarEqual(desired, actual) ? [] : [{ path, before: actual, after: desired, sensitive }];
}

const MASK = '(sensitive)';

/** Copy of changes safe to print or save. */
export function maskChanges(changes: FieldChange[]): FieldChange[] {
  return changes.map((c) => (c.sensitive ? { ...c, before: c.before === undefined ? undefined : MASK, after: MASK } : c));
}

/** Set a dotted path in a fresh object (for building update masks' bodies). */
export function pick(obj: Obj, paths: string[]): Obj {
  const out: Obj = {};
  for (const p of paths) {
    const keys = p.split('.');
    let src: unknown = obj;
    for (const k of keys) src = isObj(src) ? src[k] : undefined;
    if (src === undefined) continue;
    let dst = out;
    keys.slice(0, -1).forEach((k) => {
      if (!isObj(dst[k])) dst[k] = {};
      dst = dst[k] as Obj;
    });
    dst[keys[keys.length - 1]!] = src;
  }
  return out;
}
