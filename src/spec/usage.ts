import { z } from 'zod';

/**
 * The spec's `usage:` section: traffic and volume assumptions that drive the cost model
 * (like a usage file in the cost tools people know). Owned by the cost model (src/cost);
 * src/spec composes it into the full spec schema.
 */
const nonNegative = z.number().nonnegative();

export const UsageSchema = z
  .object({
    requestsPerMonth: nonNegative.optional().describe('HTTP requests served a month, all regions'),
    concurrentStreamsTarget: nonNegative.optional().describe('Concurrent streams the topology must carry'),
    averageInstances: nonNegative.optional().describe('Cloud Run instances running on average, all regions'),
    internetEgressGb: nonNegative.optional().describe('Internet egress a month, GB'),
    lbDataProcessedGb: nonNegative.optional().describe('Load balancer data processed a month, GB'),
    cdnCacheEgressGb: nonNegative.optional().describe('Cloud CDN cache egress a month, GB'),
    storageGb: nonNegative.optional().describe('Cloud Storage stored, GB-month'),
    logVolumeGb: nonNegative.optional().describe('Cloud Logging ingested a month, GB'),
  })
  .strict();

export type Usage = z.infer<typeof UsageSchema>;
