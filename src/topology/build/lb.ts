import { Ctx, res } from '../context.js';

/** Cloud Armor policy (seed §7.2); rules live in the policy body. */
export function buildArmor(ctx: Ctx): string | undefined {
  const a = ctx.spec.armor;
  if (!a.enabled) return undefined;
  const srcAll = { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } };
  const rules: Record<string, unknown>[] = [
    {
      action: 'rate_based_ban',
      priority: a.rateLimit.priority,
      match: srcAll,
      rateLimitOptions: {
        conformAction: 'allow',
        exceedAction: a.rateLimit.exceedAction,
        enforceOnKey: a.rateLimit.enforceOnKey,
        rateLimitThreshold: { count: a.rateLimit.count, intervalSec: a.rateLimit.intervalSec },
        banDurationSec: a.rateLimit.banDurationSec,
      },
      description: `Rate limit: ${a.rateLimit.count} req/${a.rateLimit.intervalSec}s per ${a.rateLimit.enforceOnKey}`,
    },
  ];
  // The seed's deny list is empty ("dynamically updated"); GCP rejects a rule matching no
  // ranges, so the rule appears once the list has an entry.
  if (a.denyIps.ranges.length > 0) {
    rules.push({ action: 'deny(403)', priority: a.denyIps.priority, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: a.denyIps.ranges } }, description: 'Block malicious IPs' });
  }
  if (a.sqli.enabled) {
    rules.push({ action: 'deny(403)', priority: a.sqli.priority, match: { expr: { expression: "evaluatePreconfiguredExpr('sqli-stable')" } }, description: 'SQL injection protection' });
  }
  if (a.xss.enabled) {
    rules.push({ action: 'deny(403)', priority: a.xss.priority, match: { expr: { expression: "evaluatePreconfiguredExpr('xss-stable')" } }, description: 'XSS protection' });
  }
  if (a.geo.denyRegionCodes.length > 0) {
    const list = a.geo.denyRegionCodes.map((c) => `'${c}'`).join(', ');
    rules.push({ action: 'deny(403)', priority: a.geo.priority, match: { expr: { expression: `origin.region_code in [${list}]` } }, description: 'Geographic restrictions' });
  }
  rules.push({ action: 'allow', priority: 2147483647, match: srcAll, description: 'Default rule' });
  rules.sort((x, y) => (x.priority as number) - (y.priority as number));

  const name = ctx.global('securityPolicies', a.name);
  ctx.add(
    res('compute.SecurityPolicy', name, {
      name: a.name,
      description: ctx.marker(),
      type: 'CLOUD_ARMOR',
      rules,
      ...(a.adaptiveProtection ? { adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true } } } : {}),
    }, []),
  );
  return name;
}

