import type { Usage } from '../spec/usage.js';

/**
 * The normalised topology the cost model prices: only the facts that cost money, already
 * resolved per region (tier defaults applied). Built from a Spec by adapter.ts, or by hand
 * in tests, so the model never depends on the spec's shape.
 */
export interface RunShape {
  cpu: number;
  memoryGib: number;
  minInstances: number;
  maxInstances: number;
  concurrency: number;
  /** 'instance' when CPU is always allocated (cpu-throttling false), else 'request'. */
  billing: 'instance' | 'request';
}

export interface RedisShape {
  tier: 'BASIC' | 'STANDARD_HA';
  memorySizeGb: number;
}

export interface SqlShape {
  name: string;
  role: 'primary' | 'replica';
  vcpu: number;
  memoryGb: number;
  /** Shared-core machine tier (db-f1-micro, db-g1-small): priced per instance-hour. */
  sharedCore?: string;
  ha: boolean;
  diskGb: number;
}

export interface BucketShape {
  name: string;
  location: string;
  storageClass: string;
}

export interface ConnectorShape {
  minInstances: number;
  machineType: string;
}

export interface RegionInput {
  region: string;
  tier: 'tier1' | 'tier2';
  run?: RunShape;
  redis?: RedisShape;
  sql: SqlShape[];
  buckets: BucketShape[];
  connector?: ConnectorShape;
}

export interface CostInput {
  name: string;
  regions: RegionInput[];
  forwardingRules: number;
  armor: { policies: number; rules: number };
  pubsub: { topics: number; subscriptions: number };
  secrets: { secrets: number; versionsPerSecret: number; locations: number };
  usage: Usage;
}

export type Category = 'compute' | 'storage' | 'networking' | 'monitoring' | 'security' | 'messaging';

/** One priced component of one line (e.g. Cloud Run memory in europe-west2). */
export interface LineItem {
  line: string;
  component: string;
  service: string;
  category: Category;
  region?: string;
  description: string;
  quantity: number;
  unit: string;
  rate: number;
  amount: number;
  /** Price-table entry and its source (document, pricing page or SKU). */
  source: string;
  note?: string;
}

export interface ArithmeticFlag {
  line: string;
  stated: number;
  computed: number;
  message: string;
}

export interface LineSummary {
  line: string;
  service: string;
  category: Category;
  amount: number;
  /** What the rates give when an override replaced the figure (undefined: no rate to compute it). */
  computed?: number;
  override?: { reason: string };
  notes: string[];
}

export interface Capacity {
  maxConcurrentRequests: number;
  perInstanceCeiling: number;
  target: number;
  short: boolean;
  message: string;
}

export interface Estimate {
  name: string;
  rates: string;
  pricedAsOf: string;
  scenario: Scenario;
  items: LineItem[];
  /** Items the rates gave for lines an override replaced (kept so the difference is visible). */
  replaced: LineItem[];
  lines: LineSummary[];
  categories: Partial<Record<Category, number>>;
  total: number;
  perConcurrentStream?: number;
  perMillionRequests?: number;
  capacity: Capacity;
  warnings: string[];
  arithmetic: ArithmeticFlag[];
  burst?: { perEvent: number; perHour: number; monthly: number; eventsPerMonth: number; hours: number; multiplier: number };
  optimized?: { baselineTotal: number; savings: number; savingsPct: number };
}

export type Scenario = 'baseline' | 'burst' | 'optimized';

export const LINE_META: Record<string, { service: string; category: Category }> = {
  run: { service: 'Cloud Run', category: 'compute' },
  redis: { service: 'Memorystore Redis', category: 'compute' },
  sql: { service: 'Cloud SQL', category: 'compute' },
  storage: { service: 'Cloud Storage', category: 'storage' },
  egress: { service: 'Internet egress', category: 'storage' },
  lb: { service: 'Load balancer', category: 'networking' },
  cdn: { service: 'Cloud CDN', category: 'networking' },
  vpc: { service: 'VPC networking', category: 'networking' },
  monitoring: { service: 'Cloud Monitoring', category: 'monitoring' },
  logging: { service: 'Cloud Logging', category: 'monitoring' },
  trace: { service: 'Cloud Trace', category: 'monitoring' },
  armor: { service: 'Cloud Armor', category: 'security' },
  secrets: { service: 'Secret Manager', category: 'security' },
  pubsub: { service: 'Pub/Sub', category: 'messaging' },
  'burst.run': { service: 'Cloud Run (burst)', category: 'compute' },
  'burst.redis': { service: 'Memorystore Redis (burst)', category: 'compute' },
  'burst.networking': { service: 'Networking (burst)', category: 'networking' },
};
