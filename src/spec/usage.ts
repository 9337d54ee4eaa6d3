import { z } from 'zod';

/**
 * The spec's `usage:` section: traffic and volume assumptions that drive the cost model
 * (like a usage file in the cost tools people know). Owned by the cost model (src/cost);
 * src/spec composes it into the full spec schema.
 *
 * Every field is optional here so a spec that is only deployed never needs one; the cost
 * model says which ones it needs (and names the field) when an estimate is asked for.
 */
const nonNegative = z.number().nonnegative();
const positive = z.number().positive();

/** The volumes the estimate prices; also the shape `optimized.usage` may partially replace. */
const VolumesShape = {
  requestsPerMonth: nonNegative.optional().describe('HTTP requests served a month, all regions'),
  internetEgressGb: nonNegative.optional().describe('Internet egress a month, GB (GiB in Google price lists)'),
  lbDataProcessedGb: nonNegative.optional().describe('Load balancer data processed a month, GB'),
  cdnCacheEgressGb: nonNegative.optional().describe('Cloud CDN cache egress a month, GB'),
  cdnCacheLookupsPerMonth: nonNegative.optional().describe('Cloud CDN cache lookups a month (default: requestsPerMonth)'),
  storageGb: nonNegative.optional().describe('Cloud Storage stored, GB-month, spread over the vector buckets'),
  logVolumeGb: nonNegative.optional().describe('Cloud Logging ingested a month, GB'),
  monitoringMib: nonNegative.optional().describe('Cloud Monitoring metric data ingested a month, MiB'),
  traceSpansPerMonth: nonNegative.optional().describe('Cloud Trace spans ingested a month'),
  pubsubGb: nonNegative.optional().describe('Pub/Sub throughput a month (publish + deliver), GB'),
  secretAccessesPerMonth: nonNegative.optional().describe('Secret Manager access operations a month'),
  natDataProcessedGb: nonNegative.optional().describe('Cloud NAT data processed a month, GB'),
  armorRequestsPerMonth: nonNegative.optional().describe('Requests evaluated by Cloud Armor a month (default: requestsPerMonth)'),
  sqlBackupGb: nonNegative.optional().describe('Backup storage per Cloud SQL primary, GB (default: its disk size)'),
};

export const BurstSchema = z
  .object({
    multiplier: z.number().min(1).describe('Traffic multiple during an event (the seed: 50x)'),
    hours: positive.describe('Length of one event, hours'),
    eventsPerMonth: nonNegative.describe('Events a month the burst cost is amortised over'),
    redisExtraGb: nonNegative.optional().describe('Memorystore capacity added for the event, GB'),
  })
  .strict();

export const OptimizedSchema = z
  .object({
    commitmentTerm: z.enum(['none', '1y', '3y']).optional().describe('Committed-use term the savings entries are chosen by'),
    usage: z.object(VolumesShape).strict().optional().describe('Volumes after optimisation (e.g. fewer LB bytes through better caching)'),
  })
  .strict();

/**
 * Replaces a line's figure for one price table, with the reason. This is how a template
 * reproduces a document whose figures do not follow from its own stated rates: the
 * estimate still computes the line from rates where it can and reports the difference.
 */
export const OverrideSchema = z
  .object({
    quantity: nonNegative.optional().describe("The line's quantity in its unit (e.g. GB of Redis)"),
    rate: z.number().optional().describe('Price per unit (for burst lines: per event)'),
    amount: z.number().optional().describe('Monthly amount in USD (negative for savings lines)'),
    unit: z.string().optional(),
    reason: z.string().min(1).describe('Why the figure does not follow from the stated rates'),
  })
  .strict()
  .refine((o) => o.quantity !== undefined || o.rate !== undefined || o.amount !== undefined, {
    message: 'an override needs quantity, rate or amount',
  });

export const UsageSchema = z
  .object({
    ...VolumesShape,
    concurrentStreamsTarget: nonNegative.optional().describe('Concurrent streams the topology must carry'),
    averageInstances: nonNegative.optional().describe('Cloud Run instances running on average, all regions (default: sum of minInstances)'),
    burst: BurstSchema.optional().describe('Burst events (the seed section 8.2)'),
    optimized: OptimizedSchema.optional().describe('The optimised scenario (the seed section 8.3)'),
    overrides: z
      .record(z.string(), z.record(z.string(), OverrideSchema))
      .optional()
      .describe('Per price table (seed, list), per line id: a figure that replaces the computed one'),
  })
  .strict();

export type Usage = z.infer<typeof UsageSchema>;
export type UsageVolumes = z.infer<z.ZodObject<typeof VolumesShape>>;
export type BurstUsage = z.infer<typeof BurstSchema>;
export type Override = z.infer<typeof OverrideSchema>;
