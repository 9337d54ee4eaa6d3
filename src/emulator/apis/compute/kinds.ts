/**
 * Every Compute kind the emulator serves, listed once. Deleting a resource looks through
 * these collections for anything that still links to it, and each plural here gets an
 * aggregatedList route. The order is the order in which users of a resource are reported
 * ("already being used by ..." names the first).
 */
import { globalAddresses, regionAddresses } from './addresses.js';
import { backendServices } from './backend-services.js';
import { firewalls } from './firewalls.js';
import { globalForwardingRules } from './forwarding-rules.js';
import { healthChecks } from './health-checks.js';
import { regionNetworkEndpointGroups } from './network-endpoint-groups.js';
import { networks } from './networks.js';
import { routers } from './routers.js';
import { securityPolicies } from './security-policies.js';
import type { KindDef } from './shared/resource.js';
import { sslCertificates } from './ssl-certificates.js';
import { sslPolicies } from './ssl-policies.js';
import { subnetworks } from './subnetworks.js';
import { targetHttpProxies, targetHttpsProxies } from './target-proxies.js';
import { urlMaps } from './url-maps.js';

export const COMPUTE_KINDS: readonly KindDef[] = [
  globalAddresses,
  regionAddresses,
  backendServices,
  firewalls,
  urlMaps,
  globalForwardingRules,
  healthChecks,
  regionNetworkEndpointGroups,
  networks,
  routers,
  securityPolicies,
  sslCertificates,
  sslPolicies,
  subnetworks,
  targetHttpsProxies,
  targetHttpProxies,
];
