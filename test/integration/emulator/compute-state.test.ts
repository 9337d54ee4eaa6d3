import * as compute from '@google-cloud/compute';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, PROJECT, REGION, startCompute } from './compute-helpers.js';

let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'ruvector-compute-state-'));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('compute state across restarts, aggregated lists, eventual consistency', () => {
  it('keeps the world across a restart and renders links against the new address', async () => {
    const first = await startCompute({ stateDir });
    await first.ok(first.c.networks.insert({ project: PROJECT, networkResource: { name: 'keep', autoCreateSubnetworks: false } }));
    await first.ok(first.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'keep-sub', network: 'global/networks/keep', ipCidrRange: '10.10.0.0/20' } }));
    // An operation still running at shutdown completes after the restart.
    const [pending] = await first.c.firewalls.insert({ project: PROJECT, firewallResource: { name: 'keep-fw', network: 'global/networks/keep', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges: ['10.0.0.0/8'] } });
    const [sub1] = await first.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'keep-sub' });
    await first.t.stop();

    const second = await startCompute({ stateDir });
    try {
      const [sub2] = await second.c.subnetworks.get({ project: PROJECT, region: REGION, subnetwork: 'keep-sub' });
      expect(sub2.id).toBe(sub1.id);
      expect(sub2.fingerprint).toBe(sub1.fingerprint);
      expect(sub2.network).toBe(`${second.t.url}/compute/v1/projects/${PROJECT}/global/networks/keep`);
      const [op] = await second.c.globalOps.wait({ project: PROJECT, operation: (pending.latestResponse as { name: string }).name });
      expect(op.status).toBe('DONE');
      expect(op.error).toBeFalsy();
      const [project] = await second.c.projects.get({ project: PROJECT });
      expect(project.quotas?.find((q) => q.metric === 'SUBNETWORKS')?.usage).toBe(1);
      // The quota book persisted too: the network still counts.
      expect(project.quotas?.find((q) => q.metric === 'NETWORKS')?.usage).toBe(1);
    } finally {
      await second.t.stop();
    }
  });

  it('answers aggregatedList for regional kinds, one entry per scope', async () => {
    const h = await startCompute();
    try {
      await h.ok(h.c.networks.insert({ project: PROJECT, networkResource: { name: 'agg', autoCreateSubnetworks: false } }));
      await h.ok(h.c.subnetworks.insert({ project: PROJECT, region: REGION, subnetworkResource: { name: 'agg-a', network: 'global/networks/agg', ipCidrRange: '10.0.0.0/24' } }));
      await h.ok(h.c.subnetworks.insert({ project: PROJECT, region: 'europe-west1', subnetworkResource: { name: 'agg-b', network: 'global/networks/agg', ipCidrRange: '10.0.1.0/24' } }));
      await h.ok(h.c.negs.insert({ project: PROJECT, region: 'asia-northeast1', networkEndpointGroupResource: { name: 'agg-neg', networkEndpointType: 'SERVERLESS', cloudRun: { service: 'svc' } } }));
      const scopes: Record<string, string[]> = {};
      for await (const [scope, list] of h.c.subnetworks.aggregatedListAsync({ project: PROJECT })) {
        scopes[scope] = (list.subnetworks ?? []).map((s) => s.name!);
      }
      expect(scopes).toEqual({ 'regions/europe-west1': ['agg-b'], 'regions/us-central1': ['agg-a'] });
      const negClient = h.t.gax(compute.NetworkEndpointGroupsClient);
      const negs: string[] = [];
      for await (const [scope, list] of negClient.aggregatedListAsync({ project: PROJECT })) {
        for (const n of list.networkEndpointGroups ?? []) negs.push(`${scope}:${n.name}`);
      }
      expect(negs).toEqual(['regions/asia-northeast1:agg-neg']);
    } finally {
      await h.t.stop();
    }
  });

  it('hides a new resource briefly (eventual consistency) but still refuses a duplicate name', async () => {
    const h = await startCompute({ consistencyDelayMs: 60_000 });
    try {
      await h.ok(h.c.healthChecks.insert({ project: PROJECT, healthCheckResource: { name: 'ec-hc', tcpHealthCheck: { port: 5432 } } }));
      await expectError(h.c.healthChecks.get({ project: PROJECT, healthCheck: 'ec-hc' }), 404, 'notFound');
      await expectError(h.c.healthChecks.insert({ project: PROJECT, healthCheckResource: { name: 'ec-hc', tcpHealthCheck: { port: 5432 } } }), 409, 'alreadyExists');
      // A backend service using the health check blocks its deletion.
      await h.ok(h.c.backends.insert({ project: PROJECT, backendServiceResource: { name: 'ec-be', healthChecks: ['global/healthChecks/ec-hc'] } }));
      const body = await expectError(h.c.healthChecks.delete({ project: PROJECT, healthCheck: 'ec-hc' }), 400, 'resourceInUseByAnotherResource');
      expect(body.message).toContain('backendServices/ec-be');
    } finally {
      await h.t.stop();
    }
  });
});
