import { z } from 'zod';
import { UsageSchema } from './usage.js';
import { parseCidr } from './cidr.js';
import { imageRefProblem } from './image-ref.js';
import { regionConfig } from './regions.js';
// The Avro schema is the contract between the topic we create and the service that publishes to it.
import { VECTOR_UPDATE_SCHEMA } from '../../service/src/replication/schema.js';

/** GCP project ids (the spec's `project`, and --project). */
export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
export const PROJECT_ID_RULE = 'a GCP project id: 6-30 lowercase letters, digits or -, letter first';

/** Status codes Cloud CDN negative caching accepts (BackendServiceCdnPolicyNegativeCachingPolicy). */
export const NEGATIVE_CACHING_CODES = [300, 301, 302, 307, 308, 404, 405, 410, 421, 451, 501];

/**
 * The topology spec: one zod schema that validates YAML and emits the JSON Schema
 * (`ruvector spec schema`, config/ruvector.schema.json). Defaults are the seed's values
 * (infrastructure-design.md), so a one-region spec of a dozen lines is complete.
 *
 * Name fields are templates: `${region}`, `${regionShort}`, `${project}` and, where noted,
 * `${primaryRegion}` (the tier-1 region a region's data follows) are filled in per region
 * by the expansion, and the filled-in names are checked against GCP's naming rules.
 */

export const API_VERSION = 'ruvector.dev/v1alpha1';

const labelKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'label keys: lowercase letter first, then lowercase letters, digits, _ or -, at most 63');
const labelValue = z.string().regex(/^[a-z0-9_-]{0,63}$/, 'label values: lowercase letters, digits, _ or -, at most 63');
const labels = z.record(labelKey, labelValue);
const duration = z.string().regex(/^\d+(\.\d+)?s$/, 'a duration in seconds like "600s"');
const nameTemplate = (what: string) => z.string().min(1).describe(`${what} (template: \${region}, \${regionShort}, \${project})`);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

// ---------- regions and tiers ----------

/**
 * A region appears at most once, so a list longer than the regions there are is wrong as a
 * whole; refused here, it never reaches the per-region checks (whose cost grows with it).
 */
const regionList = z.array(z.string()).superRefine((list, ctx) => {
  const known = regionConfig().valid.length;
  if (list.length > known) ctx.addIssue({ code: 'custom', message: `${list.length} regions listed; GCP has ${known} (each region belongs in one tier, once)` });
});

export const RegionsSchema = z
  .strictObject({
    tier1: regionList.min(1).describe('Tier-1 regions: Cloud SQL primaries, vector buckets, larger sizing'),
    tier2: regionList.default([]).describe('Tier-2 regions: Cloud SQL read replicas of their nearest tier-1 primary'),
    primaryFor: z
      .record(z.string(), z.string())
      .optional()
      .describe("tier-2 region -> tier-1 region whose primary it replicates; overrides the seed's nearest-primary map"),
  })
  .describe('Regions in tiers; the order fixes each region\'s subnet index');

interface TierDefaults {
  run: { minInstances: number; maxInstances: number };
  redis: { memorySizeGb: number };
  sql: { tier: string; availabilityType: 'ZONAL' | 'REGIONAL' };
}

/** Per-tier sizing; each field defaults on its own so a spec may override just one. */
function tierSizing(d: TierDefaults) {
  return z.strictObject({
    run: z
      .strictObject({
        minInstances: int(0, 100_000).default(d.run.minInstances).describe('Cloud Run minimum instances (minScale)'),
        maxInstances: int(1, 100_000).default(d.run.maxInstances).describe('Cloud Run maximum instances (maxScale)'),
      })
      .prefault({})
      .describe('Cloud Run scaling'),
    redis: z
      .strictObject({
        memorySizeGb: z
          .number()
          .int()
          .min(1, 'Memorystore Redis size must be 1-300 GB')
          .max(300, 'Memorystore Redis size must be 1-300 GB')
          .default(d.redis.memorySizeGb),
      })
      .prefault({})
      .describe('Memorystore size'),
    sql: z
      .strictObject({
        tier: z.string().regex(/^db-[a-z0-9-]+$/, 'a Cloud SQL machine tier like db-custom-4-16384').default(d.sql.tier).describe('Cloud SQL machine tier'),
        availabilityType: z.enum(['ZONAL', 'REGIONAL']).default(d.sql.availabilityType).describe('REGIONAL = high availability'),
      })
      .prefault({})
      .describe('Cloud SQL instance shape (tier 1: primaries, tier 2: replicas)'),
  });
}

