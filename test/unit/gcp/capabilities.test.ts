import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capabilitiesFor, findFrontDoorUrl } from '../../../src/gcp/capabilities.js';
import { Clients, type Target } from '../../../src/gcp/clients.js';
import { ALL_PROVIDERS } from '../../../src/providers/index.js';
import type { ProviderContext } from '../../../src/providers/types.js';

describe('target capabilities', () => {
  it('says what real GCP and the emulator can do, not which one it is', () => {
    expect(capabilitiesFor({ kind: 'gcp', project: 'p-1' })).toEqual({
      name: 'gcp',
      journalKey: 'gcp-p-1',
      frontDoor: 'public',
      privateIpsReachable: false,
      replicaLagReadable: false,
      latencyBudgetsApply: true,
      serviceNetworkingByProjectNumber: true,
    });
    expect(capabilitiesFor({ kind: 'emulator', project: 'p-1', host: '127.0.0.1', port: 1 })).toEqual({
      name: 'emulator',
      journalKey: 'emulator-p-1',
      frontDoor: 'data-plane',
      privateIpsReachable: true,
      replicaLagReadable: true,
      latencyBudgetsApply: false,
      serviceNetworkingByProjectNumber: false,
    });
  });

  it("finds the front door in the emulator's data plane status", () => {
    expect(findFrontDoorUrl({ parts: { redis: { url: 'no' }, 'front-door': { listeners: [{ protocol: 'HTTP', url: 'http://h:1' }, { protocol: 'HTTPS', url: 'http://h:2' }] } } })).toBe('http://h:2');
    expect(findFrontDoorUrl({ parts: { frontdoor: { url: 'http://h:3' } } })).toBe('http://h:3');
    expect(findFrontDoorUrl({ parts: {} })).toBeUndefined();
    expect(findFrontDoorUrl(undefined)).toBeUndefined();
  });
});

/**
 * A Compute endpoint without aggregatedList (404 on /aggregated/...), answering per-region
 * lists: the real compute client talks to it over HTTP as it would to an emulator build
 * that lacks the aggregated route.
 */
describe('aggregatedList support is learned per Clients', () => {
  let server: Server;
  let port = 0;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      seen.push(path);
      res.setHeader('content-type', 'application/json');
      if (path.includes('/aggregated/')) {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }));
        return;
      }
      const region = /regions\/([^/]+)\/subnetworks$/.exec(path)?.[1];
      res.end(JSON.stringify({ items: region ? [{ name: `sub-${region}`, region: `https://compute/projects/p/regions/${region}`, description: '' }] : [] }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  const ctxFor = (clients: Clients): ProviderContext => ({ project: 'p', topology: 't', clients, ownerLabels: {}, poll: { initialMs: 1, maxMs: 1, timeoutMs: 1000 } });
  const subnetworks = ALL_PROVIDERS.find((p) => p.kind === 'compute.Subnetwork')!;

  it('falls back to per-region lists once, and a new Clients asks again', async () => {
    const target: Target = { kind: 'emulator', project: 'p', host: '127.0.0.1', port };
    const first = new Clients(target);
    const regions = ['us-central1', 'europe-west1'];
    try {
      seen.length = 0;
      const listed = await subnetworks.list(ctxFor(first), regions);
      expect(listed.map((o) => o.raw.name).sort()).toEqual(['sub-europe-west1', 'sub-us-central1']);
      expect(seen.filter((p) => p.includes('/aggregated/'))).toHaveLength(1);
      expect(first.aggregatedList.supports('compute.Subnetwork')).toBe(false);

      seen.length = 0;
      await subnetworks.list(ctxFor(first), regions);
      expect(seen.some((p) => p.includes('/aggregated/'))).toBe(false);
      expect(seen).toHaveLength(2);
    } finally {
      await first.close();
    }

    const second = new Clients(target);
    try {
      seen.length = 0;
      await subnetworks.list(ctxFor(second), regions);
      // What one target's endpoint refused says nothing about another's: it is asked again.
      expect(seen.filter((p) => p.includes('/aggregated/'))).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});
