/**
 * Compute Engine kinds. One table drives them all: which client, which body field, how to
 * list (aggregatedList covers every region in one call), how each field changes in place
 * (PATCH with the fingerprint echoed, or a dedicated set* method), and what needs replace.
 */
import { NO_RETRY } from './call-options.js';
import { waitComputeOp, type ComputeClients, type ComputeOp } from './compute-ops.js';
import { classify, isNotFound } from '../gcp/errors.js';
import { fromClient, toClient } from '../gcp/proto.js';
import type { FieldChange, Observed, Resource } from '../engine/types.js';
import { diffFields, pick, topOf } from './diff.js';
import { eachItem, labelsOf, lastSegment, ownerOf, regionFromName, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

type Reply<T> = Promise<[T, ...unknown[]]>;
interface LroReply {
  latestResponse: ComputeOp;
}
/** The slice of a generated Compute client this module calls (methods vary per kind). */
interface ComputeClient {
  get(req: Obj): Reply<Obj>;
  insert(req: Obj): Reply<LroReply>;
  delete(req: Obj): Reply<LroReply>;
  patch?(req: Obj): Reply<LroReply>;
  listAsync?(req: Obj, opts?: Obj): AsyncIterable<Obj>;
  aggregatedListAsync?(req: Obj, opts?: Obj): AsyncIterable<[string, Obj]>;
  [method: string]: unknown;
}

type Setter = (ctx: ProviderContext, c: ComputeClient, ids: Obj, r: Resource, o: Observed) => Promise<ComputeOp>;

interface ComputeKind {
  kind: string;
  client: keyof ComputeClients;
  /** Client used for aggregatedList when it differs (regional NEGs list through NetworkEndpointGroups). */
  aggregatedClient?: keyof ComputeClients;
  type: string;
  resourceField: string;
  idField: string;
  scope: 'global' | 'regional';
  /** Key of the scoped list inside aggregatedList items. */
  aggregatedKey?: string;
  patch?: boolean;
  fingerprint?: boolean;
  labels?: boolean;
  /** Top-level fields changed through a dedicated method instead of PATCH. */
  setters?: Record<string, Setter>;
  createSeconds?: number;
  unordered?: string[];
  keyed?: Record<string, string>;
  /** Fields insert does not apply (GCE ignores them there): set right after the insert. */
  postCreate?: string[];
}

/** Async iterators page by themselves; saying so keeps gax from warning on stderr. */
const NO_AUTOPAGE = NO_RETRY;

const T = (t: string): string => `google.cloud.compute.v1.${t}`;

async function call<R>(c: ComputeClient, method: string, req: Obj): Promise<R> {
  const fn = c[method] as ((r: Obj, o: Obj) => Promise<[R, ...unknown[]]>) | undefined;
  if (typeof fn !== 'function') throw new Error(`compute client has no ${method}`);
  const [res] = await fn.call(c, req, NO_RETRY);
  return res;
}

const lro = async (c: ComputeClient, method: string, req: Obj): Promise<ComputeOp> => (await call<LroReply>(c, method, req)).latestResponse;

const setRef = (method: string, bodyField: string, refField: string, idField: string): Setter =>
  (ctx, c, ids, r) => lro(c, method, { ...ids, [idField]: ids[idField], [bodyField]: { [refField]: r.spec[refField] } });

const KINDS: ComputeKind[] = [
  { kind: 'compute.Network', client: 'NetworksClient', type: 'Network', resourceField: 'networkResource', idField: 'network', scope: 'global', patch: true, createSeconds: 10 },
  {
    kind: 'compute.Subnetwork', client: 'SubnetworksClient', type: 'Subnetwork', resourceField: 'subnetworkResource', idField: 'subnetwork',
    scope: 'regional', aggregatedKey: 'subnetworks', patch: true, fingerprint: true, createSeconds: 10,
  },
  { kind: 'compute.Router', client: 'RoutersClient', type: 'Router', resourceField: 'routerResource', idField: 'router', scope: 'regional', aggregatedKey: 'routers', patch: true, createSeconds: 5 },
  { kind: 'compute.Firewall', client: 'FirewallsClient', type: 'Firewall', resourceField: 'firewallResource', idField: 'firewall', scope: 'global', patch: true, createSeconds: 5 },
  { kind: 'compute.GlobalAddress', client: 'GlobalAddressesClient', type: 'Address', resourceField: 'addressResource', idField: 'address', scope: 'global', labels: true, createSeconds: 5 },
  {
    kind: 'compute.RegionNetworkEndpointGroup', client: 'RegionNetworkEndpointGroupsClient', aggregatedClient: 'NetworkEndpointGroupsClient',
    type: 'NetworkEndpointGroup', resourceField: 'networkEndpointGroupResource', idField: 'networkEndpointGroup', scope: 'regional',
    aggregatedKey: 'networkEndpointGroups', createSeconds: 5,
  },
  { kind: 'compute.HealthCheck', client: 'HealthChecksClient', type: 'HealthCheck', resourceField: 'healthCheckResource', idField: 'healthCheck', scope: 'global', patch: true, createSeconds: 5 },
  {
    kind: 'compute.SecurityPolicy', client: 'SecurityPoliciesClient', type: 'SecurityPolicy', resourceField: 'securityPolicyResource', idField: 'securityPolicy',
    scope: 'global', patch: true, fingerprint: true, createSeconds: 10, keyed: { rules: 'priority' }, setters: { rules: syncArmorRules },
  },
  {
    kind: 'compute.BackendService', client: 'BackendServicesClient', type: 'BackendService', resourceField: 'backendServiceResource', idField: 'backendService',
    scope: 'global', patch: true, fingerprint: true, createSeconds: 10,
    setters: { securityPolicy: setRef('setSecurityPolicy', 'securityPolicyReferenceResource', 'securityPolicy', 'backendService') },
    postCreate: ['securityPolicy'],
  },
  { kind: 'compute.UrlMap', client: 'UrlMapsClient', type: 'UrlMap', resourceField: 'urlMapResource', idField: 'urlMap', scope: 'global', patch: true, fingerprint: true, createSeconds: 5 },
  { kind: 'compute.SslCertificate', client: 'SslCertificatesClient', type: 'SslCertificate', resourceField: 'sslCertificateResource', idField: 'sslCertificate', scope: 'global', createSeconds: 5 },
  { kind: 'compute.SslPolicy', client: 'SslPoliciesClient', type: 'SslPolicy', resourceField: 'sslPolicyResource', idField: 'sslPolicy', scope: 'global', patch: true, fingerprint: true, createSeconds: 5 },
  {
    kind: 'compute.TargetHttpsProxy', client: 'TargetHttpsProxiesClient', type: 'TargetHttpsProxy', resourceField: 'targetHttpsProxyResource', idField: 'targetHttpsProxy',
    scope: 'global', createSeconds: 5,
    setters: {
      urlMap: setRef('setUrlMap', 'urlMapReferenceResource', 'urlMap', 'targetHttpsProxy'),
      sslPolicy: setRef('setSslPolicy', 'sslPolicyReferenceResource', 'sslPolicy', 'targetHttpsProxy'),
      sslCertificates: (ctx, c, ids, r) =>
        lro(c, 'setSslCertificates', { ...ids, targetHttpsProxiesSetSslCertificatesRequestResource: { sslCertificates: r.spec.sslCertificates } }),
    },
  },
  {
    kind: 'compute.TargetHttpProxy', client: 'TargetHttpProxiesClient', type: 'TargetHttpProxy', resourceField: 'targetHttpProxyResource', idField: 'targetHttpProxy',
    scope: 'global', createSeconds: 5, setters: { urlMap: setRef('setUrlMap', 'urlMapReferenceResource', 'urlMap', 'targetHttpProxy') },
  },
  {
    kind: 'compute.GlobalForwardingRule', client: 'GlobalForwardingRulesClient', type: 'ForwardingRule', resourceField: 'forwardingRuleResource', idField: 'forwardingRule',
    scope: 'global', labels: true, createSeconds: 10, setters: { target: setRef('setTarget', 'targetReferenceResource', 'target', 'forwardingRule') },
  },
];

/** Cloud Armor rules change one by one (addRule / patchRule / removeRule), keyed by priority. */
async function syncArmorRules(ctx: ProviderContext, c: ComputeClient, ids: Obj, r: Resource, o: Observed): Promise<ComputeOp> {
  const want = (r.spec.rules as Obj[] | undefined) ?? [];
  const have = (o.raw.rules as Obj[] | undefined) ?? [];
  const key = (x: Obj): string => String(x.priority ?? '');
  const haveBy = new Map(have.map((x) => [key(x), x]));
  const wantBy = new Map(want.map((x) => [key(x), x]));
  let last: ComputeOp | undefined;
  for (const w of want) {
    const h = haveBy.get(key(w));
    const body = toClient('compute', T('SecurityPolicyRule'), w);
    if (!h) last = await lro(c, 'addRule', { ...ids, securityPolicyRuleResource: body });
    else if (diffFields(w, h).length) last = await lro(c, 'patchRule', { ...ids, priority: Number(w.priority), securityPolicyRuleResource: body });
    if (last) await waitComputeOp(ctx, last, undefined);
    last = undefined;
  }
  for (const h of have) {
    // The default rule (max priority) cannot be removed; it is always patched instead.
    if (!wantBy.has(key(h)) && Number(h.priority) !== 2147483647) {
      await waitComputeOp(ctx, await lro(c, 'removeRule', { ...ids, priority: Number(h.priority) }), undefined);
    }
  }
  return { status: 'DONE' };
}

function idsFor(k: ComputeKind, ctx: ProviderContext, name: string, region?: string): Obj {
  return { project: ctx.project, ...(k.scope === 'regional' ? { region: region ?? regionFromName(name) } : {}), [k.idField]: lastSegment(name) };
}

function observedFrom(k: ComputeKind, ctx: ProviderContext, obj: Obj): Observed {
  const raw = fromClient('compute', T(k.type), obj);
  const id = String(raw.name ?? '');
  const region = k.scope === 'regional' ? lastSegment(String(raw.region ?? '')) : undefined;
  const name = region ? `projects/${ctx.project}/regions/${region}/${collection(k)}/${id}` : `projects/${ctx.project}/global/${collection(k)}/${id}`;
  const labels = labelsOf(raw);
  return {
    kind: k.kind,
    name,
    region,
    raw,
    labels,
    owner: ownerOf(labels, raw.description),
    version: typeof raw.fingerprint === 'string' ? raw.fingerprint : undefined,
  };
}

function collection(k: ComputeKind): string {
  const map: Record<string, string> = {
    'compute.Network': 'networks', 'compute.Subnetwork': 'subnetworks', 'compute.Router': 'routers', 'compute.Firewall': 'firewalls',
    'compute.GlobalAddress': 'addresses', 'compute.RegionNetworkEndpointGroup': 'networkEndpointGroups', 'compute.HealthCheck': 'healthChecks',
    'compute.SecurityPolicy': 'securityPolicies', 'compute.BackendService': 'backendServices', 'compute.UrlMap': 'urlMaps',
    'compute.SslCertificate': 'sslCertificates', 'compute.SslPolicy': 'sslPolicies', 'compute.TargetHttpsProxy': 'targetHttpsProxies',
    'compute.TargetHttpProxy': 'targetHttpProxies', 'compute.GlobalForwardingRule': 'forwardingRules',
  };
  return map[k.kind]!;
}

function client(ctx: ProviderContext, name: keyof ComputeClients): ComputeClient {
  return ctx.clients.compute(name) as unknown as ComputeClient;
}

function makeProvider(k: ComputeKind): Provider {
  const changeable = new Set(['labels', 'description', ...Object.keys(k.setters ?? {})]);
  return {
    kind: k.kind,
    api: 'compute',
    scope: k.scope,
    createSeconds: k.createSeconds,
    requiresReplace: (changes: FieldChange[]) => !k.patch && changes.some((c) => !changeable.has(topOf(c.path))),

    async list(ctx, regions) {
      const out: Observed[] = [];
      if (k.scope === 'regional' && ctx.clients.aggregatedList.supports(k.kind)) {
        // One call for every region. An endpoint without aggregatedList falls back to per-region lists.
        try {
          const c = client(ctx, k.aggregatedClient ?? k.client);
          for await (const [scope, scoped] of eachItem(ctx, c.aggregatedListAsync!({ project: ctx.project }, NO_AUTOPAGE))) {
            const region = scope.replace(/^regions\//, '');
            if (!regions.includes(region)) continue;
            for (const item of (scoped[k.aggregatedKey!] as Obj[] | undefined) ?? []) out.push(observedFrom(k, ctx, item));
          }
          return out;
        } catch (err) {
          const kind = classify(err);
          if (kind.kind !== 'notFound' && kind.grpcCode !== 12) throw err;
          ctx.clients.aggregatedList.refuse(k.kind);
          out.length = 0;
        }
      }
      if (k.scope === 'regional') {
        const c = client(ctx, k.client);
        await Promise.all(
          regions.map(async (region) => {
            for await (const item of eachItem(ctx, c.listAsync!({ project: ctx.project, region }, NO_AUTOPAGE))) out.push(observedFrom(k, ctx, item));
          }),
        );
      } else {
        for await (const item of eachItem(ctx, client(ctx, k.client).listAsync!({ project: ctx.project }, NO_AUTOPAGE))) out.push(observedFrom(k, ctx, item));
      }
      return out;
    },

    async get(ctx, r) {
      try {
        const obj = await call<Obj>(client(ctx, k.client), 'get', idsFor(k, ctx, r.name, r.region));
        return observedFrom(k, ctx, obj);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    diff(r, o) {
      // An address given by reference comes back resolved to the IP: identity, set at insert.
      const ignore = typeof r.spec.IPAddress === 'string' && r.spec.IPAddress.includes('/') ? ['IPAddress'] : [];
      return diffFields(r.spec, o.raw, { unordered: k.unordered, keyed: k.keyed, ignore });
    },

    async create(ctx, r, requestId) {
      const { [k.idField]: _id, ...scope } = idsFor(k, ctx, r.name, r.region);
      const body = toClient('compute', T(k.type), r.spec);
      const c = client(ctx, k.client);
      const region = k.scope === 'regional' ? (scope.region as string) : undefined;
      await waitComputeOp(ctx, await lro(c, 'insert', { ...scope, [k.resourceField]: body, requestId }), region);
      for (const field of k.postCreate ?? []) {
        if (r.spec[field] === undefined) continue;
        const ids = idsFor(k, ctx, r.name, r.region);
        await waitComputeOp(ctx, await k.setters![field]!(ctx, c, ids, r, { kind: k.kind, name: r.name, raw: {}, labels: {} }), region);
      }
    },

    async update(ctx, r, o, changes) {
      const c = client(ctx, k.client);
      const ids = idsFor(k, ctx, r.name, r.region);
      const region = k.scope === 'regional' ? (ids.region as string) : undefined;
      const tops = [...new Set(changes.map((ch) => topOf(ch.path)))];
      for (const top of tops) {
        const setter = k.setters?.[top];
        if (setter) await waitComputeOp(ctx, await setter(ctx, c, ids, r, o), region);
      }
      if (k.labels && tops.includes('labels')) {
        const labels = { ...o.labels, ...(r.spec.labels as Record<string, string>) };
        const op = await lro(c, 'setLabels', {
          project: ctx.project,
          ...(region ? { region } : {}),
          resource: ids[k.idField],
          [region ? 'regionSetLabelsRequestResource' : 'globalSetLabelsRequestResource']: { labels, labelFingerprint: o.raw.labelFingerprint },
        });
        await waitComputeOp(ctx, op, region);
      }
      const rest = tops.filter((t) => !k.setters?.[t] && !(k.labels && t === 'labels'));
      if (rest.length === 0) return;
      if (!k.patch) throw new Error(`${k.kind} cannot change ${rest.join(', ')} in place`);
      const body = toClient('compute', T(k.type), {
        ...pick(r.spec, rest),
        name: r.spec.name ?? lastSegment(r.name),
        ...(k.fingerprint && o.raw.fingerprint ? { fingerprint: o.raw.fingerprint } : {}),
      });
      await waitComputeOp(ctx, await lro(c, 'patch', { ...ids, [k.resourceField]: body }), region);
    },

    async delete(ctx, o) {
      const ids = idsFor(k, ctx, o.name, o.region);
      await waitComputeOp(ctx, await lro(client(ctx, k.client), 'delete', ids), k.scope === 'regional' ? (ids.region as string) : undefined);
    },
  };
}

export const computeProviders: Provider[] = KINDS.map(makeProvider);
