import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseSpec } from '../../../src/spec/index.js';
import { expandTopology } from '../../../src/topology/index.js';
import { template } from '../spec/helpers.js';

function localWith(edit: (d: Record<string, any>) => void) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const d = parse(template('local')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  edit(d);
  return parseSpec(stringify(d), 'local.yaml');
}

const connectorSubnet = (g: ReturnType<typeof expandTopology>, region: string) =>
  g.resources.find((r) => r.kind === 'compute.Subnetwork' && r.name.endsWith(`connector-subnet-${region}`))!.spec.ipCidrRange;

describe('pinned ranges (retiring a region without moving the others)', () => {
  it('a region keeps its subnet and connector ranges when an earlier region leaves, once they are pinned', () => {
    const before = expandTopology(localWith(() => {}).spec);
    const asiaSubnet = before.resources.find((r) => r.name.endsWith('subnetworks/ruvector-subnet-asia-northeast1'))!.spec.ipCidrRange as string;
    const asiaConnector = connectorSubnet(before, 'asia-northeast1') as string;
    // Retiring europe-west1 takes its X-Client-Region route with it (a route to an undeployed region is refused).
    const retire = (d: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      d.regions.tier1 = ['us-central1'];
      d.loadBalancer.clientRegionRoutes = (d.loadBalancer.clientRegionRoutes as { region: string }[]).filter((r) => r.region !== 'europe-west1');
    };
    const moved = expandTopology(localWith(retire).spec);
    expect(connectorSubnet(moved, 'asia-northeast1')).not.toBe(asiaConnector); // what pinning is for
    const pinned = expandTopology(localWith((d) => {
      retire(d);
      d.network = { subnets: { overrides: { 'asia-northeast1': { ipCidrRange: asiaSubnet } } }, connector: { overrides: { 'asia-northeast1': asiaConnector } } };
    }).spec);
    expect(connectorSubnet(pinned, 'asia-northeast1')).toBe(asiaConnector);
    expect(pinned.resources.find((r) => r.name.endsWith('subnetworks/ruvector-subnet-asia-northeast1'))!.spec.ipCidrRange).toBe(asiaSubnet);
  });

  it('refuses a connector range that is not a /28, naming where', () => {
    expect(() => localWith((d) => { d.network = { connector: { overrides: { 'asia-northeast1': '10.129.2.0/24' } } }; })).toThrow(
      /local\.yaml:\d+:\d+\s+network\.connector\.overrides\.asia-northeast1\s+.*\/28/,
    );
  });
});
