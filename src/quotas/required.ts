/**
 * What a topology needs from each quota, derived from its desired resource graph (so the
 * figures are exactly what deploy would ask GCP for): Cloud Run at max scale, Redis GB,
 * Cloud SQL instances, routers/NAT, peerings, the load balancer's pieces.
 */
import { QUOTA_KINDS, type QuotaKind } from './catalog.js';
import { cpuCores, memoryGiB, QuantityError } from '../util/quantity.js';

export interface Requirement {
  kind: QuotaKind;
  /** Region for regional quotas; undefined for per-project ones. */
  region?: string;
  needed: number;
  /** How the figure was derived, for the report. */
  basis: string;
}

type Json = Record<string, unknown>;

/** The part of a desired resource graph quotas depend on (topology's and the engine's Resource both fit). */
export interface QuotaGraph {
  resources: { kind: string; name?: string; region?: string; spec: Json }[];
}

type Resource = QuotaGraph['resources'][number];

const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

/** A limit as a quantity; Cloud Run's default when the spec leaves it out; an error naming the field when unreadable. */
function limit(r: Resource, limits: Json, key: 'cpu' | 'memory', fallback: string, read: (q: string) => number): number {
  const v = limits[key];
  try {
    return read(v === undefined || v === null ? fallback : String(v));
  } catch (e) {
    if (e instanceof QuantityError) throw new QuantityError(`${r.name ?? r.kind}: template.containers[0].resources.limits.${key}: ${e.message}`);
    throw e;
  }
}

function runShape(r: Resource): { max: number; cpu: number; memGiB: number } {
  const template = obj(r.spec.template);
  const scaling = obj(template.scaling);
  const container = obj((template.containers as unknown[] | undefined)?.[0]);
  const limits = obj(obj(container.resources).limits);
  return { max: Number(scaling.maxInstanceCount ?? 100), cpu: limit(r, limits, 'cpu', '1', cpuCores), memGiB: limit(r, limits, 'memory', '512Mi', memoryGiB) };
}

export function requiredQuotas(graph: QuotaGraph): Requirement[] {
  const out: Requirement[] = [];
  const byKind = (kind: string) => graph.resources.filter((r) => r.kind === kind);
  const add = (key: string, needed: number, basis: string, region?: string) => {
    if (needed <= 0) return;
    const kind = QUOTA_KINDS.find((k) => k.key === key);
    if (!kind) throw new Error(`unknown quota kind ${key}`);
    out.push({ kind, region, needed, basis });
  };
  const perRegion = (kind: string, key: string, noun: string) => {
    const counts = new Map<string, number>();
    for (const r of byKind(kind)) if (r.region) counts.set(r.region, (counts.get(r.region) ?? 0) + 1);
    for (const [region, n] of counts) add(key, n, `${n} ${noun}`, region);
  };

  for (const r of byKind('run.Service')) {
    const { max, cpu, memGiB } = runShape(r);
    add('run.cpu', max * cpu, `${max} max instances x ${cpu} vCPU`, r.region);
    add('run.memory', Math.ceil(max * memGiB), `${max} max instances x ${memGiB} GiB`, r.region);
    add('run.instances', max, `maxInstanceCount ${max}`, r.region);
  }
  const redisGb = new Map<string, number>();
  for (const r of byKind('redis.Instance')) if (r.region) redisGb.set(r.region, (redisGb.get(r.region) ?? 0) + Number(r.spec.memorySizeGb ?? 0));
  for (const [region, gb] of redisGb) add('redis.capacity', gb, `${gb} GB of Memorystore`, region);
  perRegion('vpcaccess.Connector', 'vpcaccess.connectors', 'connector(s)');
  perRegion('compute.RegionNetworkEndpointGroup', 'compute.negs', 'serverless NEG(s)');

  const sql = byKind('sql.Instance');
  const replicas = sql.filter((r) => r.spec.masterInstanceName).length;
  add('sql.instances', sql.length, `${sql.length - replicas} primaries + ${replicas} replicas`);
  const global = (kind: string, key: string, noun: string) => {
    const n = byKind(kind).length;
    add(key, n, `${n} ${noun}`);
  };
  global('compute.Network', 'compute.networks', 'VPC network(s)');
  global('compute.Subnetwork', 'compute.subnetworks', 'subnets');
  global('compute.Firewall', 'compute.firewalls', 'firewall rules');
  global('compute.Router', 'compute.routers', 'routers with one NAT each');
  global('compute.BackendService', 'compute.backendServices', 'backend services');
  global('compute.HealthCheck', 'compute.healthChecks', 'health checks');
  global('compute.UrlMap', 'compute.urlMaps', 'URL maps');
  global('compute.TargetHttpsProxy', 'compute.targetHttpsProxies', 'HTTPS proxies');
  global('compute.TargetHttpProxy', 'compute.targetHttpProxies', 'HTTP proxies');
  global('compute.SslCertificate', 'compute.sslCertificates', 'certificates');
  global('compute.SecurityPolicy', 'compute.securityPolicies', 'security policies');
  const rules = byKind('compute.SecurityPolicy').reduce((n, r) => n + ((r.spec.rules as unknown[] | undefined)?.length ?? 0), 0);
  add('compute.securityPolicyRules', rules, `${rules} Cloud Armor rules`);
  const managedRules = byKind('compute.GlobalForwardingRule').filter((r) => r.spec.loadBalancingScheme === 'EXTERNAL_MANAGED').length;
  add('compute.forwardingRules', managedRules, `${managedRules} EXTERNAL_MANAGED forwarding rules`);
  // Each private service access connection is one peering on the VPC.
  global('servicenetworking.Connection', 'compute.peerings', 'private service access peering(s)');
  return out;
}
