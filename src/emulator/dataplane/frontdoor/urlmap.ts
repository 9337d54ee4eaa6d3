/**
 * URL map resolution as the global external Application Load Balancer does it: host rules
 * pick a path matcher; its route rules (lowest priority number first; prefix/full/regex path
 * matches with header and query matches, e.g. the seed's X-Client-Region routes) win over
 * its path rules (longest path wins), then the matcher's default, then the map's default.
 * The result is a backend service, or a redirect.
 */
type Obj = Record<string, unknown>;

export interface RouteRequest {
  host: string;
  path: string;
  /** Raw query string without '?'. */
  query: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
}

export interface Redirect {
  httpsRedirect?: boolean;
  hostRedirect?: string;
  pathRedirect?: string;
  prefixRedirect?: string;
  redirectResponseCode?: string;
  stripQuery?: boolean;
}

export type RouteResult =
  | { kind: 'service'; service: string; path: string; host?: string }
  | { kind: 'redirect'; redirect: Redirect; matchedPrefix?: string }
  | { kind: 'none' };

export function resolveRoute(urlMap: Obj, req: RouteRequest, random: () => number = Math.random): RouteResult {
  const host = req.host.replace(/:\d+$/, '').toLowerCase();
  const hostRules = (urlMap.hostRules as Obj[] | undefined) ?? [];
  const rule = bestHostRule(hostRules, host);
  if (rule) {
    const pm = ((urlMap.pathMatchers as Obj[] | undefined) ?? []).find((p) => p.name === rule.pathMatcher);
    if (pm) return resolveInMatcher(pm, req, random);
  }
  return defaults(urlMap, req, random);
}

function bestHostRule(rules: Obj[], host: string): Obj | undefined {
  let best: { rule: Obj; score: number } | undefined;
  for (const r of rules) {
    for (const h of (r.hosts as string[] | undefined) ?? []) {
      const p = h.toLowerCase();
      // An exact host beats a wildcard; a longer wildcard suffix beats a shorter one.
      const score = p === host ? 1e6 : p === '*' ? 0 : p.startsWith('*') && host.endsWith(p.slice(1)) ? p.length : -1;
      if (score >= 0 && (!best || score > best.score)) best = { rule: r, score };
    }
  }
  return best?.rule;
}

function resolveInMatcher(pm: Obj, req: RouteRequest, random: () => number): RouteResult {
  const routeRules = [...((pm.routeRules as Obj[] | undefined) ?? [])].sort((a, b) => Number(a.priority ?? 0) - Number(b.priority ?? 0));
  for (const rr of routeRules) {
    const mrs = (rr.matchRules as Obj[] | undefined) ?? [{}];
    const hit = mrs.find((m) => matchRule(m, req));
    if (!hit) continue;
    if (rr.urlRedirect) return { kind: 'redirect', redirect: rr.urlRedirect as Redirect, matchedPrefix: typeof hit.prefixMatch === 'string' ? hit.prefixMatch : undefined };
    return target(rr, req, random, typeof hit.prefixMatch === 'string' ? hit.prefixMatch : undefined) ?? defaults(pm, req, random);
  }
  let bestPath: { rule: Obj; len: number } | undefined;
  for (const pr of (pm.pathRules as Obj[] | undefined) ?? []) {
    for (const p of (pr.paths as string[] | undefined) ?? []) {
      const ok = p.endsWith('/*') ? req.path.startsWith(p.slice(0, -1)) || req.path === p.slice(0, -2) : req.path === p;
      if (ok && (!bestPath || p.length > bestPath.len)) bestPath = { rule: pr, len: p.length };
    }
  }
  if (bestPath) {
    if (bestPath.rule.urlRedirect) return { kind: 'redirect', redirect: bestPath.rule.urlRedirect as Redirect };
    const t = target(bestPath.rule, req, random);
    if (t) return t;
  }
  return defaults(pm, req, random);
}

function defaults(scope: Obj, req: RouteRequest, random: () => number): RouteResult {
  if (scope.defaultUrlRedirect) return { kind: 'redirect', redirect: scope.defaultUrlRedirect as Redirect };
  const t = target({ service: scope.defaultService, routeAction: scope.defaultRouteAction }, req, random);
  return t ?? { kind: 'none' };
}

