/**
 * Metadata filters: the Qdrant subset (must / should / must_not of match and range conditions
 * on payload keys, dotted paths allowed), plus a shorthand `{key: value}` meaning all keys equal.
 * Compiled once per request into a predicate; runs inside the search workers, once per point
 * HNSW visits, so what one evaluation may cost is bounded here (FilterLimits).
 */
export type Payload = Record<string, unknown>;
export type Predicate = (p: Payload | null | undefined) => boolean;

export class FilterError extends Error {}

/** Nested must/should/must_not levels: enough for any real query, and bounded so a deep one is a 400, not a stack overflow. */
export const MAX_FILTER_DEPTH = 32;

/**
 * What one filter may hold. A predicate costs at most `conditions` key look-ups per point (a
 * `match.any`/`except` list is a Set, one look-up however long), and is compiled and copied to
 * every worker once per request, which `values` bounds.
 */
export interface FilterLimits {
  /** Levels of must/should/must_not (MAX_FILTER_DEPTH). */
  depth: number;
  /** Conditions and nested clauses in all (MAX_FILTER_CONDITIONS). */
  conditions: number;
  /** Values in all match.any / match.except lists together (MAX_MATCH_VALUES). */
  values: number;
}

/** What the workers compile with: the main thread has already held the filter to the configured limits. */
const UNBOUNDED: FilterLimits = { depth: Infinity, conditions: Infinity, values: Infinity };

type Scalar = string | number | boolean | null;

interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** The path split once at compile time, not per point. */
function getter(path: string): (p: Payload | null | undefined) => unknown {
  const parts = path.split('.');
  if (parts.length === 1) return (p) => (p === null || p === undefined ? undefined : p[path]);
  return (p) => {
    let cur: unknown = p;
    for (const part of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
    return cur;
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Only scalars can equal a payload value (an object or array from the request is never `===`
 * to one), so anything else is refused rather than carried: a value nested thousands of levels
 * deep made copying the search to the workers throw.
 */
function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Whether `a`, or any element of it at any depth when it is an array, passes `test`. */
function some(a: unknown, test: (x: unknown) => boolean): boolean {
  if (!Array.isArray(a)) return test(a);
  for (const x of a) if (some(x, test)) return true;
  return false;
}

/** A payload value (or an element of a payload array) equal to `v`. */
function equals(v: Scalar): (a: unknown) => boolean {
  const test = (x: unknown) => x === v;
  return (a) => a === v || some(a, test);
}

/** A payload value (or an element of a payload array) in `set`: one look-up, however long the list. */
function memberOf(set: Set<Scalar>): (a: unknown) => boolean {
  const test = (x: unknown) => set.has(x as Scalar);
  return (a) => some(a, test);
}

class Compiler {
  private conditions = 0;
  private values = 0;
  constructor(private limits: FilterLimits) {}

  private count(where: string): void {
    if (++this.conditions > this.limits.conditions) {
      throw new FilterError(`${where}: the filter has more than ${this.limits.conditions} conditions (MAX_FILTER_CONDITIONS)`);
    }
  }

  private values_(list: unknown[], where: string): Set<Scalar> {
    this.values += list.length;
    if (this.values > this.limits.values) {
      throw new FilterError(`${where} has ${list.length} values: at most ${this.limits.values} in all match.any/except lists of a filter (MAX_MATCH_VALUES)`);
    }
    const set = new Set<Scalar>();
    list.forEach((v, i) => {
      if (!isScalar(v)) throw new FilterError(`${where}[${i}] must be a string, a finite number, a boolean or null`);
      set.add(v);
    });
    return set;
  }

  private condition(c: unknown, where: string, depth: number): Predicate {
    if (!isObj(c)) throw new FilterError(`${where} must be an object`);
    if ('must' in c || 'should' in c || 'must_not' in c) return this.clause(c, where, depth + 1);
    this.count(where);
    if (typeof c.key !== 'string') throw new FilterError(`${where}.key must be a string`);
    const get = getter(c.key);
    if (isObj(c.match)) {
      const m = c.match;
      if ('value' in m) {
        const v = m.value;
        if (!isScalar(v)) throw new FilterError(`${where}.match.value must be a string, a finite number, a boolean or null`);
        const eq = equals(v);
        return (p) => eq(get(p));
      }
      if (Array.isArray(m.any)) {
        const has = memberOf(this.values_(m.any, `${where}.match.any`));
        return (p) => has(get(p));
      }
      if (Array.isArray(m.except)) {
        const has = memberOf(this.values_(m.except, `${where}.match.except`));
        return (p) => !has(get(p));
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
      const { gt, gte, lt, lte } = r;
      return (p) => {
        const v = get(p);
        if (typeof v !== 'number') return false;
        return (gt === undefined || v > gt) && (gte === undefined || v >= gte) && (lt === undefined || v < lt) && (lte === undefined || v <= lte);
      };
    }
    throw new FilterError(`${where} must have match or range`);
  }

  private list(v: unknown, where: string, depth: number): Predicate[] {
    const arr = Array.isArray(v) ? v : [v];
    return arr.map((c, i) => this.condition(c, `${where}[${i}]`, depth));
  }

  clause(f: unknown, where: string, depth: number): Predicate {
    if (depth > this.limits.depth) throw new FilterError(`filter nests deeper than ${this.limits.depth} levels of must/should/must_not`);
    if (!isObj(f)) throw new FilterError(`${where} must be an object`);
    if (!('must' in f || 'should' in f || 'must_not' in f)) {
      const entries = Object.entries(f).map(([k, v]): [(p: Payload | null | undefined) => unknown, (a: unknown) => boolean] => {
        this.count(`${where}.${k}`);
        if (!isScalar(v)) throw new FilterError(`${where}.${k} must be a string, a finite number, a boolean or null (use must/range for more)`);
        return [getter(k), equals(v)];
      });
      return (p) => entries.every(([get, eq]) => eq(get(p)));
    }
    if (depth > 1) this.count(where);
    const must = f.must === undefined ? [] : this.list(f.must, `${where}.must`, depth);
    const should = f.should === undefined ? [] : this.list(f.should, `${where}.should`, depth);
    const mustNot = f.must_not === undefined ? [] : this.list(f.must_not, `${where}.must_not`, depth);
    return (p) => must.every((c) => c(p)) && (should.length === 0 || should.some((c) => c(p))) && !mustNot.some((c) => c(p));
  }
}

/** Compiles a filter into a predicate; throws FilterError naming where it is wrong or which limit it passes. */
export function compileFilter(f: unknown, limits: FilterLimits = UNBOUNDED): Predicate {
  if (f === undefined || f === null) return () => true;
  return new Compiler(limits).clause(f, 'filter', 1);
}

/** The default limits (config.ts reads the environment's). */
export const DEFAULT_FILTER_LIMITS: FilterLimits = { depth: MAX_FILTER_DEPTH, conditions: 256, values: 10_000 };
