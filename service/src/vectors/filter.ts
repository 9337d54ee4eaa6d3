/**
 * Metadata filters: the Qdrant subset (must / should / must_not of match and range conditions
 * on payload keys, dotted paths allowed), plus a shorthand `{key: value}` meaning all keys equal.
 * Compiled once per request into a predicate; runs inside the search workers.
 */
export type Payload = Record<string, unknown>;
export type Predicate = (p: Payload | null | undefined) => boolean;

export class FilterError extends Error {}

/** Nested must/should/must_not levels: enough for any real query, and bounded so a deep one is a 400, not a stack overflow. */
export const MAX_FILTER_DEPTH = 32;

interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

function get(p: Payload | null | undefined, path: string): unknown {
  let cur: unknown = p;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function eq(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return a.some((x) => eq(x, b));
  return a === b;
}

function condition(c: unknown, where: string, depth: number): Predicate {
  if (!isObj(c)) throw new FilterError(`${where} must be an object`);
  if ('must' in c || 'should' in c || 'must_not' in c) return compileFilter(c, where, depth + 1);
  if (typeof c.key !== 'string') throw new FilterError(`${where}.key must be a string`);
  const key = c.key;
  if (isObj(c.match)) {
    const m = c.match;
    if ('value' in m) {
      const v = m.value;
      return (p) => eq(get(p, key), v);
    }
    if (Array.isArray(m.any)) {
      const any = m.any;
      return (p) => any.some((v) => eq(get(p, key), v));
    }
    if (Array.isArray(m.except)) {
      const ex = m.except;
      return (p) => !ex.some((v) => eq(get(p, key), v));
    }
    throw new FilterError(`${where}.match must have value, any or except`);
  }
  if (isObj(c.range)) {
    const r = c.range as Range;
    for (const k of ['gt', 'gte', 'lt', 'lte'] as const) {
      if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isFinite(r[k]))) {
        throw new FilterError(`${where}.range.${k} must be a finite number`);
      }
    }
    return (p) => {
      const v = get(p, key);
      if (typeof v !== 'number') return false;
      return (r.gt === undefined || v > r.gt) && (r.gte === undefined || v >= r.gte) && (r.lt === undefined || v < r.lt) && (r.lte === undefined || v <= r.lte);
    };
  }
  throw new FilterError(`${where} must have match or range`);
}

function list(v: unknown, where: string, depth: number): Predicate[] {
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((c, i) => condition(c, `${where}[${i}]`, depth));
}

export function compileFilter(f: unknown, where = 'filter', depth = 1): Predicate {
  if (f === undefined || f === null) return () => true;
  if (depth > MAX_FILTER_DEPTH) throw new FilterError(`filter nests deeper than ${MAX_FILTER_DEPTH} levels of must/should/must_not`);
  if (!isObj(f)) throw new FilterError(`${where} must be an object`);
  if (!('must' in f || 'should' in f || 'must_not' in f)) {
    const entries = Object.entries(f);
    for (const [k, v] of entries) {
      if (v !== null && typeof v === 'object') throw new FilterError(`${where}.${k} must be a string, number or boolean (use must/range for more)`);
    }
    return (p) => entries.every(([k, v]) => eq(get(p, k), v));
  }
  const must = f.must === undefined ? [] : list(f.must, `${where}.must`, depth);
  const should = f.should === undefined ? [] : list(f.should, `${where}.should`, depth);
  const mustNot = f.must_not === undefined ? [] : list(f.must_not, `${where}.must_not`, depth);
  return (p) => must.every((c) => c(p)) && (should.length === 0 || should.some((c) => c(p))) && !mustNot.some((c) => c(p));
}