/** The global external HTTPS load balancer with a serverless NEG per region (seed §7.1). */
export function buildLoadBalancer(ctx: Ctx, securityPolicy: string | undefined): void {
  const lb = ctx.spec.loadBalancer;
  if (!lb.enabled) return;
  const backends = new Map<string, string>();

  for (const r of ctx.regions) {
    const negId = ctx.fill(lb.negName, r);
    const neg = ctx.regional(r.region, 'networkEndpointGroups', negId);
    const service = ctx.runServiceName(r);
    ctx.add(
      res('compute.RegionNetworkEndpointGroup', neg, {
        name: negId,
        description: ctx.marker(),
        networkEndpointType: 'SERVERLESS',
        cloudRun: { service: ctx.spec.service.name },
      }, [service], { region: r.region }),
    );

    const hc = lb.healthCheck;
    const hcId = ctx.fill(hc.name, r);
    const hcName = ctx.global('healthChecks', hcId);
    if (hc.enabled) {
      ctx.add(
        res('compute.HealthCheck', hcName, {
          name: hcId,
          description: ctx.marker(),
          type: 'HTTP2',
          checkIntervalSec: hc.checkIntervalSec,
          timeoutSec: hc.timeoutSec,
          healthyThreshold: hc.healthyThreshold,
          unhealthyThreshold: hc.unhealthyThreshold,
          http2HealthCheck: { port: hc.port, requestPath: hc.requestPath },
        }, [], { homeRegion: r.region }),
      );
    }

    const b = lb.backend;
    const bId = ctx.fill(b.name, r);
    const bName = ctx.global('backendServices', bId);
    backends.set(r.region, bName);
    ctx.add(
      res('compute.BackendService', bName, {
        name: bId,
        description: ctx.marker(),
        protocol: b.protocol,
        portName: b.portName,
        timeoutSec: b.timeoutSec,
        enableCDN: b.enableCdn,
        sessionAffinity: b.sessionAffinity,
        affinityCookieTtlSec: b.affinityCookieTtlSec,
        loadBalancingScheme: 'EXTERNAL_MANAGED',
        backends: [{ group: neg, balancingMode: b.balancingMode, capacityScaler: b.capacityScaler, maxUtilization: b.maxUtilization }],
        // The seed's health check is created (it is in the design) but never attached: GCP
        // rejects health checks on backend services whose backends are serverless NEGs, and
        // Cloud Run's own startup/liveness/readiness probes already gate traffic.
        ...(b.enableCdn
          ? {
              cdnPolicy: {
                cacheMode: b.cdn.cacheMode,
                defaultTtl: b.cdn.defaultTtl,
                maxTtl: b.cdn.maxTtl,
                clientTtl: b.cdn.clientTtl,
                negativeCaching: b.cdn.negativeCaching,
                negativeCachingPolicy: b.cdn.negativeCachingPolicy,
                cacheKeyPolicy: {
                  includeProtocol: b.cdn.includeProtocol,
                  includeHost: b.cdn.includeHost,
                  includeQueryString: b.cdn.includeQueryString,
                  queryStringWhitelist: b.cdn.queryStringWhitelist,
                },
              },
            }
          : {}),
        logConfig: { enable: true, sampleRate: b.logSampleRate },
        ...(securityPolicy ? { securityPolicy } : {}),
      }, [neg, ...(securityPolicy ? [securityPolicy] : [])], { homeRegion: r.region }),
    );
  }

  const defaultRegion = lb.defaultRegion ?? ctx.spec.regions.tier1[0]!;
  const defaultService = backends.get(defaultRegion) ?? backends.values().next().value!;
  // Routes for regions the spec does not deploy to are left out (a one-region spec keeps
  // the seed's defaults without validation errors).
  const routes = lb.clientRegionRoutes.filter((rt) => backends.has(rt.region));
  const urlMapName = ctx.global('urlMaps', lb.urlMapName);
  ctx.add(
    res('compute.UrlMap', urlMapName, {
      name: lb.urlMapName,
      description: ctx.marker(),
      defaultService,
      hostRules: [{ hosts: lb.domains, pathMatcher: 'ruvector' }],
      pathMatchers: [
        {
          name: 'ruvector',
          defaultService,
          routeRules: routes.map((rt, i) => ({
            priority: i + 1,
            matchRules: [{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: rt.value }] }],
            service: backends.get(rt.region),
          })),
        },
      ],
    }, [defaultService, ...routes.map((rt) => backends.get(rt.region)!)]),
  );

  const cert = ctx.global('sslCertificates', lb.certificateName);
  ctx.add(res('compute.SslCertificate', cert, { name: lb.certificateName, description: ctx.marker(), type: 'MANAGED', managed: { domains: certificateDomains(lb.domains) } }, []));
  const sslPolicy = ctx.global('sslPolicies', lb.sslPolicy.name);
  ctx.add(res('compute.SslPolicy', sslPolicy, { name: lb.sslPolicy.name, description: ctx.marker(), profile: lb.sslPolicy.profile, minTlsVersion: lb.sslPolicy.minTlsVersion }, []));

  const address = ctx.global('addresses', lb.addressName);
  ctx.add(res('compute.GlobalAddress', address, { name: lb.addressName, description: ctx.marker(), addressType: 'EXTERNAL', ipVersion: 'IPV4', labels: ctx.labels() }, []));

  const httpsProxy = ctx.global('targetHttpsProxies', lb.httpsProxyName);
  ctx.add(
    res('compute.TargetHttpsProxy', httpsProxy, { name: lb.httpsProxyName, description: ctx.marker(), urlMap: urlMapName, sslCertificates: [cert], sslPolicy }, [urlMapName, cert, sslPolicy]),
  );
  const forwarding = (id: string, port: string, target: string) =>
    res('compute.GlobalForwardingRule', ctx.global('forwardingRules', id), {
      name: id,
      description: ctx.marker(),
      IPProtocol: 'TCP',
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      portRange: port,
      target,
      IPAddress: address,
      labels: ctx.labels(),
    }, [target, address]);
  ctx.add(forwarding(lb.httpsForwardingRuleName, '443', httpsProxy));

  if (lb.httpRedirect) {
    const redirect = ctx.global('urlMaps', lb.redirectUrlMapName);
    ctx.add(
      res('compute.UrlMap', redirect, {
        name: lb.redirectUrlMapName,
        description: ctx.marker(),
        defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', stripQuery: false },
      }, []),
    );
    const httpProxy = ctx.global('targetHttpProxies', lb.httpProxyName);
    ctx.add(res('compute.TargetHttpProxy', httpProxy, { name: lb.httpProxyName, description: ctx.marker(), urlMap: redirect }, [redirect]));
    ctx.add(forwarding(lb.httpForwardingRuleName, '80', httpProxy));
  }
}

/**
 * Google-managed Compute certificates cannot cover wildcards (that takes Certificate Manager
 * with DNS authorization): the certificate gets the plain domains, the URL map keeps all of
 * them as host rules. validate warns about the wildcard.
 */
export function certificateDomains(domains: string[]): string[] {
  return domains.filter((d) => !d.startsWith('*.'));
}
