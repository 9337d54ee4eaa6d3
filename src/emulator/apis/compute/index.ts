import type { ApiModule, EmulatorContext, Route } from '../../core/types.js';
import { addressRoutes } from './addresses.js';
import { backendServiceRoutes } from './backend-services.js';
import { firewallRoutes } from './firewalls.js';
import { forwardingRuleRoutes } from './forwarding-rules.js';
import { healthCheckRoutes } from './health-checks.js';
import { negRoutes } from './network-endpoint-groups.js';
import { networkRoutes } from './networks.js';
import { regionRoutes } from './regions.js';
import { routerRoutes } from './routers.js';
import { securityPolicyRoutes } from './security-policies.js';
import { checkRegion } from './shared/geo.js';
import { operationRoutes, registerOperationCompleter } from './shared/operations.js';
import { COMPUTE_KINDS } from './kinds.js';
import { aggregatedRoutes, registerKinds } from './shared/resource.js';
import { sslCertificateRoutes } from './ssl-certificates.js';
import { sslPolicyRoutes } from './ssl-policies.js';
import { subnetworkRoutes } from './subnetworks.js';
import { targetProxyRoutes } from './target-proxies.js';
import { urlMapRoutes } from './url-maps.js';

/** Compute Engine v1: the VPC and global HTTPS load balancer surface the topology deploys. */
export const computeApi: ApiModule = {
  name: 'compute',
  routes(ctx: EmulatorContext): Route[] {
    registerOperationCompleter(ctx);
    registerKinds(ctx, COMPUTE_KINDS);
    return [
      ...operationRoutes(checkRegion),
      ...regionRoutes(),
      ...networkRoutes(),
      ...subnetworkRoutes(),
      ...routerRoutes(),
      ...firewallRoutes(),
      ...addressRoutes(),
      ...negRoutes(),
      ...healthCheckRoutes(),
      ...backendServiceRoutes(),
      ...urlMapRoutes(),
      ...targetProxyRoutes(),
      ...forwardingRuleRoutes(),
      ...securityPolicyRoutes(),
      ...sslCertificateRoutes(),
      ...sslPolicyRoutes(),
      ...aggregatedRoutes(COMPUTE_KINDS),
    ];
  },
};

export default computeApi;

// Seams for other APIs (Service Networking peers VPCs and checks reserved ranges).
export { addPeering, updatePeering, removePeering, getNetwork, type Peering } from './networks.js';
export { getGlobalAddress } from './addresses.js';
// Seam for the local load balancer front door (the data plane serves it).
export { frontDoorSnapshot, type FrontDoorBackend, type FrontDoorEndpoint, type FrontDoorListener } from './front-door.js';
