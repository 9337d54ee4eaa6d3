import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protos } from '@google-cloud/vpc-access';
import { GlobalOperationsClient, NetworksClient, RegionOperationsClient, SubnetworksClient } from '@google-cloud/compute';
import compute from '../../../src/emulator/apis/compute/index.js';
import { apiModules } from '../../../src/emulator/apis/index.js';
import { errorBody, lro, PROJECT, REGION, startTestEmulator, type TestEmulator } from './helpers.js';

const parent = `projects/${PROJECT}/locations/${REGION}`;
const conn = (id: string) => `${parent}/connectors/${id}`;
const State = protos.google.cloud.vpcaccess.v1.Connector.State;
const stateName = (v: unknown) => (typeof v === 'number' ? State[v] : v);

let t: TestEmulator;
beforeAll(async () => {
  // Connectors reference Compute networks and subnetworks: serve Compute too.
  t = await startTestEmulator({ modules: apiModules.some((m) => m.name === 'compute') ? apiModules : [...apiModules, compute] });
  const [net] = await t.gax(NetworksClient).insert({ project: PROJECT, networkResource: { name: 'ruvector-vpc', autoCreateSubnetworks: false } });
  await t.gax(GlobalOperationsClient).wait({ project: PROJECT, operation: net.latestResponse.name });
  for (const [name, range] of [['connector-subnet', '10.8.1.0/28'], ['wide-subnet', '10.9.0.0/24']] as const) {
    const [op] = await t.gax(SubnetworksClient).insert({ project: PROJECT, region: REGION, subnetworkResource: { name, network: `projects/${PROJECT}/global/networks/ruvector-vpc`, ipCidrRange: range } });
    await t.gax(RegionOperationsClient).wait({ project: PROJECT, region: REGION, operation: op.latestResponse.name });
  }
});
afterAll(async () => {
  await t.stop();
});

async function expectError(p: Promise<unknown>, http: number, status: string) {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'call should fail').toBeDefined();
  const body = errorBody(e);
  expect(body.code).toBe(http);
  expect(body.status).toBe(status);
  return body;
}

describe('Serverless VPC Access v1 through @google-cloud/vpc-access', () => {
  it('creates a connector from network + /28 range (the seed: 200..1000 Mbps)', async () => {
    const client = t.clients.vpcAccess();
    const [op] = await client.createConnector({ parent, connectorId: 'ruvector-connector', connector: { network: 'ruvector-vpc', ipCidrRange: '10.8.0.0/28', minThroughput: 200, maxThroughput: 1000 } });
    const [during] = await client.getConnector({ name: conn('ruvector-connector') });
    expect(during.state).toBe('CREATING');
    const [c] = await op.promise();
    expect(stateName(c.state)).toBe('READY');
    expect(c).toMatchObject({ minInstances: 2, maxInstances: 10, minThroughput: 200, maxThroughput: 1000, machineType: 'e2-micro' });
    const meta = op.metadata as { method?: string; target?: string } | null;
    expect(meta?.method).toBe('google.cloud.vpcaccess.v1.VpcAccessService.CreateConnector');
    expect(meta?.target).toBe(conn('ruvector-connector'));
    await expectError(client.createConnector({ parent, connectorId: 'ruvector-connector', connector: { network: 'ruvector-vpc', ipCidrRange: '10.9.0.0/28' } }), 409, 'ALREADY_EXISTS');
  });

  it('accepts a subnet instead, and validates names, ranges and overlaps', async () => {
    const client = t.clients.vpcAccess();
    const [op] = await client.createConnector({ parent, connectorId: 'sub-conn', connector: { subnet: { name: 'connector-subnet' }, minInstances: 3, maxInstances: 5 } });
    const [c] = await op.promise();
    expect(c.subnet).toEqual(expect.objectContaining({ name: 'connector-subnet', projectId: PROJECT }));
    expect(c.maxThroughput).toBe(500);
    await expectError(client.createConnector({ parent, connectorId: 'Bad_Name', connector: { network: 'ruvector-vpc', ipCidrRange: '10.1.0.0/28' } }), 400, 'INVALID_ARGUMENT');
    await expectError(client.createConnector({ parent, connectorId: 'wide', connector: { network: 'ruvector-vpc', ipCidrRange: '10.1.0.0/24' } }), 400, 'INVALID_ARGUMENT');
    const noNet = await expectError(client.createConnector({ parent, connectorId: 'nonet', connector: { network: 'missing-vpc', ipCidrRange: '10.1.0.0/28' } }), 400, 'INVALID_ARGUMENT');
    expect(noNet.message).toContain('does not exist');
    await expectError(client.createConnector({ parent, connectorId: 'nosub', connector: { subnet: { name: 'missing-subnet' } } }), 400, 'INVALID_ARGUMENT');
    const wideSub = await expectError(client.createConnector({ parent, connectorId: 'widesub', connector: { subnet: { name: 'wide-subnet' } } }), 400, 'INVALID_ARGUMENT');
    expect(wideSub.message).toContain('/28');
    // The seed's shape (subnet and a range together) is ambiguous, and refused.
    await expectError(client.createConnector({ parent, connectorId: 'both', connector: { network: 'ruvector-vpc', ipCidrRange: '10.10.0.0/28', subnet: { name: 'connector-subnet' } } }), 400, 'INVALID_ARGUMENT');
    await expectError(client.getConnector({ name: conn('nope') }), 404, 'NOT_FOUND');
  });

  it('fails the operation (code 3) and leaves the connector in ERROR for a range clash or no maximum', async () => {
    const client = t.clients.vpcAccess();
    const cases = [
      { id: 'clash-conn', connector: { network: 'ruvector-vpc', ipCidrRange: '10.8.0.0/28', maxInstances: 3 }, says: 'conflicts with connector' },
      { id: 'clash-subnet', connector: { network: 'ruvector-vpc', ipCidrRange: '10.8.1.0/28', maxInstances: 3 }, says: 'conflicts with an existing subnetwork' },
      { id: 'no-max', connector: { network: 'ruvector-vpc', ipCidrRange: '10.8.2.0/28' }, says: 'must specify either max_throughput or max_instances' },
    ];
    for (const c of cases) {
      const [op] = await client.createConnector({ parent, connectorId: c.id, connector: c.connector });
      const err = (await op.promise().then(() => undefined, (e: unknown) => e)) as { code?: number; message?: string } | undefined;
      expect(err?.code, c.id).toBe(3);
      expect(err?.message).toContain(c.says);
      const [left] = await client.getConnector({ name: conn(c.id) });
      expect(left.state).toBe('ERROR');
      await (await client.deleteConnector({ name: conn(c.id) }))[0].promise();
    }
  });

  it('lists, deletes with an Empty response, and polls operations at the shared v1 path', async () => {
    const client = t.clients.vpcAccess();
    const [list] = await client.listConnectors({ parent });
    expect(list.map((c) => c.name!.split('/').pop())).toEqual(['ruvector-connector', 'sub-conn']);
    const [op] = await client.deleteConnector({ name: conn('sub-conn') });
    const [mid] = await client.getConnector({ name: conn('sub-conn') });
    expect(mid.state).toBe('DELETING');
    await op.promise();
    await expectError(client.getConnector({ name: conn('sub-conn') }), 404, 'NOT_FOUND');
    const ops = await lro(client).list(parent);
    expect(ops.length).toBe(9);
    expect(t.emu.requestLog.count({ api: 'operations' })).toBeGreaterThan(0);
  });
});
