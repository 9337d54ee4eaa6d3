/**
 * The quotas Cloud Quotas exposes, mapped onto the emulator's quota book (ctx.quotas).
 *
 * Compute ids follow GCP's public naming: metric NETWORKS -> quotaId
 * `NETWORKS-per-project`, metric `compute.googleapis.com/networks`; regional ones end in
 * `-per-project-region` and have a `region` dimension. Other services use the ids the
 * Cloud Quotas console shows (Cloud Run `CpuAllocPerProjectRegion`, ...).
 */
import { QUOTA_DEFAULTS, type QuotaDefault } from '../../core/quota-defaults.js';

export interface QuotaEntry {
  service: string;
  quotaId: string;
  /** Metric name in the quota book (ctx.quotas). */
  bookMetric: string;
  metric: string;
  scope: 'global' | 'region';
  unit: string;
  displayName: string;
  defaultLimit: number;
  /** A hard limit GCP does not raise (no quota preference can change it). */
  isFixed: boolean;
}

const NON_COMPUTE: Record<string, { quotaId: string; metric: string; displayName: string }> = {
  CpuAllocPerProjectRegion: { quotaId: 'CpuAllocPerProjectRegion', metric: 'run.googleapis.com/cpu_allocation', displayName: 'Total CPU allocation (vCPU) per project per region' },
  MemAllocPerProjectRegion: { quotaId: 'MemAllocPerProjectRegion', metric: 'run.googleapis.com/mem_allocation', displayName: 'Total memory allocation (GiB) per project per region' },
  MaxInstancesPerProjectRegion: { quotaId: 'MaxInstancesPerProjectRegion', metric: 'run.googleapis.com/max_instances', displayName: 'Maximum instances per project per region' },
  REDIS_GB: { quotaId: 'TotalCapacityGbPerProjectPerRegion', metric: 'redis.googleapis.com/total_capacity_gb', displayName: 'Total Redis capacity (GB) per project per region' },
  SQL_INSTANCES: { quotaId: 'InstancesPerProject', metric: 'sqladmin.googleapis.com/instances', displayName: 'Cloud SQL instances per project' },
  VPC_ACCESS_CONNECTORS: { quotaId: 'ConnectorsPerProjectRegion', metric: 'vpcaccess.googleapis.com/connectors', displayName: 'Serverless VPC Access connectors per project per region' },
};

/** Hard limits: visible, not adjustable. */
const FIXED = new Set(['NAT_GATEWAYS_PER_ROUTER']);

function entryOf(d: QuotaDefault): QuotaEntry {
  const named = NON_COMPUTE[d.metric];
  const kebab = d.metric.replace(/_/g, '-');
  return {
    service: d.service,
    quotaId: named?.quotaId ?? `${kebab}-per-project${d.scope === 'region' ? '-region' : ''}`,
    bookMetric: d.metric,
    metric: named?.metric ?? `${d.service}/${d.metric.toLowerCase()}`,
    scope: d.scope,
    unit: d.unit === 'count' ? '1' : `1/{${d.unit}}`,
    displayName: named?.displayName ?? `${d.metric.toLowerCase().replace(/_/g, ' ')} per project${d.scope === 'region' ? ' per region' : ''}`,
    defaultLimit: d.limit,
    isFixed: FIXED.has(d.metric),
  };
}

export function catalog(): QuotaEntry[] {
  return QUOTA_DEFAULTS.map(entryOf);
}

export function findQuota(service: string, quotaId: string): QuotaEntry | undefined {
  return catalog().find((e) => e.service === service && (e.quotaId === quotaId || e.bookMetric === quotaId));
}
