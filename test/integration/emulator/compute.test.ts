import * as compute from '@google-cloud/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPeering, removePeering } from '../../../src/emulator/apis/compute/index.js';
import { expectError, PROJECT, REGION, startCompute, type ComputeTest, type Op } from './compute-helpers.js';

let h: ComputeTest;
let base: string;
beforeAll(async () => {
  h = await startCompute();
  base = `${h.t.url}/compute/v1/projects/${PROJECT}`;
});
afterAll(async () => {
  await h.t.stop();
});

describe('compute networks', () => {
  it('creates, reads, lists, patches and deletes a custom-mode VPC through operations', async () => {
    const [op] = await h.c.networks.insert({ project: PROJECT, networkResource: { name: 'net-a', autoCreateSubnetworks: false, routingConfig: { routingMode: 'GLOBAL' } } });
    const first = op.latestResponse as { status?: string; kind?: string; operationType?: string; targetLink?: string; id?: string };
    expect(first.kind).toBe('compute#operation');
    expect(first.operationType).toBe('insert');
    expect(first.targetLink).toBe(`${base}/global/networks/net-a`);
    expect(first.id).toMatch(/^\d{1,20}$/);
    const done = await h.wait(op);
    expect(done.status).toBe('DONE');
    expect(done.progress).toBe(100);
    expect(done.endTime).toBeTruthy();

    const [net] = await h.c.networks.get({ project: PROJECT, network: 'net-a' });
    expect(net).toMatchObject({
      kind: 'compute#network', name: 'net-a', autoCreateSubnetworks: false, mtu: 1460,
      routingConfig: { routingMode: 'GLOBAL' }, selfLink: `${base}/global/networks/net-a`,
    });
    expect(net.id).toMatch(/^\d+$/);
    expect(net.creationTimestamp).toBeTruthy();

    await h.ok(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'net-b', autoCreateSubnetworks: false } }));
    const [filtered] = await h.c.networks.list({ project: PROJECT, filter: 'name = "net-b"' });
    expect(filtered.map((n) => n.name)).toEqual(['net-b']);
    const [paged] = await h.c.networks.list({ project: PROJECT, maxResults: 1 });
    expect(paged.map((n) => n.name)).toEqual(['net-a', 'net-b']);

    await h.ok(h.c.networks.patch({ project: PROJECT, network: 'net-b', networkResource: { routingConfig: { routingMode: 'GLOBAL' } } }));
    const [patched] = await h.c.networks.get({ project: PROJECT, network: 'net-b' });
    expect(patched.routingConfig?.routingMode).toBe('GLOBAL');

    await h.ok(h.c.networks.delete({ project: PROJECT, network: 'net-b' }));
    await expectError(h.c.networks.get({ project: PROJECT, network: 'net-b' }), 404, 'notFound');
  });

  it('validates names, refuses duplicates and legacy networks', async () => {
    await expectError(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'Bad_Name', autoCreateSubnetworks: false } }), 400, 'invalid');
    await expectError(h.c.networks.insert({ project: PROJECT, networkResource: { name: `n${'x'.repeat(63)}`, autoCreateSubnetworks: false } }), 400, 'invalid');
    await expectError(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'net-a', autoCreateSubnetworks: false } }), 409, 'alreadyExists');
    await expectError(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'legacy' } }), 400, 'invalid');
  });
});