// The seed's per-tier figures (§1.3 Terraform, §2.1, §3.1). §1.1's Knative YAML and §9.2's
// script say 500/5000 for every region; the per-tier Terraform is the more specific
// statement, so tier 1 is 800/8000 and tier 2 100/1000.
export const TiersSchema = z
  .strictObject({
    tier1: tierSizing({
      run: { minInstances: 800, maxInstances: 8000 },
      redis: { memorySizeGb: 256 },
      sql: { tier: 'db-custom-4-16384', availabilityType: 'REGIONAL' },
    }).prefault({}),
    tier2: tierSizing({
      run: { minInstances: 100, maxInstances: 1000 },
      redis: { memorySizeGb: 128 },
      sql: { tier: 'db-custom-2-8192', availabilityType: 'ZONAL' },
    }).prefault({}),
  })
  .describe('Per-tier sizing');

// ---------- Cloud Run ----------

const ProbeSchema = z.strictObject({
  path: z.string().startsWith('/'),
  initialDelaySeconds: int(0, 240).default(0),
  periodSeconds: int(1, 240).default(10),
  timeoutSeconds: int(1, 240).default(1),
  failureThreshold: int(1, 1000).default(3),
});

const SecretRefSchema = z.strictObject({
  secret: z.string().min(1).describe('Secret Manager secret id (template, may use ${primaryRegion})'),
  version: z.string().default('latest'),
});

/**
 * The seed's env (§1.1), merged under service.env / service.secretEnv: a spec adds or
 * overrides variables without restating the wiring. Values are templates.
 */
export const DEFAULT_ENV: Record<string, string> = {
  REDIS_PORT: '6379',
  DB_HOST: '/cloudsql/${project}:${region}:${sqlInstance}',
  DB_NAME: 'ruvector',
  STORAGE_BUCKET: 'ruvector-vectors-${primaryRegion}',
  PUBSUB_TOPIC: 'projects/${project}/topics/vector-updates',
  RUST_LOG: 'info,ruvector_core=debug',
  REGION: '${region}',
  HNSW_M: '32',
  HNSW_EF_CONSTRUCTION: '200',
  HNSW_EF_SEARCH: '100',
  QUANTIZATION_ENABLED: 'true',
  CACHE_SIZE_GB: '8',
};

export const DEFAULT_SECRET_ENV: Record<string, { secret: string; version: string }> = {
  REDIS_HOST: { secret: 'ruvector-redis-host-${region}', version: 'latest' },
  DB_USER: { secret: 'ruvector-db-user', version: 'latest' },
  DB_PASSWORD: { secret: 'ruvector-db-password-${primaryRegion}', version: 'latest' },
  // Writes need an API key (the service refuses them without one); one key for the topology.
  RUVECTOR_API_KEY: { secret: 'ruvector-api-key', version: 'latest' },
};

