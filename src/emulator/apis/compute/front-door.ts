import type { EmulatorContext } from '../../core/types.js';
import { backendServices } from './backend-services.js';
import { regionNetworkEndpointGroups } from './network-endpoint-groups.js';
import { securityPolicies } from './security-policies.js';
import { keyOf, pluralOf, regionOf } from './shared/links.js';
import { collectionFor, render, type KindDef, type Res } from './shared/resource.js';
import { sslCertificates } from './ssl-certificates.js';
import { sslPolicies } from './ssl-policies.js';
import { targetHttpProxies, targetHttpsProxies } from './target-proxies.js';
import { urlMaps } from './url-maps.js';
import { globalForwardingRules } from './forwarding-rules.js';

/** Where a backend service sends traffic: a Cloud Run service in a region (serverless NEG). */
export interface FrontDoorEndpoint {
  region: string;
  neg: string;
  cloudRunService?: string;
  cloudRunTag?: string;
}

export interface FrontDoorBackend {
  backendService: Res;
  securityPolicy?: Res;
  endpoints: FrontDoorEndpoint[];
}

export interface FrontDoorListener {
  forwardingRule: Res;
  ip: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  urlMap?: Res;
  certificates: Res[];
  sslPolicy?: Res;
}

/**
 * The load balancer as the local data plane's front door needs it, resolved from the control plane:
 * every global forwarding rule with its proxy's URL map, certificates and SSL policy, and
 * every backend service (keyed by its full URL, as URL maps reference it) with its Cloud
 * Armor policy and Cloud Run endpoints. Everything is rendered as the API returns it. Read
 * it again on each `resource.changed` event from the compute API.
 */
export function frontDoorSnapshot(ctx: EmulatorContext, project: string): { listeners: FrontDoorListener[]; backends: Record<string, FrontDoorBackend> } {
  const get = (def: KindDef, linkOrKey: unknown): Res | undefined => {
    if (typeof linkOrKey !== 'string') return undefined;
    const key = keyOf(linkOrKey.replace(/^https?:\/\/[^/]+\/compute\/v1\//, ''));
    const res = collectionFor(ctx, def.plural).peek(key);
    return res ? render(def, ctx, key, res) : undefined;
  };
  const listeners: FrontDoorListener[] = [];
  for (const fr of collectionFor(ctx, 'forwardingRules').peekAll(`projects/${project}/global/`)) {
    const target = String(fr.target ?? '');
    const https = pluralOf(target) === 'targetHttpsProxies';
    const proxy = get(https ? targetHttpsProxies : targetHttpProxies, target);
    listeners.push({
      forwardingRule: render(globalForwardingRules, ctx, keyOf(String(fr.selfLink)), fr),
      ip: String(fr.IPAddress),
      port: Number(String(fr.portRange).split('-')[0]),
      protocol: https ? 'HTTPS' : 'HTTP',
      urlMap: proxy ? get(urlMaps, proxy.urlMap) : undefined,
      certificates: ((proxy?.sslCertificates as string[] | undefined) ?? []).map((c) => get(sslCertificates, c)).filter((c): c is Res => !!c),
      sslPolicy: proxy ? get(sslPolicies, proxy.sslPolicy) : undefined,
    });
  }
  const backends: Record<string, FrontDoorBackend> = {};
  for (const bs of collectionFor(ctx, 'backendServices').peekAll(`projects/${project}/global/`)) {
    const rendered = render(backendServices, ctx, keyOf(String(bs.selfLink)), bs);
    const endpoints = ((bs.backends as Res[] | undefined) ?? []).flatMap((b): FrontDoorEndpoint[] => {
      const neg = get(regionNetworkEndpointGroups, b.group);
      if (!neg) return [];
      const run = neg.cloudRun as Res | undefined;
      return [{
        region: regionOf(keyOf(String(b.group))) ?? '',
        neg: String(neg.selfLink),
        ...(run?.service ? { cloudRunService: String(run.service) } : {}),
        ...(run?.tag ? { cloudRunTag: String(run.tag) } : {}),
      }];
    });
    const policy = get(securityPolicies, bs.securityPolicy);
    backends[String(rendered.selfLink)] = { backendService: rendered, ...(policy ? { securityPolicy: policy } : {}), endpoints };
  }
  return { listeners, backends };
}