describe('compute subnetworks', () => {
  it('needs its network, validates ranges and checks overlaps across the network', async () => {
    await expectError(
      h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'orphan', network: 'global/networks/missing', ipCidrRange: '10.9.0.0/16' } }),
      404, 'notFound',
    );
    await expectError(
      h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'hostbits', network: 'global/networks/net-a', ipCidrRange: '10.0.0.1/16' } }),
      400, 'invalid',
    );
    await expectError(
      h.c.subnetworks.insert({ project: PROJECT, region: 'mars-north1', subnetworkResource: { name: 's', network: 'global/networks/net-a', ipCidrRange: '10.0.0.0/16' } }),
      404, 'notFound',
    );
    // The seed's regional subnet: primary /16 plus two secondary ranges, Private Google Access, flow logs.
    const done = await h.ok(h.c.subnetworks.insert({
      project: PROJECT, region: REGION,
      subnetworkResource: {
        name: 'sub-a', network: 'projects/emu-test-project/global/networks/net-a', ipCidrRange: '10.0.0.0/16', privateIpGoogleAccess: true,
        secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.100.0.0/16' }, { rangeName: 'services', ipCidrRange: '10.200.0.0/16' }],
        logConfig: { enable: true, aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
      },
    }));
    expect(done.region).toBe(`${base}/regions/${REGION}`);
    const [sub] = await h.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'sub-a' });
    expect(sub).toMatchObject({
      kind: 'compute#subnetwork', network: `${base}/global/networks/net-a`, region: `${base}/regions/${REGION}`,
      gatewayAddress: '10.0.0.1', privateIpGoogleAccess: true, stackType: 'IPV4_ONLY',
      logConfig: { enable: true, aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
    });
    expect(sub.fingerprint).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const [net] = await h.c.networks.get({ project: PROJECT, network: 'net-a' });
    expect(net.subnetworks).toEqual([`${base}/regions/${REGION}/subnetworks/sub-a`]);

    // Overlaps are checked network-wide, secondary ranges included, in any region.
    const overlap = await expectError(
      h.c.subnetworks.insert({ project: PROJECT, region: 'europe-west1', subnetworkResource: { name: 'sub-b', network: 'global/networks/net-a', ipCidrRange: '10.100.128.0/17' } }),
      400, 'invalid',
    );
    expect(overlap.message).toContain("secondary range 'pods'");
    await h.ok(h.c.subnetworks.insert({ project: PROJECT, region: 'europe-west1', subnetworkResource: { name: 'sub-b', network: 'global/networks/net-a', ipCidrRange: '10.1.0.0/16' } }));
  });

  it("treats a Serverless VPC Access connector's /28 as taken space in its network", async () => {
    const vpc = h.t.clients.vpcAccess();
    await vpc.createConnector({ parent: `projects/${PROJECT}/locations/${REGION}`, connectorId: 'conn-a', connector: { network: 'net-a', ipCidrRange: '10.8.0.0/28', minThroughput: 200, maxThroughput: 1000 } });
    const body = await expectError(
      h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'over-conn', network: 'global/networks/net-a', ipCidrRange: '10.8.0.0/24' } }),
      400, 'invalid',
    );
    expect(body.message).toContain("connector 'conn-a'");
  });

  it('requires the current fingerprint on patch (412 when stale) and rolls it on every change', async () => {
    const [sub] = await h.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'sub-a' });
    await expectError(
      h.c.subnetworks.patch({ project: PROJECT, region: REGION, subnetwork: 'sub-a', subnetworkResource: { privateIpGoogleAccess: false } }),
      412, 'conditionNotMet',
    );
    await expectError(
      h.c.subnetworks.patch({ project: PROJECT, region: REGION, subnetwork: 'sub-a', subnetworkResource: { privateIpGoogleAccess: false, fingerprint: 'c3RhbGVzdGFsZQ==' } }),
      412, 'conditionNotMet',
    );
    await h.ok(h.c.subnetworks.patch({ project: PROJECT, region: REGION, subnetwork: 'sub-a', subnetworkResource: { privateIpGoogleAccess: false, fingerprint: sub.fingerprint } }));
    const [after] = await h.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'sub-a' });
    expect(after.privateIpGoogleAccess).toBe(false);
    expect(after.fingerprint).not.toBe(sub.fingerprint);
    expect(after.secondaryIpRanges?.map((r) => r.rangeName)).toEqual(['pods', 'services']);
    // The old fingerprint is now stale.
    await expectError(
      h.c.subnetworks.patch({ project: PROJECT, region: REGION, subnetwork: 'sub-a', subnetworkResource: { privateIpGoogleAccess: true, fingerprint: sub.fingerprint } }),
      412, 'conditionNotMet',
    );
  });

  it('expands a primary range only into free space, and sets Private Google Access', async () => {
    await h.ok(h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'sub-c', network: 'global/networks/net-a', ipCidrRange: '10.4.0.0/16' } }));
    await expectError(
      h.c.subnetworks.expandIpCidrRange({ project: PROJECT, region: 'europe-west1', subnetwork: 'sub-b', subnetworksExpandIpCidrRangeRequestResource: { ipCidrRange: '10.0.0.0/15' } }),
      400, 'invalid',
    );
    await h.ok(h.c.subnetworks.expandIpCidrRange({ project: PROJECT, region: REGION, subnetwork: 'sub-c', subnetworksExpandIpCidrRangeRequestResource: { ipCidrRange: '10.4.0.0/15' } }));
    await h.ok(h.c.subnetworks.setPrivateIpGoogleAccess({ project: PROJECT, region: REGION, subnetwork: 'sub-c', subnetworksSetPrivateIpGoogleAccessRequestResource: { privateIpGoogleAccess: true } }));
    const [sub] = await h.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'sub-c' });
    expect(sub.ipCidrRange).toBe('10.4.0.0/15');
    expect(sub.privateIpGoogleAccess).toBe(true);
  });

  it('refuses to delete a network that still has subnetworks (in the operation, as GCE does)', async () => {
    const done = await h.wait(await h.c.networks.delete({ project: PROJECT, network: 'net-a' }));
    expect(done.httpErrorStatusCode).toBe(400);
    expect(done.error?.errors?.[0]?.code).toBe('RESOURCE_IN_USE_BY_ANOTHER_RESOURCE');
    expect(done.error?.errors?.[0]?.message).toContain('is already being used by');
    const [still] = await h.c.networks.get({ project: PROJECT, network: 'net-a' });
    expect(still.name).toBe('net-a');
  });
});

