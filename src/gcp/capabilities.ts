/**
 * What differs between real Google Cloud and the emulator, said as what the target can do
 * rather than which target it is. Code outside src/gcp/ asks these questions and never
 * branches on the target itself, so a third target (another emulator, a recorded replay)
 * is one more row here, not a search through the tree.
 */
import type { Target } from './clients.js';

export interface Capabilities {
  /** What plans and reports call the target ('gcp' or 'emulator'); a saved plan records it. */
  readonly name: Target['kind'];
  /** The journal's key for this target: pending creates against GCP and the emulator never mix. */
  readonly journalKey: string;
  /**
   * Where the load balancer's front door answers. 'public': its public address (the spec's
   * domain, else the HTTPS forwarding rule's IP). 'data-plane': the emulator's data plane
   * serves it locally and says where (Clients.dataPlaneFrontDoor); it may run without one.
   */
  readonly frontDoor: 'public' | 'data-plane';
  /**
   * Whether the private addresses the target hands out (Memorystore hosts, Cloud SQL private
   * IPs) are reachable from this machine. The emulator's are local processes; GCP's are
   * reachable only from inside the VPC, so a connect timeout there is expected, not a fault.
   */
  readonly privateIpsReachable: boolean;
  /**
   * Whether a replica's lag can be read from the replica itself (the emulator's replicas are
   * local Postgres servers that trust the caller); on GCP lag is Cloud Monitoring's metric.
   */
  readonly replicaLagReadable: boolean;
  /**
   * Whether the seed's latency budgets apply to what is measured here: they are for Cloud Run
   * in GCP reached over the WAN; on a laptop's emulator a miss is information, not an outage.
   */
  readonly latencyBudgetsApply: boolean;
  /**
   * Whether the Service Networking API names the consumer network by project NUMBER (GCP's
   * answer and request form) rather than by the project id the topology uses.
   */
  readonly serviceNetworkingByProjectNumber: boolean;
}

export function capabilitiesFor(target: Target): Capabilities {
  const gcp = target.kind === 'gcp';
  return {
    name: target.kind,
    journalKey: `${target.kind}-${target.project}`,
    frontDoor: gcp ? 'public' : 'data-plane',
    privateIpsReachable: !gcp,
    replicaLagReadable: !gcp,
    latencyBudgetsApply: gcp,
    serviceNetworkingByProjectNumber: gcp,
  };
}

/**
 * aggregatedList support, learned per Compute kind: GCP answers it for every regional
 * collection, an emulator build without it says 404 or UNIMPLEMENTED once, and from then on
 * that kind is listed region by region. Kept per Clients (one target), not per process.
 */
export class AggregatedListSupport {
  private readonly refused = new Set<string>();

  supports(kind: string): boolean {
    return !this.refused.has(kind);
  }

  /** The endpoint refused aggregatedList for this kind. */
  refuse(kind: string): void {
    this.refused.add(kind);
  }
}

type Obj = Record<string, unknown>;

/** Any `url`/`uri` string under a front-door-like part of the emulator's data plane status. */
export function findFrontDoorUrl(status: unknown): string | undefined {
  const parts = (status as { parts?: Obj } | undefined)?.parts ?? {};
  for (const [name, part] of Object.entries(parts)) {
    if (!/front|lb|load/i.test(name) || !part || typeof part !== 'object') continue;
    const p = part as Obj;
    for (const k of ['url', 'uri', 'httpsUrl', 'httpUrl']) if (typeof p[k] === 'string') return p[k] as string;
    const listeners = (p.listeners ?? []) as Obj[];
    const l = listeners.find((x) => typeof x.url === 'string' && String(x.protocol ?? '').toUpperCase() === 'HTTPS') ?? listeners.find((x) => typeof x.url === 'string');
    if (l) return l.url as string;
  }
  return undefined;
}