/** The backend a rule sends to: its service, or one of routeAction.weightedBackendServices by weight; with urlRewrite applied. */
function target(rule: Obj, req: RouteRequest, random: () => number, matchedPrefix?: string): RouteResult | undefined {
  const action = (rule.routeAction as Obj | undefined) ?? {};
  let service = typeof rule.service === 'string' ? rule.service : undefined;
  const weighted = (action.weightedBackendServices as { backendService?: string; weight?: number }[] | undefined) ?? [];
  if (!service && weighted.length) {
    const total = weighted.reduce((s, w) => s + (w.weight ?? 0), 0);
    let pick = random() * total;
    for (const w of weighted) {
      pick -= w.weight ?? 0;
      if (pick < 0) {
        service = w.backendService;
        break;
      }
    }
    service ??= weighted.at(-1)?.backendService;
  }
  if (!service) return undefined;
  const rewrite = (action.urlRewrite as { pathPrefixRewrite?: string; hostRewrite?: string } | undefined) ?? {};
  let path = req.path;
  if (rewrite.pathPrefixRewrite !== undefined && matchedPrefix !== undefined && path.startsWith(matchedPrefix)) {
    path = rewrite.pathPrefixRewrite + path.slice(matchedPrefix.length);
  }
  return { kind: 'service', service, path, ...(rewrite.hostRewrite ? { host: rewrite.hostRewrite } : {}) };
}

function matchRule(m: Obj, req: RouteRequest): boolean {
  const ignoreCase = m.ignoreCase === true;
  const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  const path = norm(req.path);
  if (typeof m.prefixMatch === 'string' && !path.startsWith(norm(m.prefixMatch))) return false;
  if (typeof m.fullPathMatch === 'string' && path !== norm(m.fullPathMatch)) return false;
  if (typeof m.regexMatch === 'string' && !safeRegex(m.regexMatch, req.path)) return false;
  for (const h of (m.headerMatches as Obj[] | undefined) ?? []) {
    const v = req.headers[String(h.headerName ?? '').toLowerCase()];
    let ok: boolean;
    if (h.presentMatch !== undefined) ok = (v !== undefined) === (h.presentMatch === true);
    else if (v === undefined) ok = false;
    else if (typeof h.exactMatch === 'string') ok = v === h.exactMatch;
    else if (typeof h.prefixMatch === 'string') ok = v.startsWith(h.prefixMatch);
    else if (typeof h.suffixMatch === 'string') ok = v.endsWith(h.suffixMatch);
    else if (typeof h.regexMatch === 'string') ok = safeRegex(h.regexMatch, v);
    else if (h.rangeMatch && typeof h.rangeMatch === 'object') {
      const r = h.rangeMatch as { rangeStart?: number | string; rangeEnd?: number | string };
      const n = Number(v);
      ok = /^-?\d+$/.test(v) && n >= Number(r.rangeStart ?? 0) && n < Number(r.rangeEnd ?? 0);
    } else ok = true;
    if (h.invertMatch === true) ok = !ok;
    if (!ok) return false;
  }
  const params = new URLSearchParams(req.query);
  for (const q of (m.queryParameterMatches as Obj[] | undefined) ?? []) {
    const v = params.get(String(q.name ?? ''));
    if (q.presentMatch !== undefined) {
      if ((v !== null) !== (q.presentMatch === true)) return false;
    } else if (v === null) return false;
    else if (typeof q.exactMatch === 'string' && v !== q.exactMatch) return false;
    else if (typeof q.regexMatch === 'string' && !safeRegex(q.regexMatch, v)) return false;
  }
  return true;
}

function safeRegex(src: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${src})$`).test(value);
  } catch {
    return false;
  }
}

const REDIRECT_CODES: Record<string, number> = { MOVED_PERMANENTLY_DEFAULT: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };

/**
 * Where a redirect sends the client. `httpsRedirect` goes to the HTTPS listener, which is
 * served locally as plain HTTP on its own port (`httpsOrigin`).
 */
export function redirectLocation(r: Redirect, req: { origin: string; path: string; query: string }, httpsOrigin: string | undefined, matchedPrefix?: string): { status: number; location: string } {
  const base = new URL(r.httpsRedirect && httpsOrigin ? httpsOrigin : req.origin);
  if (r.hostRedirect) base.host = r.hostRedirect;
  let path = req.path;
  if (r.pathRedirect) path = r.pathRedirect;
  else if (r.prefixRedirect !== undefined && matchedPrefix !== undefined) path = r.prefixRedirect + path.slice(matchedPrefix.length);
  const query = r.stripQuery || !req.query ? '' : `?${req.query}`;
  return { status: REDIRECT_CODES[r.redirectResponseCode ?? 'MOVED_PERMANENTLY_DEFAULT'] ?? 301, location: `${base.origin}${path}${query}` };
}