describe('compute routers, firewalls, addresses', () => {
  it('keeps Cloud NAT in Router.nats[] with GCE defaults, patchable', async () => {
    await h.ok(h.c.routers.insert({
      project: PROJECT, region: REGION,
      routerResource: {
        name: 'router-a', network: `${base}/global/networks/net-a`,
        nats: [{ name: 'nat-a', natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES', logConfig: { enable: true, filter: 'ERRORS_ONLY' } }],
      },
    }));
    const [router] = await h.c.routers.get({ project: PROJECT, region: REGION, router: 'router-a' });
    expect(router.network).toBe(`${base}/global/networks/net-a`);
    expect(router.nats?.[0]).toMatchObject({ name: 'nat-a', udpIdleTimeoutSec: 30, tcpEstablishedIdleTimeoutSec: 1200, endpointTypes: ['ENDPOINT_TYPE_VM'], logConfig: { enable: true, filter: 'ERRORS_ONLY' } });
    await expectError(
      h.c.routers.patch({ project: PROJECT, region: REGION, router: 'router-a', routerResource: { nats: [{ name: 'nat-b', natIpAllocateOption: 'MANUAL_ONLY', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES' }] } }),
      400, 'invalid',
    );
    await h.ok(h.c.routers.patch({
      project: PROJECT, region: REGION, router: 'router-a',
      routerResource: { nats: [{ name: 'nat-a', natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS', subnetworks: [{ name: 'sub-a' }] }] },
    }));
    const [patched] = await h.c.routers.get({ project: PROJECT, region: REGION, router: 'router-a' });
    expect(patched.nats?.[0]?.subnetworks?.[0]?.name).toBe(`${base}/regions/${REGION}/subnetworks/sub-a`);
    // A subnet NATed by a router is in use.
    await expectError(h.c.subnetworks.delete({ project: PROJECT, region: REGION, subnetwork: 'sub-a' }), 400, 'resourceInUseByAnotherResource');
  });

  it('reserves regional addresses: static IPs for Cloud NAT (IN_USE while NATed), internal IPs inside a subnet', async () => {
    const regional = h.t.gax(compute.AddressesClient);
    await h.ok(regional.insert({ project: PROJECT, region: REGION, addressResource: { name: 'nat-ip' } }));
    await h.ok(h.c.routers.insert({
      project: PROJECT, region: REGION,
      routerResource: { name: 'router-manual', network: 'global/networks/net-a', nats: [{ name: 'nat-m', natIpAllocateOption: 'MANUAL_ONLY', natIps: [`regions/${REGION}/addresses/nat-ip`], sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES' }] },
    }));
    const [ip] = await regional.get({ project: PROJECT, region: REGION, address: 'nat-ip' });
    expect(ip).toMatchObject({ addressType: 'EXTERNAL', status: 'IN_USE', users: [`${base}/regions/${REGION}/routers/router-manual`], region: `${base}/regions/${REGION}` });
    await expectError(regional.delete({ project: PROJECT, region: REGION, address: 'nat-ip' }), 400, 'resourceInUseByAnotherResource');

    await h.ok(regional.insert({ project: PROJECT, region: REGION, addressResource: { name: 'int-ip', addressType: 'INTERNAL', subnetwork: `regions/${REGION}/subnetworks/sub-a` } }));
    const [internal] = await regional.get({ project: PROJECT, region: REGION, address: 'int-ip' });
    expect(internal).toMatchObject({ address: '10.0.0.2', purpose: 'GCE_ENDPOINT', status: 'RESERVED', network: `${base}/global/networks/net-a` });
    await expectError(regional.insert({ project: PROJECT, region: REGION, addressResource: { name: 'int-dup', addressType: 'INTERNAL', subnetwork: `regions/${REGION}/subnetworks/sub-a`, address: '10.0.0.2' } }), 400, 'invalid');
    await expectError(regional.insert({ project: PROJECT, region: REGION, addressResource: { name: 'int-out', addressType: 'INTERNAL', subnetwork: `regions/${REGION}/subnetworks/sub-a`, address: '10.9.0.5' } }), 400, 'invalid');
    const [project] = await h.c.regions.get({ project: PROJECT, region: REGION });
    expect(project.quotas?.find((q) => q.metric === 'STATIC_ADDRESSES')?.usage).toBe(1);
    await h.ok(regional.delete({ project: PROJECT, region: REGION, address: 'int-ip' }));
  });

  it('validates firewall rules and supports patch', async () => {
    await expectError(
      h.c.firewalls.insert({ project: PROJECT, firewallResource: { name: 'fw-bad', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'icmp', ports: ['80'] }] } }),
      400, 'invalid',
    );
    await expectError(
      h.c.firewalls.insert({ project: PROJECT, firewallResource: { name: 'fw-both', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp' }], denied: [{ IPProtocol: 'udp' }] } }),
      400, 'invalid',
    );
    await expectError(
      h.c.firewalls.insert({ project: PROJECT, firewallResource: { name: 'fw-nosource', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp' }] } }),
      400, 'invalid',
    );
    await h.ok(h.c.firewalls.insert({
      project: PROJECT,
      firewallResource: { name: 'allow-health-checks', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp', ports: ['8080', '443'] }], sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'], targetTags: ['ruvector'] },
    }));
    await h.ok(h.c.firewalls.patch({ project: PROJECT, firewall: 'allow-health-checks', firewallResource: { priority: 900 } }));
    const [fw] = await h.c.firewalls.get({ project: PROJECT, firewall: 'allow-health-checks' });
    expect(fw).toMatchObject({ priority: 900, direction: 'INGRESS', targetTags: ['ruvector'], allowed: [{ IPProtocol: 'tcp', ports: ['8080', '443'] }] });
  });

  it('reserves external and VPC_PEERING addresses without overlapping subnets; labels need the current labelFingerprint', async () => {
    await h.ok(h.c.addresses.insert({ project: PROJECT, addressResource: { name: 'ip-ext', addressType: 'EXTERNAL', ipVersion: 'IPV4' } }));
    const [ext] = await h.c.addresses.get({ project: PROJECT, address: 'ip-ext' });
    expect(ext.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ext).toMatchObject({ status: 'RESERVED', addressType: 'EXTERNAL', networkTier: 'PREMIUM', labelFingerprint: '42WmSpB8rSM=' });

    await h.ok(h.c.addresses.insert({ project: PROJECT, addressResource: { name: 'psa-range', addressType: 'INTERNAL', purpose: 'VPC_PEERING', prefixLength: 16, network: 'global/networks/net-a' } }));
    const [psa] = await h.c.addresses.get({ project: PROJECT, address: 'psa-range' });
    expect(psa).toMatchObject({ prefixLength: 16, purpose: 'VPC_PEERING', network: `${base}/global/networks/net-a` });
    const taken = ['10.0.', '10.1.', '10.4.', '10.5.', '10.100.', '10.200.'];
    expect(taken.some((p) => psa.address!.startsWith(p))).toBe(false);
    await expectError(
      h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'clash', network: 'global/networks/net-a', ipCidrRange: `${psa.address}/24` } }),
      400, 'invalid',
    );

    await expectError(
      h.c.addresses.setLabels({ project: PROJECT, resource: 'ip-ext', globalSetLabelsRequestResource: { labels: { env: 'prod' }, labelFingerprint: 'AAAAAAAAAAA=' } }),
      412, 'conditionNotMet',
    );
    await h.ok(h.c.addresses.setLabels({ project: PROJECT, resource: 'ip-ext', globalSetLabelsRequestResource: { labels: { env: 'prod' }, labelFingerprint: ext.labelFingerprint } }));
    const [labelled] = await h.c.addresses.get({ project: PROJECT, address: 'ip-ext' });
    expect(labelled.labels).toEqual({ env: 'prod' });
    expect(labelled.labelFingerprint).not.toBe(ext.labelFingerprint);
    const [byLabel] = await h.c.addresses.list({ project: PROJECT, filter: 'labels.env = prod' });
    expect(byLabel.map((a) => a.name)).toEqual(['ip-ext']);
  });

  it('shows peerings added by Service Networking and blocks network deletion while they exist', async () => {
    await h.ok(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'net-peer', autoCreateSubnetworks: false } }));
    const rendered = addPeering(h.t.emu.ctx, `projects/${PROJECT}/global/networks/net-peer`, {
      name: 'servicenetworking-googleapis-com',
      network: 'https://www.googleapis.com/compute/v1/projects/tenant-123/global/networks/servicenetworking',
      exportCustomRoutes: false,
      importCustomRoutes: false,
    });
    expect((rendered.peerings as { state: string }[])[0]!.state).toBe('ACTIVE');
    const [net] = await h.c.networks.get({ project: PROJECT, network: 'net-peer' });
    expect(net.peerings?.[0]).toMatchObject({ name: 'servicenetworking-googleapis-com', state: 'ACTIVE', network: `${h.t.url}/compute/v1/projects/tenant-123/global/networks/servicenetworking` });
    const blocked = await h.wait(await h.c.networks.delete({ project: PROJECT, network: 'net-peer' }));
    expect(blocked.error?.errors?.[0]?.code).toBe('RESOURCE_IN_USE_BY_ANOTHER_RESOURCE');
    removePeering(h.t.emu.ctx, `${h.t.url}/compute/v1/projects/${PROJECT}/global/networks/net-peer`, 'servicenetworking-googleapis-com');
    await h.ok(h.c.networks.delete({ project: PROJECT, network: 'net-peer' }));
  });

  it('peers two VPCs through the API: INACTIVE until both sides exist, then ACTIVE', async () => {
    await h.ok(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'left', autoCreateSubnetworks: false } }));
    await h.ok(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'right', autoCreateSubnetworks: false } }));
    await h.ok(h.c.networks.addPeering({ project: PROJECT, network: 'left', networksAddPeeringRequestResource: { networkPeering: { name: 'l2r', network: 'global/networks/right', exchangeSubnetRoutes: true } } }));
    let [left] = await h.c.networks.get({ project: PROJECT, network: 'left' });
    expect(left.peerings?.[0]?.state).toBe('INACTIVE');
    await h.ok(h.c.networks.addPeering({ project: PROJECT, network: 'right', networksAddPeeringRequestResource: { networkPeering: { name: 'r2l', network: 'global/networks/left', exchangeSubnetRoutes: true } } }));
    [left] = await h.c.networks.get({ project: PROJECT, network: 'left' });
    const [right] = await h.c.networks.get({ project: PROJECT, network: 'right' });
    expect(left.peerings?.[0]?.state).toBe('ACTIVE');
    expect(right.peerings?.[0]?.state).toBe('ACTIVE');
    await h.ok(h.c.networks.removePeering({ project: PROJECT, network: 'right', networksRemovePeeringRequestResource: { name: 'r2l' } }));
    [left] = await h.c.networks.get({ project: PROJECT, network: 'left' });
    expect(left.peerings?.[0]?.state).toBe('INACTIVE');
  });
});

describe('compute operations, requestId, quotas, events', () => {
  it('returns the same operation for a repeated requestId and never creates twice', async () => {
    const requestId = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
    const [a] = await h.c.firewalls.insert({ project: PROJECT, requestId, firewallResource: { name: 'fw-idem', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges: ['10.0.0.0/8'] } });
    const [b] = await h.c.firewalls.insert({ project: PROJECT, requestId, firewallResource: { name: 'fw-idem', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges: ['10.0.0.0/8'] } });
    const opA = a.latestResponse as Op;
    const opB = b.latestResponse as Op;
    expect(opA.id).toBeTruthy();
    expect(opB.id).toBe(opA.id);
    expect(opB.name).toBe(opA.name);
    await h.wait(a);
    const [again] = await h.c.firewalls.insert({ project: PROJECT, requestId, firewallResource: { name: 'fw-idem', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges: ['10.0.0.0/8'] } });
    const opAgain = again.latestResponse as Op;
    expect(opAgain.id).toBe(opA.id);
    expect(opAgain.status).toBe('DONE');
    const [list] = await h.c.firewalls.list({ project: PROJECT, filter: 'name = fw-idem' });
    expect(list).toHaveLength(1);
    // Without the requestId the repeat is a conflict.
    await expectError(h.c.firewalls.insert({ project: PROJECT, firewallResource: { name: 'fw-idem', network: 'global/networks/net-a', allowed: [{ IPProtocol: 'tcp' }] } }), 409, 'alreadyExists');
    await expectError(h.c.firewalls.delete({ project: PROJECT, firewall: 'fw-idem', requestId: 'not-a-uuid' }), 400, 'invalid');
  });

  it('lists, waits on and deletes global and regional operations', async () => {
    const [op] = await h.c.firewalls.delete({ project: PROJECT, firewall: 'fw-idem' });
    const name = (op.latestResponse as { name: string }).name;
    const [ops] = await h.c.globalOps.list({ project: PROJECT, filter: `name = ${name}` });
    expect(ops.map((o) => o.name)).toEqual([name]);
    const [waited] = await h.c.globalOps.wait({ project: PROJECT, operation: name });
    expect(waited.status).toBe('DONE');
    await h.c.globalOps.delete({ project: PROJECT, operation: name });
    await expectError(h.c.globalOps.get({ project: PROJECT, operation: name }), 404, 'notFound');
    const [regional] = await h.c.regionOps.list({ project: PROJECT, region: REGION });
    expect(regional.length).toBeGreaterThan(0);
    expect(regional.every((o) => o.region === `${base}/regions/${REGION}`)).toBe(true);
    // A regional operation is not a global one.
    await expectError(h.c.globalOps.get({ project: PROJECT, operation: regional[0]!.name! }), 404, 'notFound');
  });

  it('enforces quotas: NETWORKS synchronously (403 quotaExceeded), SUBNETWORKS in the operation; regions/projects report usage', async () => {
    const ctx = h.t.emu.ctx;
    const used = ctx.quotas.usage('global', 'NETWORKS');
    ctx.quotas.setLimit('global', 'NETWORKS', used);
    const body = await expectError(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'one-too-many', autoCreateSubnetworks: false } }), 403, 'quotaExceeded');
    expect(body.errors?.[0]?.domain).toBe('usageLimits');
    expect(body.message).toMatch(new RegExp(`^Quota 'NETWORKS' exceeded\\.\\s+Limit: ${used}\\.0 globally\\.$`));
    const [project] = await h.c.projects.get({ project: PROJECT });
    expect(project.quotas?.find((q) => q.metric === 'NETWORKS')).toMatchObject({ limit: used, usage: used });

    ctx.quotas.setLimit('global', 'SUBNETWORKS', ctx.quotas.usage('global', 'SUBNETWORKS'));
    const failed = await h.wait(await h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'over', network: 'global/networks/net-a', ipCidrRange: '10.50.0.0/24' } }));
    expect(failed.httpErrorStatusCode).toBe(403);
    expect(failed.error?.errors?.[0]?.code).toBe('QUOTA_EXCEEDED');
    expect(failed.error?.errors?.[0]?.message).toContain("Quota 'SUBNETWORKS' exceeded");
    await expectError(h.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'over' }), 404, 'notFound');

    await h.ok(h.c.negs.insert({ project: PROJECT, region: REGION, networkEndpointGroupResource: { name: 'neg-q', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'svc' } } }));
    const [region] = await h.c.regions.get({ project: PROJECT, region: REGION });
    expect(region.zones?.length).toBeGreaterThan(0);
    expect(region.quotas?.find((q) => q.metric === 'NETWORK_ENDPOINT_GROUPS')).toMatchObject({ usage: 1 });
    expect(region.quotas?.find((q) => q.metric === 'CPUS')).toMatchObject({ limit: 24 });
    // Other services' quotas (Cloud Run, Memorystore) are not Compute's to report.
    expect(region.quotas?.some((q) => q.metric === 'CpuAllocPerProjectRegion' || q.metric === 'REDIS_GB')).toBe(false);
    await expectError(h.c.regions.get({ project: PROJECT, region: 'atlantis1' }), 404, 'notFound');
  });

  it("emits resource.changed for every change, with the resource as the API renders it", async () => {
    const seen: { kind: string; name: string; change: string; selfLink?: string }[] = [];
    h.t.emu.ctx.events.on('resource.changed', (e) => {
      if (e.api === 'compute') seen.push({ kind: e.kind, name: e.name, change: e.change, selfLink: (e.resource as { selfLink?: string }).selfLink });
    });
    await h.ok(h.c.healthChecks.insert({ project: PROJECT, healthCheckResource: { name: 'hc-ev', type: 'HTTP', httpHealthCheck: { port: 8080 } } }));
    await h.ok(h.c.healthChecks.patch({ project: PROJECT, healthCheck: 'hc-ev', healthCheckResource: { checkIntervalSec: 10 } }));
    await h.ok(h.c.healthChecks.delete({ project: PROJECT, healthCheck: 'hc-ev' }));
    expect(seen.map((s) => s.change)).toEqual(['created', 'updated', 'deleted']);
    expect(seen[0]).toMatchObject({ kind: 'compute#healthCheck', name: `projects/${PROJECT}/global/healthChecks/hc-ev`, selfLink: `${base}/global/healthChecks/hc-ev` });
  });
});
