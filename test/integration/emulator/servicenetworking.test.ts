/**
 * Service Networking v1 connections over plain REST (google-auth-library), on a VPC and a
 * reserved range made through @google-cloud/compute; Cloud SQL private IP on top of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

let t: TestEmulator;
const http = new PassThroughClient();
let projectNumber: string;
const base = () => `${t.url}/v1/services/servicenetworking.googleapis.com/connections`;

interface LroOp {
  name: string;
  done?: boolean;
  error?: { code: number; message: string };
  response?: Record<string, unknown>;
}

async function call<T>(method: string, url: string, data?: unknown): Promise<T> {
  const r = await http.request<T>({ method: method as 'GET', url, data });
  return r.data;
}

async function finish(op: LroOp): Promise<LroOp> {
  let cur = op;
  for (let i = 0; i < 400 && !cur.done; i++) {
    await new Promise((r) => setTimeout(r, 10));
    cur = await call<LroOp>('GET', `${t.url}/v1/${cur.name}`);
  }
  expect(cur.done).toBe(true);
  return cur;
}

async function computeWait(op: { latestResponse?: unknown }): Promise<void> {
  const ops = t.gax(compute.GlobalOperationsClient);
  const name = (op.latestResponse as { name: string }).name;
  await ops.wait({ project: PROJECT, operation: name });
}

beforeAll(async () => {
  t = await startTestEmulator();
  projectNumber = t.emu.ctx.projectNumber(PROJECT);
  const networks = t.gax(compute.NetworksClient);
  const addresses = t.gax(compute.GlobalAddressesClient);
  const [n] = await networks.insert({ project: PROJECT, networkResource: { name: 'ruvector-vpc', autoCreateSubnetworks: false } });
  await computeWait(n);
  for (const name of ['ruvector-sql-private-ip', 'ruvector-redis-private-ip']) {
    const [a] = await addresses.insert({
      project: PROJECT,
      addressResource: { name, purpose: 'VPC_PEERING', addressType: 'INTERNAL', prefixLength: 16, network: `projects/${PROJECT}/global/networks/ruvector-vpc` },
    });
    await computeWait(a);
  }
  const [ext] = await addresses.insert({ project: PROJECT, addressResource: { name: 'lb-ip' } });
  await computeWait(ext);
});
afterAll(async () => {
  await t?.stop();
});

describe('Service Networking connections', () => {
  it('refuses ranges that are not VPC_PEERING addresses of the network, and unknown networks', async () => {
    const network = `projects/${projectNumber}/global/networks/ruvector-vpc`;
    const wrong = await call('POST', base(), { network, reservedPeeringRanges: ['lb-ip'] }).catch((e: unknown) => e);
    expect(errorBody(wrong).status).toBe('FAILED_PRECONDITION');
    const missing = await call('POST', base(), { network, reservedPeeringRanges: ['nope'] }).catch((e: unknown) => e);
    expect(errorBody(missing).status).toBe('FAILED_PRECONDITION');
    const noNet = await call('POST', base(), { network: `projects/${projectNumber}/global/networks/other`, reservedPeeringRanges: ['ruvector-sql-private-ip'] }).catch((e: unknown) => e);
    expect(errorBody(noNet).code).toBe(400);
    const otherService = await call('POST', `${t.url}/v1/services/sqladmin.googleapis.com/connections`, { network, reservedPeeringRanges: ['ruvector-sql-private-ip'] }).catch((e: unknown) => e);
    expect(errorBody(otherService).code).toBe(403);
  });

  it('Cloud SQL private IP needs the peering first', async () => {
    const instances = t.clients.sqlInstances();
    const e = await instances
      .insert({
        project: PROJECT,
        body: { name: 'early-db', databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-custom-2-8192', ipConfiguration: { ipv4Enabled: { value: false }, privateNetwork: `projects/${PROJECT}/global/networks/ruvector-vpc` } } },
      })
      .catch((x: unknown) => x);
    expect(errorBody(e).code).toBe(400);
    expect(errorBody(e).message).toContain('SERVICE_NETWORKING_NOT_ENABLED');
  });

  it('creates a connection through an operation; the network shows the peering', async () => {
    const network = `projects/${projectNumber}/global/networks/ruvector-vpc`;
    const op = await call<LroOp>('POST', base(), { network, reservedPeeringRanges: ['ruvector-sql-private-ip'] });
    expect(op.name).toMatch(/^operations\//);
    const done = await finish(op);
    expect(done.error).toBeUndefined();
    expect(done.response).toMatchObject({ network, reservedPeeringRanges: ['ruvector-sql-private-ip'], peering: 'servicenetworking-googleapis-com', service: 'services/servicenetworking.googleapis.com' });

    const list = await call<{ connections: Record<string, unknown>[] }>('GET', `${base()}?network=${encodeURIComponent(network)}`);
    expect(list.connections).toHaveLength(1);

    const [net] = await t.gax(compute.NetworksClient).get({ project: PROJECT, network: 'ruvector-vpc' });
    const peering = net.peerings?.find((p) => p.name === 'servicenetworking-googleapis-com');
    expect(peering?.state).toBe('ACTIVE');

    // A second create with other ranges must go through UpdateConnection.
    const again = await call('POST', base(), { network, reservedPeeringRanges: ['ruvector-redis-private-ip'] }).catch((e: unknown) => e);
    expect(errorBody(again).status).toBe('FAILED_PRECONDITION');
  });

  it('Cloud SQL then gets a private IP inside the reserved range', async () => {
    const instances = t.clients.sqlInstances();
    const ops = t.clients.sqlOperations();
    let [op] = await instances.insert({
      project: PROJECT,
      body: { name: 'private-db', databaseVersion: 'POSTGRES_15', region: 'us-central1', settings: { tier: 'db-custom-2-8192', ipConfiguration: { ipv4Enabled: { value: false }, privateNetwork: `projects/${PROJECT}/global/networks/ruvector-vpc` } } },
    });
    while (op.status !== 'DONE') {
      await new Promise((r) => setTimeout(r, 10));
      [op] = await ops.get({ project: PROJECT, operation: op.name! });
    }
    const [inst] = await instances.get({ project: PROJECT, instance: 'private-db' });
    const [addr] = await t.gax(compute.GlobalAddressesClient).get({ project: PROJECT, address: 'ruvector-sql-private-ip' });
    const priv = inst.ipAddresses?.find((a) => a.type === 'PRIVATE')?.ipAddress ?? '';
    expect(inst.ipAddresses?.some((a) => a.type === 'PRIMARY')).toBe(false);
    const [a, b] = addr.address!.split('.');
    expect(priv.startsWith(`${a}.${b}.`)).toBe(true);
  });

  it('updates the ranges; removing one in use needs force', async () => {
    const network = `projects/${projectNumber}/global/networks/ruvector-vpc`;
    const added = await call<LroOp>('PATCH', `${base()}/-?updateMask=reservedPeeringRanges`, {
      network,
      reservedPeeringRanges: ['ruvector-sql-private-ip', 'ruvector-redis-private-ip'],
    });
    await finish(added);
    const shrink = { network, reservedPeeringRanges: ['ruvector-redis-private-ip'] };
    const refused = await call('PATCH', `${base()}/-?updateMask=reservedPeeringRanges`, shrink).catch((e: unknown) => e);
    expect(errorBody(refused).status).toBe('FAILED_PRECONDITION');
    await finish(await call<LroOp>('PATCH', `${base()}/-?updateMask=reservedPeeringRanges&force=true`, shrink));
    const list = await call<{ connections: { reservedPeeringRanges: string[] }[] }>('GET', `${base()}?network=${encodeURIComponent(network)}`);
    expect(list.connections[0]?.reservedPeeringRanges).toEqual(['ruvector-redis-private-ip']);
  });

  it('deleteConnection waits for producers to leave, then removes the peering', async () => {
    const network = `projects/${projectNumber}/global/networks/ruvector-vpc`;
    const url = `${base()}/servicenetworking-googleapis-com:deleteConnection`;
    const inUse = await call('POST', url, { consumerNetwork: network }).catch((e: unknown) => e);
    expect(errorBody(inUse).status).toBe('FAILED_PRECONDITION');

    const instances = t.clients.sqlInstances();
    const ops = t.clients.sqlOperations();
    let [op] = await instances.delete({ project: PROJECT, instance: 'private-db' });
    while (op.status !== 'DONE') {
      await new Promise((r) => setTimeout(r, 10));
      [op] = await ops.get({ project: PROJECT, operation: op.name! });
    }
    await finish(await call<LroOp>('POST', url, { consumerNetwork: network }));
    const list = await call<{ connections?: unknown[] }>('GET', `${base()}?network=${encodeURIComponent(network)}`);
    expect(list.connections ?? []).toEqual([]);
    const [net] = await t.gax(compute.NetworksClient).get({ project: PROJECT, network: 'ruvector-vpc' });
    expect((net.peerings ?? []).map((p) => p.name)).not.toContain('servicenetworking-googleapis-com');
  });
});
