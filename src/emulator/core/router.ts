import type { Route } from './types.js';

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
  /** Literal characters in the template: more literal = more specific, tried first. */
  weight: number;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Decode each `/`-separated piece on its own, so `%2F` inside a segment stays a literal slash. */
function decodeCapture(raw: string): string {
  return raw
    .split('/')
    .map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        return seg;
      }
    })
    .join('/');
}

/**
 * Compiles a template. `{x}` matches one segment and stops at `:` (so `{service}:getIamPolicy`
 * works); `{x=**}` matches the rest; `{x=projects/*\/locations/*}` matches that shape (gax style).
 * Matching runs on the raw (still percent-encoded) path, so encoded `/` and `:` in a name never
 * split it; captures are decoded afterwards.
 */
export function compileTemplate(template: string): { regex: RegExp; names: string[]; weight: number } {
  const names: string[] = [];
  let re = '^';
  let weight = 0;
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw new Error(`Unclosed placeholder in route template ${template}`);
      const inner = template.slice(i + 1, end);
      const eq = inner.indexOf('=');
      const name = eq < 0 ? inner : inner.slice(0, eq);
      const pattern = eq < 0 ? '*' : inner.slice(eq + 1);
      names.push(name);
      const body = pattern
        .split('/')
        .map((p) => (p === '**' ? '.+' : p === '*' ? '[^/:]+' : escapeRe(p)))
        .join('/');
      re += `(${body})`;
      weight += pattern.replace(/\*+/g, '').length;
      i = end + 1;
    } else {
      re += escapeRe(ch);
      weight += 1;
      i += 1;
    }
  }
  re += '$';
  return { regex: new RegExp(re), names, weight };
}

export class Router {
  private compiled: Compiled[] = [];

  add(routes: Route[]): void {
    for (const route of routes) {
      const { regex, names, weight } = compileTemplate(route.path);
      this.compiled.push({ route, regex, names, weight });
    }
    this.compiled.sort((a, b) => b.weight - a.weight);
  }

  /**
   * Finds the route for a method and raw path. `pathMatched` tells a 404 (no template
   * matches) from a wrong method, and carries a route whose style renders the error.
   */
  match(method: string, rawPath: string): { route: Route; params: Record<string, string> } | { route?: undefined; pathMatched?: Route } {
    let pathMatched: Route | undefined;
    for (const c of this.compiled) {
      const m = c.regex.exec(rawPath);
      if (!m) continue;
      if (c.route.method !== method) {
        pathMatched ??= c.route;
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((n, idx) => {
        params[n] = decodeCapture(m[idx + 1]!);
      });
      return { route: c.route, params };
    }
    return { pathMatched };
  }

  routes(): Route[] {
    return this.compiled.map((c) => c.route);
  }
}
