/** JSON values, and random mutations of them for the fuzz tests (seeded by the caller's `rand`). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * A mutator: replaces a value by one of `odd()`'s now and then, drops and adds array elements
 * and object fields (added fields named from `extraKeys`), at any depth.
 */
export function mutator(rand: () => number, odd: () => Json, extraKeys: readonly string[]): (v: Json) => Json {
  const mutate = (v: Json): Json => {
    if (rand() < 0.15) return odd();
    if (Array.isArray(v)) {
      const c = v.map((x) => (rand() < 0.15 ? mutate(x) : x));
      if (rand() < 0.1) c.pop();
      if (rand() < 0.1) c.push(odd());
      return c;
    }
    if (v !== null && typeof v === 'object') {
      const o: { [k: string]: Json } = {};
      for (const [k, x] of Object.entries(v)) if (rand() >= 0.1) o[k] = rand() < 0.35 ? mutate(x) : x;
      if (rand() < 0.1) o[extraKeys[Math.floor(rand() * extraKeys.length)]!] = odd();
      return o;
    }
    return v;
  };
  return mutate;
}
