/**
 * Cloud Armor security policies enforced locally. Rules are evaluated in priority order
 * (lowest number first) and the first match decides, as in Cloud Armor: allow, deny(N),
 * throttle and rate_based_ban (per key counts over rateLimitThreshold.intervalSec; over the
 * threshold the exceedAction answers, and a rate_based_ban also bans the key for
 * banDurationSec once it passes banThreshold, or rateLimitThreshold when no banThreshold is
 * set). Rules in preview are evaluated and reported but not enforced. Windows and bans run
 * on real seconds: they are a contract with the client, not GCP pacing.
 */
import { compileExpr, type CompiledExpr, type ExprRequest } from './expr.js';
import { ipInRange } from './ip.js';

export interface ArmorRule {
  priority?: number;
  action?: string;
  preview?: boolean;
  description?: string;
  match?: { versionedExpr?: string; config?: { srcIpRanges?: string[] }; expr?: { expression?: string } };
  rateLimitOptions?: {
    conformAction?: string;
    exceedAction?: string;
    enforceOnKey?: string;
    enforceOnKeyName?: string;
    rateLimitThreshold?: { count?: number; intervalSec?: number };
    banThreshold?: { count?: number; intervalSec?: number };
    banDurationSec?: number;
  };
}

export interface ArmorPolicy {
  name?: string;
  selfLink?: string;
  rules?: ArmorRule[];
}

export type ArmorVerdict = { allow: true; rule?: number } | { allow: false; status: number; rule: number; reason: string };

interface Window {
  start: number;
  count: number;
}

export class ArmorEnforcer {
  private readonly compiled = new Map<string, CompiledExpr | Error>();
  private readonly windows = new Map<string, Window>();
  private readonly banWindows = new Map<string, Window>();
  private readonly bans = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(private readonly log: (m: string) => void = () => {}) {}

  evaluate(policy: ArmorPolicy, req: ExprRequest, now = Date.now()): ArmorVerdict {
    const rules = [...(policy.rules ?? [])].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    for (const rule of rules) {
      if (!this.matches(rule, req)) continue;
      const priority = rule.priority ?? 0;
      const verdict = this.apply(policy, rule, req, now);
      if (rule.preview) {
        if (!verdict.allow) this.log(`armor ${policy.name}: rule ${priority} (preview) would answer ${verdict.status} to ${req.ip}`);
        continue;
      }
      return verdict;
    }
    return { allow: true };
  }

  /** Forget counters and bans (a new world). */
  clear(): void {
    this.windows.clear();
    this.banWindows.clear();
    this.bans.clear();
  }

  private matches(rule: ArmorRule, req: ExprRequest): boolean {
    const m = rule.match ?? {};
    if (m.versionedExpr === 'SRC_IPS_V1') return (m.config?.srcIpRanges ?? []).some((r) => ipInRange(req.ip, r));
    const src = m.expr?.expression;
    if (!src) return false;
    let fn = this.compiled.get(src);
    if (!fn) {
      try {
        fn = compileExpr(src);
      } catch (e) {
        fn = e instanceof Error ? e : new Error(String(e));
      }
      this.compiled.set(src, fn);
    }
    if (fn instanceof Error) {
      if (!this.warned.has(src)) {
        this.warned.add(src);
        this.log(`armor: expression not supported locally, the rule never matches: ${src} (${fn.message})`);
      }
      return false;
    }
    return fn(req);
  }

  private apply(policy: ArmorPolicy, rule: ArmorRule, req: ExprRequest, now: number): ArmorVerdict {
    const priority = rule.priority ?? 0;
    const action = rule.action ?? 'allow';
    if (action === 'throttle' || action === 'rate_based_ban') return this.rateLimit(policy, rule, req, now);
    return decide(action, priority, `rule ${priority}${rule.description ? ` (${rule.description})` : ''}`);
  }

  private rateLimit(policy: ArmorPolicy, rule: ArmorRule, req: ExprRequest, now: number): ArmorVerdict {
    const o = rule.rateLimitOptions ?? {};
    const priority = rule.priority ?? 0;
    const key = `${policy.selfLink ?? policy.name}\u0000${priority}\u0000${enforceKey(o.enforceOnKey, o.enforceOnKeyName, req)}`;
    const exceed = o.exceedAction ?? 'deny(429)';
    const why = `rate limit, rule ${priority}`;
    const bannedUntil = this.bans.get(key);
    if (bannedUntil !== undefined) {
      if (bannedUntil > now) return decide(exceed, priority, `${why}: banned`);
      this.bans.delete(key);
    }
    const over = bump(this.windows, key, o.rateLimitThreshold, now);
    if (rule.action === 'rate_based_ban') {
      const banOver = o.banThreshold ? bump(this.banWindows, key, o.banThreshold, now) : over;
      if (banOver) {
        this.bans.set(key, now + (o.banDurationSec ?? 0) * 1000);
        return decide(exceed, priority, `${why}: banned for ${o.banDurationSec ?? 0}s`);
      }
    }
    if (over) return decide(exceed, priority, why);
    return decide(o.conformAction ?? 'allow', priority, why);
  }
}

/** Counts one request in the key's fixed window; true when the window's count is now over the threshold. */
function bump(windows: Map<string, Window>, key: string, t: { count?: number; intervalSec?: number } | undefined, now: number): boolean {
  const count = t?.count ?? Number.POSITIVE_INFINITY;
  const interval = (t?.intervalSec ?? 60) * 1000;
  let w = windows.get(key);
  if (!w || now - w.start >= interval) {
    w = { start: now, count: 0 };
    windows.set(key, w);
  }
  w.count += 1;
  return w.count > count;
}

function enforceKey(kind: string | undefined, name: string | undefined, req: ExprRequest): string {
  switch (kind ?? 'IP') {
    case 'ALL':
      return '*';
    case 'HTTP_HEADER':
      return `h:${req.headers[(name ?? '').toLowerCase()] ?? ''}`;
    case 'XFF_IP':
      return `x:${(req.headers['x-forwarded-for'] ?? req.ip).split(',')[0]!.trim()}`;
    case 'HTTP_PATH':
      return `p:${req.path}`;
    case 'REGION_CODE':
      return `r:${req.regionCode}`;
    default:
      return `ip:${req.ip}`;
  }
}

function decide(action: string, rule: number, reason: string): ArmorVerdict {
  if (action === 'allow') return { allow: true, rule };
  const m = /^deny\((\d{3})\)$/.exec(action);
  if (m) return { allow: false, status: Number(m[1]), rule, reason };
  if (action === 'deny') return { allow: false, status: 403, rule, reason };
  // redirect (reCAPTCHA / external) has no local counterpart: let the request through.
  return { allow: true, rule };
}
