/** Shared bits of the Compute conformance tests: clients on the emulator, operation waits, error checks. */
import * as compute from '@google-cloud/compute';
import { expect } from 'vitest';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

export type Op = compute.protos.google.cloud.compute.v1.IOperation;

export interface ComputeTest {
  t: TestEmulator;
  c: ReturnType<typeof clients>;
  /** Wait for an insert/patch/delete's operation (global or regional) to be DONE; returns it. */
  wait(res: [{ latestResponse: unknown }, ...unknown[]] | { latestResponse: unknown }): Promise<Op>;
  /** Wait and fail the test if the operation carries an error. */
  ok(p: Promise<[{ latestResponse: unknown }, ...unknown[]]>): Promise<Op>;
}

function clients(t: TestEmulator) {
  return {
    networks: t.gax(compute.NetworksClient),
    subnetworks: t.gax(compute.SubnetworksClient),
    routers: t.gax(compute.RoutersClient),
    firewalls: t.gax(compute.FirewallsClient),
    addresses: t.gax(compute.GlobalAddressesClient),
    negs: t.gax(compute.RegionNetworkEndpointGroupsClient),
    healthChecks: t.gax(compute.HealthChecksClient),
    backends: t.gax(compute.BackendServicesClient),
    urlMaps: t.gax(compute.UrlMapsClient),
    httpsProxies: t.gax(compute.TargetHttpsProxiesClient),
    httpProxies: t.gax(compute.TargetHttpProxiesClient),
    forwardingRules: t.gax(compute.GlobalForwardingRulesClient),
    securityPolicies: t.gax(compute.SecurityPoliciesClient),
    sslCertificates: t.gax(compute.SslCertificatesClient),
    sslPolicies: t.gax(compute.SslPoliciesClient),
    regions: t.gax(compute.RegionsClient),
    projects: t.gax(compute.ProjectsClient),
    globalOps: t.gax(compute.GlobalOperationsClient),
    regionOps: t.gax(compute.RegionOperationsClient),
  };
}

export async function startCompute(opts: Parameters<typeof startTestEmulator>[0] = {}): Promise<ComputeTest> {
  const t = await startTestEmulator(opts);
  const c = clients(t);
  const wait = async (res: [{ latestResponse: unknown }, ...unknown[]] | { latestResponse: unknown }): Promise<Op> => {
    const op = (Array.isArray(res) ? res[0] : res).latestResponse as Op;
    let cur = op;
    const project = /\/projects\/([^/]+)\//.exec(op.selfLink ?? '')?.[1] ?? PROJECT;
    while (cur.status !== 'DONE') {
      if (op.region) {
        [cur] = await c.regionOps.wait({ project, region: op.region.split('/').pop()!, operation: op.name! });
      } else {
        [cur] = await c.globalOps.wait({ project, operation: op.name! });
      }
    }
    return cur;
  };
  const ok = async (p: Promise<[{ latestResponse: unknown }, ...unknown[]]>): Promise<Op> => {
    const done = await wait(await p);
    expect(done.error?.errors ?? []).toEqual([]);
    return done;
  };
  return { t, c, wait, ok };
}

/** The call must fail with this HTTP status and legacy reason. Returns the error body. */
export async function expectError(p: Promise<unknown>, code: number, reason: string): Promise<ReturnType<typeof errorBody>> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected HTTP ${code} ${reason}`).toBeDefined();
  const body = errorBody(caught);
  expect(body.code).toBe(code);
  expect(body.errors?.[0]?.reason).toBe(reason);
  return body;
}

export { PROJECT };
export const REGION = 'us-central1';
