import { Ctx, res } from '../context.js';

/** VPC, subnets, connectors, Cloud Router + NAT, firewalls, private service access (seed §6). */
export function buildNetwork(ctx: Ctx): void {
  const n = ctx.spec.network;
  const network = ctx.networkName();
  ctx.add(
    res('compute.Network', network, {
      name: n.name,
      description: ctx.marker(),
      autoCreateSubnetworks: false,
      routingConfig: { routingMode: n.routingMode },
    }, []),
  );

  for (const fw of n.firewalls) {
    const spec: Record<string, unknown> = {
      name: fw.name,
      description: ctx.marker(),
      network,
      direction: fw.direction,
      priority: fw.priority,
      sourceRanges: fw.sourceRanges,
    };
    if (fw.allow) spec.allowed = fw.allow.map((a) => ({ IPProtocol: a.protocol, ...(a.ports ? { ports: a.ports } : {}) }));
    if (fw.deny) spec.denied = fw.deny.map((a) => ({ IPProtocol: a.protocol, ...(a.ports ? { ports: a.ports } : {}) }));
    if (fw.targetTags) spec.targetTags = fw.targetTags;
    ctx.add(res('compute.Firewall', ctx.global('firewalls', fw.name), spec, [network]));
  }

  // The seed declares two connections (Redis, and Cloud SQL with service
  // "sqladmin.googleapis.com"), but GCP has one private service access connection per
  // network to servicenetworking.googleapis.com, which Memorystore and Cloud SQL share;
  // both reserved ranges go on it.
  const ranges: string[] = [];
  for (const r of n.privateServiceAccess.ranges) {
    const name = ctx.global('addresses', r.name);
    ranges.push(name);
    ctx.add(
      res('compute.GlobalAddress', name, {
        name: r.name,
        description: ctx.marker(),
        purpose: 'VPC_PEERING',
        addressType: 'INTERNAL',
        prefixLength: r.prefixLength,
        network,
        labels: ctx.labels(),
        ...(r.address ? { address: r.address } : {}),
      }, [network]),
    );
  }
  if (ranges.length > 0) {
    ctx.add(
      res('servicenetworking.Connection', psaConnectionName(), {
        network,
        service: 'servicenetworking.googleapis.com',
        reservedPeeringRanges: n.privateServiceAccess.ranges.map((r) => r.name),
      }, [network, ...ranges]),
    );
  }

  for (const r of ctx.regions) {
    const subnet = ctx.regional(r.region, 'subnetworks', ctx.fill(n.subnets.name, r));
    const fl = n.subnets.flowLogs;
    ctx.add(
      res('compute.Subnetwork', subnet, {
        name: ctx.fill(n.subnets.name, r),
        description: ctx.marker(),
        network,
        ipCidrRange: ctx.subnetRange(r),
        privateIpGoogleAccess: n.subnets.privateIpGoogleAccess,
        secondaryIpRanges: ctx.secondaryRanges(r),
        ...(fl ? { logConfig: { enable: true, aggregationInterval: fl.aggregationInterval, flowSampling: fl.flowSampling, metadata: fl.metadata } } : {}),
      }, [network], { region: r.region }),
    );

    const connSubnetId = ctx.fill(n.connector.subnetName, r);
    const connSubnet = ctx.regional(r.region, 'subnetworks', connSubnetId);
    ctx.add(
      res('compute.Subnetwork', connSubnet, {
        name: connSubnetId,
        description: ctx.marker(),
        network,
        ipCidrRange: ctx.connectorRange(r),
      }, [network], { region: r.region }),
    );

    // The seed names connectors "ruvector-connector-${region}", which breaks GCP's 25
    // character limit for every region but one; the default "ruvector-conn-${regionShort}"
    // (e.g. ruvector-conn-nane1) is short, stable and unique per region.
    ctx.add(
      res('vpcaccess.Connector', connectorName(ctx, r.region), {
        subnet: { name: connSubnetId, projectId: ctx.p },
        minThroughput: n.connector.minThroughput,
        maxThroughput: n.connector.maxThroughput,
        ...(n.connector.machineType ? { machineType: n.connector.machineType } : {}),
      }, [connSubnet], { region: r.region }),
    );

    const routerId = ctx.fill(n.nat.routerName, r);
    ctx.add(
      res('compute.Router', ctx.regional(r.region, 'routers', routerId), {
        name: routerId,
        description: ctx.marker(),
        network,
        nats: [
          {
            name: ctx.fill(n.nat.name, r),
            natIpAllocateOption: n.nat.natIpAllocateOption,
            sourceSubnetworkIpRangesToNat: n.nat.sourceSubnetworkIpRangesToNat,
            logConfig: { enable: true, filter: n.nat.logFilter },
          },
        ],
      }, [network], { region: r.region }),
    );
  }
}

/** GCP's name for the one private service access peering of a network. */
export function psaConnectionName(): string {
  return 'services/servicenetworking.googleapis.com/connections/servicenetworking-googleapis-com';
}

export function connectorName(ctx: Ctx, region: string): string {
  return ctx.located(region, 'connectors', ctx.fill(ctx.spec.network.connector.name, ctx.info(region)));
}
