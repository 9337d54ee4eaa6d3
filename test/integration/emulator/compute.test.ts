import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPeering, removePeering } from '../../../src/emulator/apis/compute/index.js';
import { expectError, PROJECT, REGION, startCompute, type ComputeTest } from './compute-helpers.js';

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
