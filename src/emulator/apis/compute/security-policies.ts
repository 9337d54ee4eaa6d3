import type { EmuRequest, Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { link, resourceKey } from './shared/links.js';
import { renderOperation, startOperation } from './shared/operations.js';
import { actionRoute, collectionFor, crudRoutes, defineKind, itemPath, locOf, mergePatch, userFields, type BuildArgs, type Res } from './shared/resource.js';
import { asArray, asRecord, bodyOf, bool, intIn, oneOf } from './shared/validate.js';

const DEFAULT_PRIORITY = 2147483647;
const INTERVALS = [10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600];
const BAN_DURATIONS = [60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600];
const ACTION = /^(allow|deny|deny\((403|404|502)\)|redirect|rate_based_ban|throttle)$/;
const EXCEED_ACTION = /^(deny\((403|404|429|502)\)|redirect)$/;
/** Cloud Armor preconfigured WAF rule sets (stable and canary, current and v33 names). */
const WAF_SETS = [
  'sqli', 'xss', 'lfi', 'rfi', 'rce', 'methodenforcement', 'scannerdetection', 'protocolattack', 'php', 'sessionfixation', 'java', 'nodejs',
].flatMap((s) => [`${s}-stable`, `${s}-canary`, `${s}-v33-stable`, `${s}-v33-canary`]).concat(['cve-canary', 'json-sqli-canary']);

function checkExpression(expr: string, field: string): void {
  if (!expr.trim()) throw err.required(field);
  let depth = 0;
  let quote: string | undefined;
  for (const ch of expr) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) break;
  }
  if (depth !== 0 || quote) throw err.invalid(field, expr, 'The expression does not parse: unbalanced parentheses or quotes.');
  for (const m of expr.matchAll(/evaluatePreconfigured(?:Expr|Waf)\(\s*['"]([^'"]+)['"]/g)) {
    if (!WAF_SETS.includes(m[1]!)) throw err.invalid(field, expr, `Unknown preconfigured expression set '${m[1]}'.`);
  }
}