export const ServiceSchema = z
  .strictObject({
    name: z.string().default('ruvector-streaming').describe('Cloud Run service name (same in every region)'),
    image: z
      .string()
      .min(1, imageRefProblem(''))
      .superRefine((v, ctx) => {
        const problem = v === '' ? undefined : imageRefProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('Container image, e.g. gcr.io/PROJECT/ruvector:v1.0.0'),
    port: int(1, 65535).default(8080),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1000, 'Cloud Run allows at most 1000 concurrent requests per instance')
      .default(100)
      .describe('containerConcurrency'),
    timeoutSeconds: int(1, 3600).default(300),
    resources: z
      .strictObject({
        limits: z.strictObject({ cpu: z.string().default('4'), memory: z.string().default('16Gi') }).prefault({}),
        // Cloud Run v2 has no requests; kept so the seed is expressible, not sent to the API.
        requests: z.strictObject({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
      })
      .prefault({}),
    executionEnvironment: z.enum(['gen1', 'gen2']).default('gen2'),
    startupCpuBoost: z.boolean().default(true),
    cpuThrottling: z.boolean().default(false).describe('false = CPU always allocated'),
    launchStage: z.enum(['GA', 'BETA', 'ALPHA']).default('GA'),
    ingress: z.enum(['all', 'internal', 'internal-and-cloud-load-balancing']).default('all'),
    vpcEgress: z.enum(['private-ranges-only', 'all-traffic']).default('private-ranges-only'),
    allowUnauthenticated: z.boolean().default(true).describe('grant roles/run.invoker to allUsers (Cloud Armor in front)'),
    probes: z
      .strictObject({
        // The seed's startup probe (period 1s, timeout 3s) breaks Cloud Run's timeout <= period
        // rule; the default keeps its 4-minute budget with a 1s timeout.
        startup: ProbeSchema.prefault({ path: '/health/startup', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 240 }),
        liveness: ProbeSchema.prefault({ path: '/health/live', initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }),
        readiness: ProbeSchema.prefault({ path: '/health/ready', initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }),
      })
      .prefault({}),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe('Env vars (templates: ${region}, ${project}, ${primaryRegion}, ${sqlInstance}, ${tier}), merged over the seed\'s; "" removes one'),
    secretEnv: z
      .record(z.string(), SecretRefSchema)
      .optional()
      .describe("Env vars from Secret Manager, merged over the seed's (REDIS_HOST, DB_USER, DB_PASSWORD)"),
  })
  .describe('The Cloud Run service, deployed to every region');

// ---------- Memorystore ----------

export const RedisSchema = z
  .strictObject({
    name: nameTemplate('instance id').default('ruvector-redis-${region}'),
    tier: z.enum(['BASIC', 'STANDARD_HA']).default('STANDARD_HA'),
    redisVersion: z.string().regex(/^REDIS_\d+_\d+$/).default('REDIS_7_0'),
    replicaCount: int(0, 5).default(1),
    readReplicasMode: z.enum(['READ_REPLICAS_ENABLED', 'READ_REPLICAS_DISABLED']).default('READ_REPLICAS_ENABLED'),
    connectMode: z.enum(['PRIVATE_SERVICE_ACCESS', 'DIRECT_PEERING']).default('PRIVATE_SERVICE_ACCESS'),
    redisConfigs: z.record(z.string(), z.string()).default({
      'maxmemory-policy': 'allkeys-lru',
      timeout: '300',
      'tcp-keepalive': '60',
      'maxmemory-samples': '10',
      activedefrag: 'yes',
      'active-defrag-cycle-min': '5',
      'active-defrag-cycle-max': '75',
      'lfu-log-factor': '10',
      'lfu-decay-time': '1',
    }),
    maintenance: z
      .strictObject({
        day: z.enum(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']).default('SUNDAY'),
        hour: int(0, 23).default(2),
        minute: int(0, 59).default(0),
      })
      .prefault({}),
    labels: labels.default({ environment: 'production', service: 'ruvector' }),
    preventDestroy: z.boolean().default(true),
  })
  .describe('Memorystore for Redis, one instance per region (size per tier)');

// ---------- Cloud SQL ----------

export const SqlSchema = z
  .strictObject({
    primaryName: nameTemplate('primary instance id').default('ruvector-db-${region}'),
    replicaName: nameTemplate('replica instance id').default('ruvector-db-${region}-replica'),
    databaseVersion: z.string().regex(/^POSTGRES_\d+$/).default('POSTGRES_15'),
    edition: z.enum(['ENTERPRISE', 'ENTERPRISE_PLUS']).default('ENTERPRISE').describe('stated explicitly: the API default changed for new Postgres versions'),
    diskType: z.enum(['PD_SSD', 'PD_HDD']).default('PD_SSD'),
    diskSizeGb: int(10, 65_536).default(100),
    diskAutoresize: z.boolean().default(true),
    diskAutoresizeLimitGb: int(0, 65_536).default(500),
    backup: z
      .strictObject({
        enabled: z.boolean().default(true),
        startTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (UTC)').default('03:00'),
        pointInTimeRecovery: z.boolean().default(true),
        transactionLogRetentionDays: int(1, 35).default(7),
        retainedBackups: int(1, 365).default(30),
      })
      .prefault({}),
    flags: z.record(z.string(), z.string()).default({
      max_connections: '1000',
      // The seed writes 4096MB / 12GB / 1GB / 16MB; Cloud SQL takes plain numbers in the
      // flag's own unit (8 kB pages, or kB for maintenance_work_mem): same values.
      shared_buffers: '524288',
      effective_cache_size: '1572864',
      maintenance_work_mem: '1048576',
      checkpoint_completion_target: '0.9',
      wal_buffers: '2048',
      default_statistics_target: '100',
      random_page_cost: '1.1',
      effective_io_concurrency: '200',
    }),
    maintenance: z
      .strictObject({
        day: int(1, 7).default(7).describe('1 = Monday ... 7 = Sunday'),
        hour: int(0, 23).default(3),
        updateTrack: z.enum(['stable', 'canary', 'week5']).default('stable'),
      })
      .prefault({}),
    insights: z
      .strictObject({
        queryInsightsEnabled: z.boolean().default(true),
        queryPlansPerMinute: int(0, 20).default(5),
        queryStringLength: int(256, 4500).default(4096),
        recordApplicationTags: z.boolean().default(true),
      })
      .prefault({}),
    ipv4Enabled: z.boolean().default(false).describe('false = private IP only'),
    requireSsl: z.boolean().default(true),
    deletionProtection: z.boolean().default(true),
    preventDestroy: z.boolean().default(true),
    replicaFailoverTarget: z.boolean().default(false),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/).default('ruvector'),
    user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,62}$/).default('ruvector'),
  })
  .describe('Cloud SQL for PostgreSQL: primaries in tier 1, read replicas in tier 2');

// ---------- Cloud Storage ----------

const LifecycleRuleSchema = z.strictObject({
  action: z.strictObject({
    type: z.enum(['Delete', 'SetStorageClass', 'AbortIncompleteMultipartUpload']),
    storageClass: z.enum(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE']).optional(),
  }),
  condition: z.strictObject({
    age: z.number().int().nonnegative().optional(),
    numNewerVersions: z.number().int().nonnegative().optional(),
    daysSinceNoncurrentTime: z.number().int().nonnegative().optional(),
    isLive: z.boolean().optional(),
  }),
});

const CorsSchema = z.strictObject({
  origin: z.array(z.string()),
  method: z.array(z.string()),
  responseHeader: z.array(z.string()).default([]),
  maxAgeSeconds: z.number().int().nonnegative().default(3600),
});

export const StorageSchema = z
  .strictObject({
    vectors: z
      .strictObject({
        name: nameTemplate('bucket name').default('ruvector-vectors-${region}'),
        storageClass: z.enum(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE']).default('STANDARD'),
        versioning: z.boolean().default(true),
        lifecycleRules: z.array(LifecycleRuleSchema).default([
          { condition: { age: 30, numNewerVersions: 3 }, action: { type: 'Delete' } },
          { condition: { age: 7, daysSinceNoncurrentTime: 7 }, action: { type: 'SetStorageClass', storageClass: 'NEARLINE' } },
        ]),
        cors: z.array(CorsSchema).default([]),
        kmsKeyName: z.string().optional().describe('CMEK key (template); the key ring must exist'),
        accessLogPrefix: z.string().default('storage-logs/${region}/'),
        publicAccessPrevention: z.enum(['enforced', 'inherited']).default('enforced'),
        uniformBucketLevelAccess: z.boolean().default(true),
        labels: labels.default({ environment: 'production', service: 'ruvector' }),
        forceDestroy: z
          .boolean()
          .default(false)
          .describe('destroy deletes the bucket\'s objects (every version) with it; otherwise destroy stops at a bucket that holds data'),
      })
      .prefault({})
      .describe('Vector buckets, one per tier-1 region'),
    logs: z
      .strictObject({
        name: nameTemplate('bucket name').default('ruvector-logs-${project}'),
        location: z.string().default('US'),
        storageClass: z.enum(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE']).default('COLDLINE'),
        deleteAfterDays: z.number().int().positive().default(90),
        publicAccessPrevention: z.enum(['enforced', 'inherited']).default('enforced'),
      })
      .prefault({})
      .describe('The access-log bucket'),
  })
  .describe('Cloud Storage');

// ---------- Pub/Sub ----------

const SubscriptionSchema = z.strictObject({
  name: nameTemplate('subscription id, one per region'),
  ackDeadlineSeconds: int(10, 600).default(10),
  messageRetention: duration.default('604800s'),
  retryPolicy: z.strictObject({ minimumBackoff: duration, maximumBackoff: duration }).optional(),
  neverExpire: z.boolean().default(false),
  pushPath: z.string().startsWith('/').describe('path on the region\'s Cloud Run service; authenticated with an OIDC token of the region\'s service account'),
  attributes: z.record(z.string(), z.string()).optional(),
  deadLetter: z.strictObject({ topic: z.string(), maxDeliveryAttempts: int(5, 100).default(5) }).optional(),
});

const TopicSchema = z.strictObject({
  name: z.string().describe('topic id'),
  persistenceRegions: z
    .union([z.array(z.string()), z.literal('tier1')])
    .optional()
    .describe('allowed persistence regions, or "tier1" for the tier-1 regions'),
  messageRetention: duration.optional(),
  schema: z
    .strictObject({
      name: z.string(),
      type: z.enum(['AVRO', 'PROTOCOL_BUFFER']).default('AVRO'),
      definition: z.union([z.string(), z.record(z.string(), z.unknown())]).describe('Avro schema (YAML object or JSON text)'),
      encoding: z.enum(['JSON', 'BINARY']).default('JSON'),
    })
    .optional(),
  subscription: SubscriptionSchema.optional().describe('a push subscription per region'),
});

export const DEFAULT_TOPICS: z.input<typeof TopicSchema>[] = [
  {
    name: 'vector-updates',
    persistenceRegions: ['us-central1', 'europe-west1', 'asia-northeast1'],
    schema: { name: 'vector-update-schema', type: 'AVRO', definition: VECTOR_UPDATE_SCHEMA, encoding: 'JSON' },
    subscription: {
      name: 'vector-updates-${region}',
      ackDeadlineSeconds: 30,
      messageRetention: '86400s',
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      neverExpire: true,
      pushPath: '/api/v1/pubsub/vector-updates',
      attributes: { 'x-goog-version': 'v1' },
      deadLetter: { topic: 'dead-letter', maxDeliveryAttempts: 5 },
    },
  },
  {
    name: 'agent-coordination',
    persistenceRegions: 'tier1',
    subscription: { name: 'agent-coordination-${region}', ackDeadlineSeconds: 20, messageRetention: '3600s', pushPath: '/api/v1/pubsub/agent-coordination' },
  },
  { name: 'task-distribution', persistenceRegions: 'tier1' },
  { name: 'dead-letter', messageRetention: '604800s' },
];

export const PubSubSchema = z
  .strictObject({ topics: z.array(TopicSchema).default(DEFAULT_TOPICS as z.output<typeof TopicSchema>[]) })
  .describe('Pub/Sub topics, schemas and per-region push subscriptions');

// ---------- networking ----------

// The shape alone let 10.0.0.0/99 and 300.1.2.3/8 through to the API.
const CIDR_SHAPE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const cidrOf = (prefix?: number) =>
  z
    .string()
    // The pattern stays for editors (JSON Schema); the refinement says what is out of range.
    .regex(prefix === undefined ? CIDR_SHAPE : new RegExp(`^(\\d{1,3}\\.){3}\\d{1,3}\\/${prefix}$`), prefix === undefined ? 'an IPv4 CIDR like 10.0.0.0/8' : `a /${prefix} IPv4 CIDR (VPC Access connectors need one)`)
    .superRefine((v, ctx) => {
      // Shape errors are the pattern's to report; this is for parts out of range.
      if (CIDR_SHAPE.test(v) && !parseCidr(v)) ctx.addIssue({ code: 'custom', message: `"${v}" is not an IPv4 CIDR: each part is 0-255 and the prefix 0-32` });
    });
const cidr = cidrOf();

const FirewallSchema = z.strictObject({
  name: z.string(),
  direction: z.enum(['INGRESS', 'EGRESS']).default('INGRESS'),
  priority: int(0, 65535).default(1000),
  allow: z.array(z.strictObject({ protocol: z.string(), ports: z.array(z.string()).optional() })).optional(),
  deny: z.array(z.strictObject({ protocol: z.string(), ports: z.array(z.string()).optional() })).optional(),
  sourceRanges: z.array(cidr).default([]),
  targetTags: z.array(z.string()).optional(),
});

export const DEFAULT_FIREWALLS: z.input<typeof FirewallSchema>[] = [
  {
    name: 'ruvector-allow-internal',
    allow: [{ protocol: 'tcp', ports: ['0-65535'] }, { protocol: 'udp', ports: ['0-65535'] }, { protocol: 'icmp' }],
    sourceRanges: ['10.0.0.0/8'],
  },
  {
    name: 'ruvector-allow-health-checks',
    allow: [{ protocol: 'tcp', ports: ['8080', '443'] }],
    sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
    targetTags: ['ruvector'],
  },
  { name: 'ruvector-deny-all-ingress', priority: 65535, deny: [{ protocol: 'all' }], sourceRanges: ['0.0.0.0/0'] },
];

export const NetworkSchema = z
  .strictObject({
    name: z.string().default('ruvector-vpc'),
    routingMode: z.enum(['GLOBAL', 'REGIONAL']).default('GLOBAL'),
    subnets: z
      .strictObject({
        name: nameTemplate('subnet name').default('ruvector-subnet-${region}'),
        baseCidr: cidr.default('10.0.0.0/8').describe('subnet i = cidrsubnet(baseCidr, newBits, i), i = region index'),
        newBits: int(1, 24).default(8),
        secondaryRanges: z
          .record(z.string(), z.number().int().nonnegative())
          .default({ pods: 100, services: 200 })
          .describe('range name -> index offset: cidrsubnet(baseCidr, newBits, i + offset)'),
        overrides: z
          .record(z.string(), z.strictObject({ ipCidrRange: cidr, secondaryRanges: z.record(z.string(), cidr).optional() }))
          .optional()
          .describe('region -> explicit ranges, instead of the computed layout'),
        privateIpGoogleAccess: z.boolean().default(true),
        flowLogs: z
          .strictObject({
            aggregationInterval: z.enum(['INTERVAL_5_SEC', 'INTERVAL_30_SEC', 'INTERVAL_1_MIN', 'INTERVAL_5_MIN', 'INTERVAL_10_MIN', 'INTERVAL_15_MIN']).default('INTERVAL_5_SEC'),
            flowSampling: z.number().min(0).max(1).default(0.5),
            metadata: z.enum(['INCLUDE_ALL_METADATA', 'EXCLUDE_ALL_METADATA']).default('INCLUDE_ALL_METADATA'),
          })
          .optional()
          .prefault({}),
      })
      .prefault({}),
    connector: z
      .strictObject({
        name: nameTemplate('VPC Access connector name (max 25 chars)').default('ruvector-conn-${regionShort}'),
        subnetName: nameTemplate('connector subnet name').default('connector-subnet-${region}'),
        // The seed lays connector subnets out as cidrsubnet(10.129.0.0/16, 8, i) = /24, but a
        // VPC Access connector subnet must be a /28: we keep the seed's addresses and use the
        // first /28 of each.
        baseCidr: cidr.default('10.129.0.0/16').describe('connector subnet i = first /28 of cidrsubnet(baseCidr, newBits, i)'),
        newBits: int(1, 20).default(8),
        overrides: z
          .record(z.string(), cidrOf(28))
          .optional()
          .describe('region -> explicit connector subnet range, instead of the computed layout'),
        minThroughput: int(200, 1000).default(200),
        maxThroughput: int(300, 1000).default(1000),
        machineType: z.enum(['f1-micro', 'e2-micro', 'e2-standard-4']).optional(),
      })
      .prefault({}),
    nat: z
      .strictObject({
        routerName: nameTemplate('router name').default('ruvector-router-${region}'),
        name: nameTemplate('NAT name').default('ruvector-nat-${region}'),
        natIpAllocateOption: z.enum(['AUTO_ONLY', 'MANUAL_ONLY']).default('AUTO_ONLY'),
        sourceSubnetworkIpRangesToNat: z
          .enum(['ALL_SUBNETWORKS_ALL_IP_RANGES', 'ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES', 'LIST_OF_SUBNETWORKS'])
          .default('ALL_SUBNETWORKS_ALL_IP_RANGES'),
        logFilter: z.enum(['ERRORS_ONLY', 'TRANSLATIONS_ONLY', 'ALL']).default('ERRORS_ONLY'),
      })
      .prefault({}),
    firewalls: z.array(FirewallSchema).default(DEFAULT_FIREWALLS as z.output<typeof FirewallSchema>[]),
    privateServiceAccess: z
      .strictObject({
        ranges: z
          .array(z.strictObject({ name: z.string(), prefixLength: int(8, 29).default(16), address: z.string().optional() }))
          .default([
            { name: 'ruvector-redis-private-ip', prefixLength: 16 },
            { name: 'ruvector-sql-private-ip', prefixLength: 16 },
          ]),
      })
      .prefault({}),
  })
  .describe('VPC, subnets, connectors, Cloud NAT, firewalls, private service access');

// ---------- load balancer and Cloud Armor ----------

export const LoadBalancerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    addressName: z.string().default('ruvector-global-ip'),
    domains: z.array(z.string()).default(['ruvector.example.com']),
    certificateName: z.string().default('ruvector-ssl-cert'),
    sslPolicy: z
      .strictObject({
        name: z.string().default('ruvector-ssl-policy'),
        profile: z.enum(['COMPATIBLE', 'MODERN', 'RESTRICTED']).default('MODERN'),
        minTlsVersion: z.enum(['TLS_1_0', 'TLS_1_1', 'TLS_1_2']).default('TLS_1_2'),
      })
      .prefault({}),
    negName: nameTemplate('serverless NEG name').default('ruvector-neg-${region}'),
    healthCheck: z
      .strictObject({
        // The seed attaches a health check to each backend, but GCP rejects health checks on
        // backend services whose backends are serverless NEGs; the default leaves them out.
        enabled: z
          .boolean()
          .default(false)
          .describe("create the seed's per-region health checks and attach them (GCP rejects this for serverless NEG backends; validate warns)"),
        name: nameTemplate('health check name').default('ruvector-health-check-${region}'),
        checkIntervalSec: int(1, 300).default(5),
        timeoutSec: int(1, 300).default(3),
        healthyThreshold: int(1, 10).default(2),
        unhealthyThreshold: int(1, 10).default(3),
        port: int(1, 65535).default(8080),
        requestPath: z.string().default('/health/ready'),
      })
      .prefault({}),
    backend: z
      .strictObject({
        name: nameTemplate('backend service name').default('ruvector-backend-${region}'),
        protocol: z.enum(['HTTP', 'HTTPS', 'HTTP2']).default('HTTP2'),
        portName: z.string().default('http'),
        timeoutSec: int(1, 86_400).default(300),
        enableCdn: z.boolean().default(true),
        sessionAffinity: z.enum(['NONE', 'CLIENT_IP', 'GENERATED_COOKIE', 'HTTP_COOKIE']).default('CLIENT_IP'),
        affinityCookieTtlSec: int(0, 1_209_600).default(300),
        balancingMode: z.enum(['UTILIZATION', 'RATE']).default('UTILIZATION'),
        capacityScaler: z.number().min(0).max(1).default(1),
        maxUtilization: z.number().min(0).max(1).default(0.8),
        cdn: z
          .strictObject({
            cacheMode: z.enum(['CACHE_ALL_STATIC', 'USE_ORIGIN_HEADERS', 'FORCE_CACHE_ALL']).default('CACHE_ALL_STATIC'),
            defaultTtl: int(0, 31_622_400).default(30),
            maxTtl: int(0, 31_622_400).default(300),
            clientTtl: int(0, 31_622_400).default(30),
            negativeCaching: z.boolean().default(true),
            // GCP accepts negative caching only for these codes (429 is not among them, though
            // the seed lists it; rate-limit answers are never cached).
            negativeCachingPolicy: z
              .array(
                z.strictObject({
                  code: z
                    .number()
                    .int()
                    .refine((c) => NEGATIVE_CACHING_CODES.includes(c), { message: `Cloud CDN negative caching accepts only ${NEGATIVE_CACHING_CODES.join(', ')}` }),
                  ttl: int(0, 1800),
                }),
              )
              .default([{ code: 404, ttl: 60 }]),
            includeProtocol: z.boolean().default(true),
            includeHost: z.boolean().default(true),
            includeQueryString: z.boolean().default(true),
            queryStringWhitelist: z.array(z.string()).default(['query_vector_id', 'k', 'metric']),
          })
          .prefault({}),
        logSampleRate: z.number().min(0).max(1).default(0.1),
      })
      .prefault({}),
    urlMapName: z.string().default('ruvector-url-map'),
    defaultRegion: z.string().optional().describe('region whose backend is the default service; default: first tier-1 region'),
    clientRegionRoutes: z
      .array(z.strictObject({ value: z.string(), region: z.string() }))
      .default([
        { value: 'us', region: 'us-central1' },
        { value: 'eu', region: 'europe-west1' },
        { value: 'asia', region: 'asia-northeast1' },
      ])
      .describe('X-Client-Region header value -> region, in priority order'),
    httpsProxyName: z.string().default('ruvector-https-proxy'),
    httpsForwardingRuleName: z.string().default('ruvector-https-forwarding'),
    httpRedirect: z.boolean().default(true),
    redirectUrlMapName: z.string().default('ruvector-redirect'),
    httpProxyName: z.string().default('ruvector-http-proxy'),
    httpForwardingRuleName: z.string().default('ruvector-http-forwarding'),
  })
  .describe('Global external HTTPS load balancer with serverless NEGs per region');

export const ArmorSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    name: z.string().default('ruvector-security-policy'),
    rateLimit: z
      .strictObject({
        priority: int(0, 2_147_483_646).default(1000),
        count: int(1, 1_000_000).default(100),
        intervalSec: z.union([z.literal(10), z.literal(30), z.literal(60), z.literal(120), z.literal(180), z.literal(240), z.literal(300), z.literal(600), z.literal(900), z.literal(1200), z.literal(1800), z.literal(2700), z.literal(3600)]).default(10),
        banDurationSec: int(1, 86_400).default(600),
        enforceOnKey: z.enum(['ALL', 'IP', 'HTTP_HEADER', 'XFF_IP', 'HTTP_COOKIE', 'HTTP_PATH', 'SNI', 'REGION_CODE']).default('IP'),
        exceedAction: z.string().default('deny(429)'),
      })
      .prefault({}),
    denyIps: z
      .strictObject({ priority: int(0, 2_147_483_646).default(100), ranges: z.array(cidr).max(10, 'Cloud Armor allows at most 10 ranges per rule').default([]) })
      .prefault({})
      .describe('blocked source ranges; the rule is left out while the list is empty (GCP rejects an empty match)'),
    sqli: z.strictObject({ enabled: z.boolean().default(true), priority: int(0, 2_147_483_646).default(200) }).prefault({}),
    xss: z.strictObject({ enabled: z.boolean().default(true), priority: int(0, 2_147_483_646).default(300) }).prefault({}),
    geo: z
      .strictObject({ priority: int(0, 2_147_483_646).default(400), denyRegionCodes: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]) })
      .prefault({}),
    adaptiveProtection: z.boolean().default(true),
  })
  .describe('Cloud Armor policy attached to every backend service');

