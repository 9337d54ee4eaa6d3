/**
 * The quotas a ruvector topology consumes, and where each is read and raised on GCP.
 *
 * `computeMetric` is the Compute `Quota.Metric` enum value that regions.get / projects.get
 * report (limit AND usage); the others are read from Cloud Quotas quotaInfos (limits only:
 * GCP exposes no usage for them). `quotaId` is what a Cloud Quotas quota preference names.
 */
export type QuotaScope = 'region' | 'global';

export interface QuotaKind {
  /** Stable key used in reports and tests. */
  key: string;
  title: string;
  service: string;
  quotaId: string;
  scope: QuotaScope;
  unit: string;
  computeMetric?: string;
  /** What the seed's Appendix 10.1 asks for, where it names this quota. */
  appendix?: string;
}

export const QUOTA_KINDS: readonly QuotaKind[] = [
  { key: 'run.cpu', title: 'Cloud Run CPU allocation', service: 'run.googleapis.com', quotaId: 'CpuAllocPerProjectRegion', scope: 'region', unit: 'vCPU', appendix: '40,000 vCPU per region' },
  { key: 'run.memory', title: 'Cloud Run memory allocation', service: 'run.googleapis.com', quotaId: 'MemAllocPerProjectRegion', scope: 'region', unit: 'GiB', appendix: '160 TB per region' },
  { key: 'run.instances', title: 'Cloud Run max instances', service: 'run.googleapis.com', quotaId: 'MaxInstancesPerProjectRegion', scope: 'region', unit: 'instances', appendix: '10,000 per region (default 1,000)' },
  { key: 'redis.capacity', title: 'Memorystore Redis capacity', service: 'redis.googleapis.com', quotaId: 'TotalCapacityGbPerProjectPerRegion', scope: 'region', unit: 'GB', appendix: '2 TB total (default 300 GB)' },
  { key: 'sql.instances', title: 'Cloud SQL instances', service: 'sqladmin.googleapis.com', quotaId: 'InstancesPerProject', scope: 'global', unit: 'instances', appendix: '20 per project (default 10)' },
  { key: 'vpcaccess.connectors', title: 'Serverless VPC Access connectors', service: 'vpcaccess.googleapis.com', quotaId: 'ConnectorsPerProjectRegion', scope: 'region', unit: 'connectors' },
  { key: 'compute.networks', title: 'VPC networks', service: 'compute.googleapis.com', quotaId: 'NETWORKS-per-project', scope: 'global', unit: 'networks', computeMetric: 'NETWORKS' },
  { key: 'compute.subnetworks', title: 'Subnet ranges', service: 'compute.googleapis.com', quotaId: 'SUBNETWORKS-per-project', scope: 'global', unit: 'subnets', computeMetric: 'SUBNETWORKS' },
  { key: 'compute.firewalls', title: 'Firewall rules', service: 'compute.googleapis.com', quotaId: 'FIREWALLS-per-project', scope: 'global', unit: 'rules', computeMetric: 'FIREWALLS' },
  { key: 'compute.routers', title: 'Cloud Routers (one NAT each)', service: 'compute.googleapis.com', quotaId: 'ROUTERS-per-project', scope: 'global', unit: 'routers', computeMetric: 'ROUTERS', appendix: 'Cloud NAT gateways: 15 (default 5)' },
  { key: 'compute.peerings', title: 'VPC peerings per network', service: 'compute.googleapis.com', quotaId: 'PEERINGS-PER-NETWORK-per-project', scope: 'global', unit: 'peerings', computeMetric: 'PEERINGS_PER_NETWORK', appendix: '30 (default 25)' },
  { key: 'compute.forwardingRules', title: 'Global external managed forwarding rules', service: 'compute.googleapis.com', quotaId: 'GLOBAL-EXTERNAL-MANAGED-FORWARDING-RULES-per-project', scope: 'global', unit: 'rules', computeMetric: 'GLOBAL_EXTERNAL_MANAGED_FORWARDING_RULES', appendix: '5 (default 5)' },
  { key: 'compute.backendServices', title: 'Backend services', service: 'compute.googleapis.com', quotaId: 'BACKEND-SERVICES-per-project', scope: 'global', unit: 'services', computeMetric: 'BACKEND_SERVICES' },
  { key: 'compute.healthChecks', title: 'Health checks', service: 'compute.googleapis.com', quotaId: 'HEALTH-CHECKS-per-project', scope: 'global', unit: 'checks', computeMetric: 'HEALTH_CHECKS' },
  { key: 'compute.urlMaps', title: 'URL maps', service: 'compute.googleapis.com', quotaId: 'URL-MAPS-per-project', scope: 'global', unit: 'maps', computeMetric: 'URL_MAPS' },
  { key: 'compute.targetHttpsProxies', title: 'Target HTTPS proxies', service: 'compute.googleapis.com', quotaId: 'TARGET-HTTPS-PROXIES-per-project', scope: 'global', unit: 'proxies', computeMetric: 'TARGET_HTTPS_PROXIES' },
  { key: 'compute.targetHttpProxies', title: 'Target HTTP proxies', service: 'compute.googleapis.com', quotaId: 'TARGET-HTTP-PROXIES-per-project', scope: 'global', unit: 'proxies', computeMetric: 'TARGET_HTTP_PROXIES' },
  { key: 'compute.sslCertificates', title: 'SSL certificates', service: 'compute.googleapis.com', quotaId: 'SSL-CERTIFICATES-per-project', scope: 'global', unit: 'certificates', computeMetric: 'SSL_CERTIFICATES' },
  { key: 'compute.securityPolicies', title: 'Cloud Armor security policies', service: 'compute.googleapis.com', quotaId: 'SECURITY-POLICIES-per-project', scope: 'global', unit: 'policies', computeMetric: 'SECURITY_POLICIES' },
  { key: 'compute.securityPolicyRules', title: 'Cloud Armor rules', service: 'compute.googleapis.com', quotaId: 'SECURITY-POLICY-RULES-per-project', scope: 'global', unit: 'rules', computeMetric: 'SECURITY_POLICY_RULES' },
  { key: 'compute.negs', title: 'Network endpoint groups', service: 'compute.googleapis.com', quotaId: 'NETWORK-ENDPOINT-GROUPS-per-project-region', scope: 'region', unit: 'NEGs', computeMetric: 'NETWORK_ENDPOINT_GROUPS' },
];

export function quotaKind(key: string): QuotaKind {
  const k = QUOTA_KINDS.find((q) => q.key === key);
  if (!k) throw new Error(`unknown quota kind ${key}`);
  return k;
}