function ruleOf(raw: unknown, field: string): Res {
  const r = asRecord(raw, field);
  const priority = intIn(r.priority, `${field}.priority`, 0, DEFAULT_PRIORITY);
  const action = String(r.action ?? '');
  if (!ACTION.test(action)) throw err.invalid(`${field}.action`, action, 'Must be allow, deny, deny(403|404|502), redirect, rate_based_ban or throttle.');
  const match = asRecord(r.match, `${field}.match`);
  const hasVersioned = match.versionedExpr !== undefined;
  const hasExpr = match.expr !== undefined;
  if (hasVersioned === hasExpr) throw err.invalid(`${field}.match`, '', 'Exactly one of versionedExpr (with config) or expr must be set.');
  const outMatch: Res = {};
  if (hasVersioned) {
    oneOf(match.versionedExpr, `${field}.match.versionedExpr`, ['SRC_IPS_V1']);
    const ranges = asArray(asRecord(match.config, `${field}.match.config`).srcIpRanges, `${field}.match.config.srcIpRanges`).map(String);
    if (ranges.length === 0) throw err.invalid(`${field}.match.config.srcIpRanges`, '', 'At least one source IP range must be specified.');
    if (ranges.length > 10) throw err.invalid(`${field}.match.config.srcIpRanges`, ranges.length, 'At most 10 source IP ranges per rule.');
    for (const ip of ranges) if (ip !== '*' && !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(ip)) throw err.invalid(`${field}.match.config.srcIpRanges`, ip, "Must be '*' or an IP address or range.");
    outMatch.versionedExpr = 'SRC_IPS_V1';
    outMatch.config = { srcIpRanges: ranges };
  } else {
    const expr = asRecord(match.expr, `${field}.match.expr`);
    checkExpression(String(expr.expression ?? ''), `${field}.match.expr.expression`);
    outMatch.expr = expr;
  }
  if (match.exprOptions !== undefined) outMatch.exprOptions = match.exprOptions;
  const out: Res = { kind: 'compute#securityPolicyRule', description: r.description, priority, action, match: outMatch, preview: bool(r.preview, false) };
  const rated = action === 'rate_based_ban' || action === 'throttle';
  if (rated !== (r.rateLimitOptions !== undefined)) {
    throw err.invalid(`${field}.rateLimitOptions`, '', rated ? `rateLimitOptions is required for action ${action}.` : 'rateLimitOptions can only be set for rate_based_ban or throttle rules.');
  }
  if (rated) {
    const f = `${field}.rateLimitOptions`;
    const o = asRecord(r.rateLimitOptions, f);
    const t = asRecord(o.rateLimitThreshold, `${f}.rateLimitThreshold`);
    const interval = intIn(t.intervalSec, `${f}.rateLimitThreshold.intervalSec`, 10, 3600);
    if (!INTERVALS.includes(interval)) throw err.invalid(`${f}.rateLimitThreshold.intervalSec`, interval, `Must be one of [${INTERVALS.join(', ')}].`);
    const exceed = String(o.exceedAction ?? '');
    if (!EXCEED_ACTION.test(exceed)) throw err.invalid(`${f}.exceedAction`, exceed, 'Must be deny(403|404|429|502) or redirect.');
    const opts: Res = {
      ...o,
      conformAction: oneOf(o.conformAction, `${f}.conformAction`, ['allow']),
      exceedAction: exceed,
      enforceOnKey: oneOf(o.enforceOnKey, `${f}.enforceOnKey`, ['ALL', 'IP', 'HTTP_HEADER', 'XFF_IP', 'HTTP_COOKIE', 'HTTP_PATH', 'SNI', 'REGION_CODE', 'TLS_JA3_FINGERPRINT', 'TLS_JA4_FINGERPRINT', 'USER_IP'], 'ALL'),
      rateLimitThreshold: { count: intIn(t.count, `${f}.rateLimitThreshold.count`, 1, 1000000000), intervalSec: interval },
    };
    if (o.banDurationSec !== undefined) {
      if (action !== 'rate_based_ban') throw err.invalid(`${f}.banDurationSec`, o.banDurationSec, 'banDurationSec can only be set for rate_based_ban rules.');
      const ban = intIn(o.banDurationSec, `${f}.banDurationSec`, 60, 3600);
      if (!BAN_DURATIONS.includes(ban)) throw err.invalid(`${f}.banDurationSec`, ban, `Must be one of [${BAN_DURATIONS.join(', ')}].`);
      opts.banDurationSec = ban;
    }
    out.rateLimitOptions = opts;
  }
  if (r.preconfiguredWafConfig !== undefined) {
    const waf = asRecord(r.preconfiguredWafConfig, `${field}.preconfiguredWafConfig`);
    asArray(waf.exclusions, `${field}.preconfiguredWafConfig.exclusions`).forEach((e, i) => {
      const set = asRecord(e, `${field}.preconfiguredWafConfig.exclusions[${i}]`).targetRuleSet;
      if (!WAF_SETS.includes(String(set))) throw err.invalid(`${field}.preconfiguredWafConfig.exclusions[${i}].targetRuleSet`, set, 'Unknown preconfigured rule set.');
    });
    out.preconfiguredWafConfig = waf;
  }
  for (const k of ['headerAction', 'redirectOptions']) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

function rulesOf(list: unknown[], a: BuildArgs): Res[] {
  const rules = list.map((r, i) => ruleOf(r, `resource.rules[${i}]`));
  const seen = new Set<number>();
  for (const r of rules) {
    if (seen.has(Number(r.priority))) throw err.invalid('resource.rules', r.priority, 'Cannot have rules with the same priorities.');
    seen.add(Number(r.priority));
  }
  let dflt = rules.find((r) => r.priority === DEFAULT_PRIORITY);
  if (!dflt) {
    dflt = { kind: 'compute#securityPolicyRule', description: 'default rule', priority: DEFAULT_PRIORITY, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } }, preview: false };
    rules.push(dflt);
  }
  const m = dflt.match as Res;
  if (m.versionedExpr !== 'SRC_IPS_V1' || JSON.stringify((m.config as Res).srcIpRanges) !== '["*"]') {
    throw err.invalid('resource.rules', DEFAULT_PRIORITY, "The default rule (priority 2147483647) must match all traffic: versionedExpr SRC_IPS_V1 with srcIpRanges ['*'].");
  }
  // SECURITY_POLICY_RULES counts rules across every policy of the project.
  const others = collectionFor(a.ctx, 'securityPolicies')
    .peekAll(`projects/${a.loc.project}/global/`)
    .filter((p) => p.selfLink !== link(a.key))
    .reduce((n, p) => n + ((p.rules as unknown[] | undefined)?.length ?? 0), 0);
  if (others + rules.length > a.ctx.quotas.limit('global', 'SECURITY_POLICY_RULES')) {
    a.ctx.quotas.ensure('compute', { scope: 'global', metric: 'SECURITY_POLICY_RULES', amount: others + rules.length });
  }
  return rules.sort((a, b) => Number(a.priority) - Number(b.priority));
}

