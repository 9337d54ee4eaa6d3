import { EmuError, type EmulatorContext, type Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { actionRoute, collectionFor, crudRoutes, defineKind, itemPath, locOf, resolveRef, userFields, type Loc, type Res } from './shared/resource.js';
import { asArray, asRecord, bool, checkName, intIn, isHostname, oneOf } from './shared/validate.js';

const SERVICE_REF = [
  { plural: 'backendServices', scope: 'global' as const },
  { plural: 'backendBuckets', scope: 'global' as const },
];
const REDIRECT_CODES = ['MOVED_PERMANENTLY_DEFAULT', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'];

/** Validates a URL map body and resolves every service it names; collects what the scheme rules need. */
class UrlMapChecker {
  readonly schemes = new Map<string, string>();
  advanced: string | undefined;

  constructor(private readonly ctx: EmulatorContext, private readonly loc: Loc) {}

  service(value: unknown, field: string): string {
    const ref = resolveRef(this.ctx, value, field, this.loc, SERVICE_REF);
    if (ref.res.loadBalancingScheme) this.schemes.set(ref.key, String(ref.res.loadBalancingScheme));
    return ref.link;
  }

  redirect(raw: unknown, field: string): Res {
    const r = asRecord(raw, field);
    if (r.pathRedirect !== undefined && r.prefixRedirect !== undefined) throw err.invalid(field, '', 'pathRedirect and prefixRedirect cannot both be set.');
    if (r.hostRedirect !== undefined && !isHostname(String(r.hostRedirect).replace(/:\d+$/, ''), false)) throw err.invalid(`${field}.hostRedirect`, r.hostRedirect, 'Must be a valid host name.');
    for (const p of ['pathRedirect', 'prefixRedirect'] as const) {
      if (r[p] !== undefined && !String(r[p]).startsWith('/')) throw err.invalid(`${field}.${p}`, r[p], "Must start with '/'.");
    }
    return {
      ...r,
      httpsRedirect: bool(r.httpsRedirect, false),
      redirectResponseCode: oneOf(r.redirectResponseCode, `${field}.redirectResponseCode`, REDIRECT_CODES, 'MOVED_PERMANENTLY_DEFAULT'),
      stripQuery: bool(r.stripQuery, false),
    };
  }

  routeAction(raw: unknown, field: string): Res {
    const r = { ...asRecord(raw, field) };
    const weighted = asArray(r.weightedBackendServices, `${field}.weightedBackendServices`);
    if (weighted.length) {
      this.advanced ??= `${field}.weightedBackendServices`;
      r.weightedBackendServices = weighted.map((w, i) => {
        const wb = asRecord(w, `${field}.weightedBackendServices[${i}]`);
        return { ...wb, backendService: this.service(wb.backendService, `${field}.weightedBackendServices[${i}].backendService`), weight: intIn(wb.weight, `${field}.weightedBackendServices[${i}].weight`, 0, 1000) };
      });
    }
    return r;
  }

  /** Exactly one of service / urlRedirect / routeAction.weightedBackendServices. */
  target(o: Res, field: string, names: { service: string; redirect: string; action: string }, required: boolean): Res {
    const out: Res = {};
    const hasService = o[names.service] !== undefined;
    const hasRedirect = o[names.redirect] !== undefined;
    const action = o[names.action] !== undefined ? this.routeAction(o[names.action], `${field}.${names.action}`) : undefined;
    const hasWeighted = !!action && asArray(action.weightedBackendServices, '').length > 0;
    const count = [hasService, hasRedirect, hasWeighted].filter(Boolean).length;
    if (count > 1) throw err.invalid(field, '', `Only one of ${names.service}, ${names.redirect} or ${names.action}.weightedBackendServices may be set.`);
    if (count === 0 && required) throw err.invalid(field, '', `One of ${names.service}, ${names.redirect} or ${names.action}.weightedBackendServices must be set.`);
    if (hasRedirect && action) throw err.invalid(`${field}.${names.action}`, '', `${names.action} cannot be combined with ${names.redirect}.`);
    if (hasService) out[names.service] = this.service(o[names.service], `${field}.${names.service}`);
    if (hasRedirect) out[names.redirect] = this.redirect(o[names.redirect], `${field}.${names.redirect}`);
    if (action) out[names.action] = action;
    return out;
  }

  matchRule(raw: unknown, field: string): Res {
    const m = asRecord(raw, field);
    const kinds = ['prefixMatch', 'fullPathMatch', 'regexMatch', 'pathTemplateMatch'].filter((k) => m[k] !== undefined);
    if (kinds.length !== 1) throw err.invalid(field, '', 'Exactly one of prefixMatch, fullPathMatch, regexMatch or pathTemplateMatch must be set.');
    for (const k of ['prefixMatch', 'fullPathMatch', 'pathTemplateMatch']) {
      if (m[k] !== undefined && !String(m[k]).startsWith('/')) throw err.invalid(`${field}.${k}`, m[k], "Must start with '/'.");
    }
    if (m.regexMatch !== undefined) {
      try {
        new RegExp(String(m.regexMatch));
      } catch {
        throw err.invalid(`${field}.regexMatch`, m.regexMatch, 'Must be a valid RE2 regular expression.');
      }
    }
    const headers = asArray(m.headerMatches, `${field}.headerMatches`).map((h, i) => {
      const hm = asRecord(h, `${field}.headerMatches[${i}]`);
      if (typeof hm.headerName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(hm.headerName)) throw err.invalid(`${field}.headerMatches[${i}].headerName`, hm.headerName, 'Must be a valid HTTP header name.');
      const how = ['exactMatch', 'prefixMatch', 'suffixMatch', 'regexMatch', 'presentMatch', 'rangeMatch'].filter((k) => hm[k] !== undefined);
      if (how.length !== 1) throw err.invalid(`${field}.headerMatches[${i}]`, '', 'Exactly one of exactMatch, prefixMatch, suffixMatch, regexMatch, presentMatch or rangeMatch must be set.');
      return { ...hm, invertMatch: bool(hm.invertMatch, false) };
    });
    if (headers.length) this.advanced ??= `${field}.headerMatches`;
    if (asArray(m.queryParameterMatches, `${field}.queryParameterMatches`).length) this.advanced ??= `${field}.queryParameterMatches`;
    const out: Res = { ...m, ignoreCase: bool(m.ignoreCase, false) };
    if (headers.length) out.headerMatches = headers;
    return out;
  }

  pathMatcher(raw: unknown, field: string): Res {
    const pm = asRecord(raw, field);
    const name = checkName(pm.name, `${field}.name`);
    const pathRules = asArray(pm.pathRules, `${field}.pathRules`);
    const routeRules = asArray(pm.routeRules, `${field}.routeRules`);
    if (pathRules.length && routeRules.length) throw err.invalid(field, name, 'pathRules and routeRules cannot both be set in one pathMatcher.');
    const out: Res = { ...pm, name, ...this.target(pm, field, { service: 'defaultService', redirect: 'defaultUrlRedirect', action: 'defaultRouteAction' }, true) };
    const seenPaths = new Set<string>();
    if (pathRules.length) {
      out.pathRules = pathRules.map((r, i) => {
        const f = `${field}.pathRules[${i}]`;
        const pr = asRecord(r, f);
        const paths = asArray(pr.paths, `${f}.paths`).map(String);
        if (!paths.length) throw err.required(`${f}.paths`);
        for (const p of paths) {
          if (!p.startsWith('/') || (p.includes('*') && !p.endsWith('/*'))) throw err.invalid(`${f}.paths`, p, "Paths must start with '/' and may only end in '/*'.");
          if (seenPaths.has(p)) throw err.invalid(`${f}.paths`, p, 'Duplicate path in pathMatcher.');
          seenPaths.add(p);
        }
        return { ...pr, paths, ...this.target(pr, f, { service: 'service', redirect: 'urlRedirect', action: 'routeAction' }, true) };
      });
    }
    if (routeRules.length) {
      const priorities = new Set<number>();
      out.routeRules = routeRules.map((r, i) => {
        const f = `${field}.routeRules[${i}]`;
        const rr = asRecord(r, f);
        const priority = intIn(rr.priority, `${f}.priority`, 0, 2147483647);
        if (priorities.has(priority)) throw err.invalid(`${f}.priority`, priority, 'Route rule priorities must be unique within a pathMatcher.');
        priorities.add(priority);
        const matchRules = asArray(rr.matchRules, `${f}.matchRules`).map((m, j) => this.matchRule(m, `${f}.matchRules[${j}]`));
        return { ...rr, priority, ...(matchRules.length ? { matchRules } : {}), ...this.target(rr, f, { service: 'service', redirect: 'urlRedirect', action: 'routeAction' }, true) };
      });
    }
    return out;
  }

  check(input: Res): Res {
    const out: Res = { description: input.description, ...this.target(input, 'resource', { service: 'defaultService', redirect: 'defaultUrlRedirect', action: 'defaultRouteAction' }, true) };
    const matchers = asArray(input.pathMatchers, 'resource.pathMatchers').map((p, i) => this.pathMatcher(p, `resource.pathMatchers[${i}]`));
    const names = new Set<string>();
    for (const m of matchers) {
      if (names.has(String(m.name))) throw err.invalid('resource.pathMatchers', m.name, 'pathMatcher names must be unique.');
      names.add(String(m.name));
    }
    const hosts = new Set<string>();
    const hostRules = asArray(input.hostRules, 'resource.hostRules').map((h, i) => {
      const f = `resource.hostRules[${i}]`;
      const hr = asRecord(h, f);
      const list = asArray(hr.hosts, `${f}.hosts`).map(String);
      if (!list.length) throw err.required(`${f}.hosts`);
      for (const host of list) {
        if (host !== '*' && !isHostname(host.replace(/:\d+$/, ''), true)) throw err.invalid(`${f}.hosts`, host, 'Must be a valid host name, optionally with a leading wildcard.');
        if (hosts.has(host)) throw err.invalid(`${f}.hosts`, host, 'A host can appear in only one hostRule.');
        hosts.add(host);
      }
      if (!names.has(String(hr.pathMatcher))) throw err.invalid(`${f}.pathMatcher`, hr.pathMatcher, 'The pathMatcher does not exist in this URL map.');
      return { ...hr, hosts: list };
    });
    if (hostRules.length) out.hostRules = hostRules;
    if (matchers.length) out.pathMatchers = matchers;
    if (input.tests !== undefined) out.tests = input.tests;
    if (input.headerAction !== undefined) out.headerAction = input.headerAction;
    const schemes = new Set(this.schemes.values());
    if (schemes.size > 1) throw err.badRequest(`A URL map cannot reference backend services with different load balancing schemes (${[...schemes].sort().join(', ')}).`, 'invalid');
    if (this.advanced && schemes.has('EXTERNAL')) {
      throw err.invalid(this.advanced, '', 'Advanced routing (header and query parameter matches, weighted backend services) is not supported for load balancing scheme EXTERNAL; use EXTERNAL_MANAGED backend services.');
    }
    return out;
  }
}

export const urlMaps = defineKind({
  plural: 'urlMaps',
  kind: 'compute#urlMap',
  listKind: 'compute#urlMapList',
  scope: 'global',
  noun: 'url_map',
  fingerprint: true,
  patch: true,
  update: true,
  quota: () => ({ scope: 'global', metric: 'URL_MAPS' }),
  build(input, a) {
    return new UrlMapChecker(a.ctx, a.loc).check(input);
  },
});

/** The load balancing scheme of the backend services a URL map sends to (one by construction). */
export function urlMapScheme(ctx: EmulatorContext, urlMap: Res): string | undefined {
  const links = JSON.stringify(urlMap).match(/compute:\/\/projects\/[^"]+\/global\/backendServices\/[^"]+/g) ?? [];
  for (const l of links) {
    const bs = collectionFor(ctx, 'backendServices').peek(l.slice('compute://'.length));
    if (bs?.loadBalancingScheme) return String(bs.loadBalancingScheme);
  }
  return undefined;
}

export function urlMapRoutes(): Route[] {
  const item = itemPath(urlMaps);
  return [
    ...crudRoutes(urlMaps),
    actionRoute(urlMaps, `${item}/invalidateCache`, 'invalidateCache', (cur, body, a) => {
      const path = String(body.path ?? '/*');
      if (!path.startsWith('/')) throw err.invalid('path', path, "Must start with '/'.");
      return urlMaps.build(userFields(urlMaps, cur), a);
    }),
    {
      method: 'POST', path: `${item}/validate`, style: 'compute', api: 'compute',
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const body = asRecord(req.body, 'body');
        try {
          new UrlMapChecker(ctx, loc).check(asRecord(body.resource, 'resource'));
          return { body: { result: { loadSucceeded: true, testPassed: true } } };
        } catch (e) {
          if (e instanceof EmuError) return { body: { result: { loadSucceeded: false, loadErrors: [e.message] } } };
          throw e;
        }
      },
    },
  ];
}