// ---------- IAM and secrets ----------

export const IamSchema = z
  .strictObject({
    serviceAccount: z
      .strictObject({
        accountId: nameTemplate('service account id (6-30 chars); with a region placeholder, one per region').default('ruvector-service-${regionShort}'),
        displayName: z.string().default('ruvector Cloud Run (${region})'),
      })
      .prefault({}),
    projectRoles: z
      .array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/))
      .default(['roles/cloudsql.client', 'roles/secretmanager.secretAccessor', 'roles/pubsub.publisher', 'roles/logging.logWriter', 'roles/monitoring.metricWriter'])
      .describe('project roles granted to the service accounts'),
    bucketRoles: z
      .array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/))
      .default(['roles/storage.objectViewer', 'roles/storage.objectCreator'])
      .describe('roles each tier-1 region\'s service account gets on its vector bucket'),
  })
  .describe('Service accounts and IAM bindings');

export const SecretSchema = z.strictObject({
  name: z.string().describe('secret id (template; ${region} = one per region, ${primaryRegion} = one per tier-1 region)'),
  valueFrom: z
    .enum(['redis.host', 'sql.user', 'sql.password', 'generated', 'none'])
    .default('none')
    .describe('where the deploy takes the value from (sql.password and generated = a random 32-char value)'),
});