export const securityPolicies = defineKind({
  plural: 'securityPolicies',
  kind: 'compute#securityPolicy',
  listKind: 'compute#securityPolicyList',
  scope: 'global',
  noun: 'security_policy',
  fingerprint: true,
  labels: true,
  patch: true,
  quota: () => ({ scope: 'global', metric: 'SECURITY_POLICIES' }),
  build(input, a) {
    const type = oneOf(input.type, 'resource.type', ['CLOUD_ARMOR', 'CLOUD_ARMOR_EDGE', 'CLOUD_ARMOR_NETWORK'], 'CLOUD_ARMOR');
    if (a.prev && (a.prev.type ?? 'CLOUD_ARMOR') !== type) throw err.invalid('resource.type', type, 'The type of a security policy cannot be changed.');
    // Rules change only through addRule / patchRule / removeRule; patch and update keep them.
    const rules = a.prev && a.mode !== 'set' ? (a.prev.rules as Res[]) : rulesOf(asArray(input.rules, 'resource.rules'), a);
    const out: Res = { description: input.description, type, rules };
    if (input.adaptiveProtectionConfig !== undefined) {
      if (type !== 'CLOUD_ARMOR') throw err.invalid('resource.adaptiveProtectionConfig', '', 'Adaptive Protection is available for CLOUD_ARMOR policies only.');
      const apc = asRecord(input.adaptiveProtectionConfig, 'resource.adaptiveProtectionConfig');
      const l7 = asRecord(apc.layer7DdosDefenseConfig, 'resource.adaptiveProtectionConfig.layer7DdosDefenseConfig');
      out.adaptiveProtectionConfig = {
        ...apc,
        layer7DdosDefenseConfig: { ...l7, enable: bool(l7.enable, false), ruleVisibility: oneOf(l7.ruleVisibility, 'resource.adaptiveProtectionConfig.layer7DdosDefenseConfig.ruleVisibility', ['STANDARD', 'PREMIUM'], 'STANDARD') },
      };
    }
    for (const k of ['advancedOptionsConfig', 'recaptchaOptionsConfig', 'ddosProtectionConfig', 'userDefinedFields']) if (input[k] !== undefined) out[k] = input[k];
    return out;
  },
});

function priorityParam(req: EmuRequest): number {
  const raw = req.query.get('priority');
  return intIn(raw ?? 0, 'priority', 0, DEFAULT_PRIORITY);
}

function withRules(cur: Res, a: BuildArgs, edit: (rules: Res[]) => Res[]): Res {
  const rules = edit(structuredClone((cur.rules as Res[]) ?? []));
  return securityPolicies.build({ ...userFields(securityPolicies, cur), rules }, a);
}

