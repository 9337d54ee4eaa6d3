/**
 * GCP default quota limits for a new, billing-enabled project, as the emulator enforces
 * them with `--quotas gcp-defaults`. One row per metric; `scope` says whether the limit
 * is per project ('global') or per project per region ('region').
 *
 * Metric names are what the APIs expose: Compute's Quota.Metric enum (regions.get /
 * projects.get `quotas[]`), Cloud Quotas quota ids for the other services. Units follow
 * the quota (vCPU, GiB, count). Where GCP's own pages and the seed's Appendix 10.1
 * disagree, GCP wins and the row says so: the appendix is what the topology *needs*,
 * and the gap is the shortfall the quota report shows.
 */
export interface QuotaDefault {
  metric: string;
  service: string;
  scope: 'global' | 'region';
  limit: number;
  unit: string;
  source: string;
}

export const QUOTA_DEFAULTS: readonly QuotaDefault[] = [
  // --- Compute Engine, per project (projects.get quotas). Source: Compute Engine
  // "VPC quotas and limits" and `gcloud compute project-info describe` on a new project.
  { metric: 'NETWORKS', service: 'compute.googleapis.com', scope: 'global', limit: 15, unit: 'count', source: 'VPC quotas: networks per project 15 (trial projects show 5)' },
  { metric: 'SUBNETWORKS', service: 'compute.googleapis.com', scope: 'global', limit: 175, unit: 'count', source: 'VPC quotas: subnet ranges per project 175' },
  { metric: 'FIREWALLS', service: 'compute.googleapis.com', scope: 'global', limit: 200, unit: 'count', source: 'VPC quotas: firewall rules per project 200' },
  { metric: 'ROUTES', service: 'compute.googleapis.com', scope: 'global', limit: 250, unit: 'count', source: 'VPC quotas: routes per project 250' },
  { metric: 'ROUTERS', service: 'compute.googleapis.com', scope: 'global', limit: 20, unit: 'count', source: 'Cloud Router quotas: routers per project 20 (ROUTERS-per-project)' },
  { metric: 'GLOBAL_INTERNAL_ADDRESSES', service: 'compute.googleapis.com', scope: 'global', limit: 5000, unit: 'count', source: 'project-info: global internal addresses 5000 (PSA ranges)' },
  { metric: 'STATIC_ADDRESSES', service: 'compute.googleapis.com', scope: 'region', limit: 8, unit: 'count', source: 'regions.get: static external addresses per region 8' },
  { metric: 'IN_USE_ADDRESSES', service: 'compute.googleapis.com', scope: 'region', limit: 8, unit: 'count', source: 'regions.get: in-use external addresses per region 8' },
  { metric: 'CPUS', service: 'compute.googleapis.com', scope: 'region', limit: 24, unit: 'vCPU', source: 'regions.get: CPUS per region 24' },
  { metric: 'FORWARDING_RULES', service: 'compute.googleapis.com', scope: 'global', limit: 15, unit: 'count', source: 'Load balancing quotas: FORWARDING-RULES-per-project 15' },
  { metric: 'GLOBAL_EXTERNAL_MANAGED_FORWARDING_RULES', service: 'compute.googleapis.com', scope: 'global', limit: 15, unit: 'count', source: 'Load balancing quotas: GLOBAL-EXTERNAL-MANAGED-FORWARDING-RULES-per-project 15 (seed says 5)' },
  { metric: 'BACKEND_SERVICES', service: 'compute.googleapis.com', scope: 'global', limit: 50, unit: 'count', source: 'Load balancing quotas: backend services per project 50' },
  { metric: 'HEALTH_CHECKS', service: 'compute.googleapis.com', scope: 'global', limit: 75, unit: 'count', source: 'Load balancing quotas: health checks per project 75' },
  { metric: 'URL_MAPS', service: 'compute.googleapis.com', scope: 'global', limit: 10, unit: 'count', source: 'Load balancing quotas: URL maps per project 10' },
  { metric: 'TARGET_HTTP_PROXIES', service: 'compute.googleapis.com', scope: 'global', limit: 10, unit: 'count', source: 'Load balancing quotas: target HTTP proxies 10' },
  { metric: 'TARGET_HTTPS_PROXIES', service: 'compute.googleapis.com', scope: 'global', limit: 10, unit: 'count', source: 'Load balancing quotas: target HTTPS proxies 10' },
  { metric: 'SSL_CERTIFICATES', service: 'compute.googleapis.com', scope: 'global', limit: 15, unit: 'count', source: 'Load balancing quotas: SSL certificates per project 15' },
  { metric: 'SSL_POLICIES', service: 'compute.googleapis.com', scope: 'global', limit: 10, unit: 'count', source: 'Load balancing quotas: SSL policies per project 10' },
  { metric: 'SECURITY_POLICIES', service: 'compute.googleapis.com', scope: 'global', limit: 10, unit: 'count', source: 'Cloud Armor quotas: security policies per project 10' },
  { metric: 'SECURITY_POLICY_RULES', service: 'compute.googleapis.com', scope: 'global', limit: 200, unit: 'count', source: 'Cloud Armor quotas: rules across policies 200' },
  { metric: 'NETWORK_ENDPOINT_GROUPS', service: 'compute.googleapis.com', scope: 'region', limit: 100, unit: 'count', source: 'NEG quotas: network endpoint groups per region 100' },
  { metric: 'PEERINGS_PER_NETWORK', service: 'compute.googleapis.com', scope: 'global', limit: 25, unit: 'count', source: 'VPC quotas: peering connections per network 25 (seed agrees)' },
  { metric: 'NAT_GATEWAYS_PER_ROUTER', service: 'compute.googleapis.com', scope: 'global', limit: 50, unit: 'count', source: 'Cloud NAT limits: 50 NAT gateways per Cloud Router (seed says 5)' },

  // --- Cloud Run, per project per region. Source: Cloud Run "Quotas and limits" page;
  // the seed's appendix asks 40,000 vCPU, 160 TB and 10,000 instances per region.
  { metric: 'CpuAllocPerProjectRegion', service: 'run.googleapis.com', scope: 'region', limit: 1000, unit: 'vCPU', source: 'Cloud Run quotas page: instances "1000 when using 1 CPU and 1GiB", region-dependent; modelled as 1000 vCPU (seed needs 40,000)' },
  { metric: 'MemAllocPerProjectRegion', service: 'run.googleapis.com', scope: 'region', limit: 4096, unit: 'GiB', source: 'Cloud Run quotas page gives no fixed figure (region-dependent); modelled as 4 TiB (seed needs 160 TB)' },
  { metric: 'ServicesPerProjectRegion', service: 'run.googleapis.com', scope: 'region', limit: 1000, unit: 'count', source: 'Cloud Run quotas page: maximum number of services 1000 per project and region (cannot be increased)' },
  { metric: 'MaxInstancesPerProjectRegion', service: 'run.googleapis.com', scope: 'region', limit: 1000, unit: 'count', source: 'Cloud Run quotas: instances per region 1000 (seed agrees on the default, needs 10,000)' },

  // --- Memorystore for Redis, per project per region. GCP: "Redis capacity per region
  // 1 TB" (the notes); the seed's appendix claims 300 GB — we keep GCP's figure; the seed's
  // 2 TB need is a shortfall either way.
  { metric: 'REDIS_GB', service: 'redis.googleapis.com', scope: 'region', limit: 1000, unit: 'GB', source: 'Memorystore Redis quotas: 1 TB total capacity per region (seed says 300 GB default, needs 2 TB)' },

  // --- Cloud SQL, per project. GCP: up to 1000 instances per project; the seed's
  // "default 10" predates that.
  { metric: 'SQL_INSTANCES', service: 'sqladmin.googleapis.com', scope: 'global', limit: 1000, unit: 'count', source: 'Cloud SQL quotas: 1000 instances per project (seed says 10)' },

  // --- Serverless VPC Access, per project per region.
  { metric: 'VPC_ACCESS_CONNECTORS', service: 'vpcaccess.googleapis.com', scope: 'region', limit: 25, unit: 'count', source: 'Serverless VPC Access: connectors per region 25 (no seed figure)' },
];

export function quotaDefault(metric: string): QuotaDefault | undefined {
  return QUOTA_DEFAULTS.find((q) => q.metric === metric);
}