export const DEFAULT_SECRETS: z.input<typeof SecretSchema>[] = [
  { name: 'ruvector-redis-host-${region}', valueFrom: 'redis.host' },
  { name: 'ruvector-db-user', valueFrom: 'sql.user' },
  { name: 'ruvector-db-password-${primaryRegion}', valueFrom: 'sql.password' },
  { name: 'ruvector-api-key', valueFrom: 'generated' },
];

// ---------- the whole spec ----------

export const SpecSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).describe(`must be ${API_VERSION}`),
    kind: z.literal('Topology'),
    metadata: z.strictObject({
      name: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and -, letter first, at most 63').describe('topology name; label ruvector-topology on every resource'),
      labels: labels.default({}).describe('extra labels on every resource that has labels'),
    }),
    project: z.string().regex(PROJECT_ID, PROJECT_ID_RULE),
    regions: RegionsSchema,
    tiers: TiersSchema.prefault({}),
    service: ServiceSchema,
    redis: RedisSchema.prefault({}),
    sql: SqlSchema.prefault({}),
    storage: StorageSchema.prefault({}),
    pubsub: PubSubSchema.prefault({}),
    network: NetworkSchema.prefault({}),
    loadBalancer: LoadBalancerSchema.prefault({}),
    armor: ArmorSchema.prefault({}),
    iam: IamSchema.prefault({}),
    secrets: z.array(SecretSchema).default(DEFAULT_SECRETS as z.output<typeof SecretSchema>[]),
    usage: UsageSchema.optional(),
  })
  .describe('A ruvector topology: every GCP resource of a multi-region vector-search deployment');

/** A validated spec with every default filled in. */
export type Spec = z.output<typeof SpecSchema>;
/** What a user may write (defaults optional). */
export type SpecInput = z.input<typeof SpecSchema>;
export type TierName = 'tier1' | 'tier2';
export type TierSizing = Spec['tiers']['tier1'];
export type Topic = Spec['pubsub']['topics'][number];

/** JSON Schema of what a user writes (defaults make fields optional). */
export function specJsonSchema(): Record<string, unknown> {
  // draft-07: what yaml-language-server and most editors understand best.
  const { $schema, ...schema } = z.toJSONSchema(SpecSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return { $schema, $id: 'https://ruvector.dev/schemas/topology-v1alpha1.json', title: 'ruvector topology spec', ...schema };
}