export function securityPolicyRoutes(): Route[] {
  const item = itemPath(securityPolicies);
  const validateOnly = (req: EmuRequest) => req.query.get('validateOnly') === 'true';
  const ruleRoute = (verb: string, edit: (rules: Res[], body: Res, req: EmuRequest) => Res[]): Route => {
    const route = actionRoute(securityPolicies, `${item}/${verb}`, verb, (cur, body, a, req) => withRules(cur, a, (rules) => edit(rules, body, req)));
    return {
      ...route,
      handler: (req, ctx) => {
        if (!validateOnly(req)) return route.handler(req, ctx);
        // validateOnly: run every check on the edited policy, store nothing.
        const loc = locOf(req, ctx);
        const key = resourceKey(loc.project, undefined, 'securityPolicies', req.params.name!);
        const cur = collectionFor(ctx, 'securityPolicies').peek(key);
        if (!cur) throw err.notFound(key);
        withRules(cur, { ctx, loc, key, prev: cur, mode: 'set' }, (rules) => edit(rules, bodyOf(req.body), req));
        return { body: renderOperation(ctx, startOperation(ctx, { project: loc.project, operationType: verb, targetKey: key, targetId: String(cur.id), baseMs: 0 })) };
      },
    };
  };
  return [
    ...crudRoutes(securityPolicies),
    ruleRoute('addRule', (rules, body) => {
      const priority = Number(body.priority ?? 0);
      if (rules.some((r) => r.priority === priority)) throw err.invalid('securityPolicyRule.priority', priority, 'Cannot have rules with the same priorities.');
      return [...rules, { ...body, priority }];
    }),
    ruleRoute('patchRule', (rules, body, req) => {
      const priority = priorityParam(req);
      const idx = rules.findIndex((r) => r.priority === priority);
      if (idx < 0) throw err.invalid('priority', priority, `The security policy has no rule with priority ${priority}.`);
      const { kind: _k, ...old } = rules[idx]!;
      const next = mergePatch(old, body) as Res;
      if (next.action !== 'rate_based_ban' && next.action !== 'throttle' && body.rateLimitOptions === undefined) delete next.rateLimitOptions;
      if (next.priority !== priority && rules.some((r) => r.priority === next.priority)) throw err.invalid('securityPolicyRule.priority', next.priority, 'Cannot have rules with the same priorities.');
      rules[idx] = next;
      return rules;
    }),
    ruleRoute('removeRule', (rules, _body, req) => {
      const priority = priorityParam(req);
      if (priority === DEFAULT_PRIORITY) throw err.invalid('priority', priority, 'The default rule cannot be removed.');
      if (!rules.some((r) => r.priority === priority)) throw err.invalid('priority', priority, `The security policy has no rule with priority ${priority}.`);
      return rules.filter((r) => r.priority !== priority);
    }),
    {
      method: 'GET', path: `${item}/getRule`, style: 'compute', api: 'compute',
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const key = resourceKey(loc.project, undefined, 'securityPolicies', req.params.name!);
        const cur = collectionFor(ctx, 'securityPolicies').get(key);
        if (!cur) throw err.notFound(key);
        const priority = priorityParam(req);
        const rule = ((cur.rules as Res[]) ?? []).find((r) => r.priority === priority);
        if (!rule) throw err.invalid('priority', priority, `The security policy has no rule with priority ${priority}.`);
        return { body: rule };
      },
    },
    {
      method: 'GET', path: '/compute/v1/projects/{project}/global/securityPolicies/listPreconfiguredExpressionSets', style: 'compute', api: 'compute',
      handler: () => ({
        body: {
          preconfiguredExpressionSets: {
            wafRules: { expressionSets: WAF_SETS.map((id) => ({ id, aliases: id.endsWith('-stable') ? [id.replace(/-stable$/, '-v33-stable')] : [] })) },
          },
        },
      }),
    },
  ];
}

