/**
 * Live objects as the providers read them (REST JSON shape, same as the plan sees), fetched
 * at most once per verify run however many checks ask.
 */
import type { Observed, Resource } from '../engine/types.js';
import type { Session } from '../engine/session.js';
import { withRetry } from '../engine/retry.js';
import { lastSegment } from '../util/resource-name.js';

type Obj = Record<string, unknown>;

/** Compute link (full URL or relative) -> kind and canonical name `projects/...`. */
const COMPUTE_KINDS: Record<string, string> = {
  forwardingRules: 'compute.GlobalForwardingRule',
  targetHttpsProxies: 'compute.TargetHttpsProxy',
  targetHttpProxies: 'compute.TargetHttpProxy',
  urlMaps: 'compute.UrlMap',
  backendServices: 'compute.BackendService',
  networkEndpointGroups: 'compute.RegionNetworkEndpointGroup',
  securityPolicies: 'compute.SecurityPolicy',
  sslCertificates: 'compute.SslCertificate',
  sslPolicies: 'compute.SslPolicy',
};

export function computeRef(link: string): { kind: string; name: string; region?: string } | undefined {
  const name = link.replace(/^https?:\/\/[^/]+\/compute\/(v1|beta)\//, '');
  const parts = name.split('/');
  const kind = COMPUTE_KINDS[parts[parts.length - 2] ?? ''];
  if (!kind || parts[0] !== 'projects') return undefined;
  return { kind, name, region: parts[2] === 'regions' ? parts[3] : undefined };
}


/**
 * One API read for a check, retried like the engine's reads when the error is transient (a
 * connection reset, 429, 503): a kept-alive connection closed by the far end as the request
 * went out is the network, not the resource, and must not fail a region. Fewer attempts than
 * the engine makes, because each check runs under its own deadline.
 */
export function readWithRetry<T>(session: Session, what: string, read: () => Promise<T>): Promise<T> {
  return withRetry(read, { ...session.timing.backoff, maxAttempts: 4 }, { onRetry: (c, attempt, delayMs) => session.onReadRetry?.(what, c, attempt, delayMs) });
}

export class Live {
  private cache = new Map<string, Promise<Observed | undefined>>();

  constructor(readonly session: Session) {}

  get(r: Pick<Resource, 'kind' | 'name' | 'region'>): Promise<Observed | undefined> {
    let p = this.cache.get(r.name);
    if (!p) {
      const provider = this.session.registry.get(r.kind);
      if (!provider) return Promise.reject(new Error(`no provider for ${r.kind}`));
      p = readWithRetry(this.session, `reading ${r.kind} ${lastSegment(r.name)}`, () => provider.get(this.session.ctx, r));
      this.cache.set(r.name, p);
    }
    return p;
  }

  /**
   * Reads these objects now, concurrently, waiting at most boundMs. The first call through each
   * client library loads and compiles its protos — seconds of CPU on a busy machine — which
   * is this process starting, not the resource answering: done before the checks' deadlines
   * start, a short --timeout measures the resources. A read still pending after boundMs stays
   * cached, and the check that awaits it does so under its own deadline.
   */
  async prefetch(resources: Pick<Resource, 'kind' | 'name' | 'region'>[], boundMs: number): Promise<void> {
    const reads = resources.filter((r) => this.session.registry.get(r.kind)).map((r) => this.get(r).catch(() => undefined));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(reads), new Promise((resolve) => (timer = setTimeout(resolve, boundMs)))]);
    clearTimeout(timer);
  }

  /** The live object a compute link names. */
  async link(link: string): Promise<{ ref: { kind: string; name: string; region?: string }; observed?: Observed } | undefined> {
    const ref = computeRef(link);
    if (!ref) return undefined;
    return { ref, observed: await this.get(ref) };
  }

  /** Desired resources of a kind (for the selected regions). */
  desired(kind: string, region?: string): Resource[] {
    return this.session.desired.filter((r) => r.kind === kind && (region === undefined || (r.region ?? r.homeRegion) === region));
  }

  /** A field of a live object (dotted path), for `${ref:...}` in desired specs. */
  async field(name: string, path: string): Promise<string | undefined> {
    const d = this.session.all.find((r) => r.name === name);
    if (!d) return undefined;
    const o = await this.get(d);
    const v = path.split('.').reduce<unknown>((cur, k) => (cur && typeof cur === 'object' ? (cur as Obj)[k] : undefined), o?.raw);
    return v === undefined || v === null ? undefined : String(v);
  }
}
