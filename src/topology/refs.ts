/**
 * Late-bound values. Some fields are known only after another resource exists: a push
 * endpoint needs the Cloud Run service's URL, a user's password lives in a secret. Such a
 * field holds `${ref:<resource name>#<field path>}` (possibly inside a longer string); the
 * engine resolves it from the observed resource before create/update, and compares the
 * resolved value when diffing. `#payload` on a secret means its latest version's data.
 */
const REF = /\$\{ref:([^#}]+)#([^}]+)\}/g;

export function ref(name: string, field: string): string {
  return `\${ref:${name}#${field}}`;
}

export interface RefUse {
  name: string;
  field: string;
}

/** Every reference inside a value (walks objects and arrays). */
export function findRefs(value: unknown, out: RefUse[] = []): RefUse[] {
  if (typeof value === 'string') {
    for (const m of value.matchAll(REF)) out.push({ name: m[1]!, field: m[2]! });
  } else if (Array.isArray(value)) {
    for (const v of value) findRefs(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) findRefs(v, out);
  }
  return out;
}

/** Replace references using a resolver (the engine passes one that reads observed state). */
export function resolveRefs<T>(value: T, resolve: (name: string, field: string) => string): T {
  if (typeof value === 'string') return value.replace(REF, (_w, n: string, f: string) => resolve(n, f)) as T;
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, resolve)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, resolve)])) as T;
  }
  return value;
}
