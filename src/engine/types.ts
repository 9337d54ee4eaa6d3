/**
 * Shapes shared by plan, apply and the providers. The desired Resource comes from
 * src/topology (one node of the desired graph); everything else is the engine's own.
 */
/** One node of the desired graph (mirrors src/topology/types.ts). */
export interface Resource {
  kind: string;
  /** Full GCP resource name: the identity used everywhere. */
  name: string;
  region?: string;
  /** Only the fields we own, in the API's REST JSON shape. */
  spec: Record<string, unknown>;
  dependsOn: string[];
  /** The entries of dependsOn that are an order the API imposes, not a need (src/topology/types.ts). */
  orderAfter?: string[];
  protect?: boolean;
  /** A global resource that exists for one region (a backend service): that region. */
  homeRegion?: string;
}

/** One field that differs between what the spec wants and what the API has. */
export interface FieldChange {
  /** Dotted path in the API's REST JSON shape, e.g. 'template.scaling.maxInstanceCount'. */
  path: string;
  before: unknown;
  after: unknown;
  /** Never print the values (secret payloads, passwords). */
  sensitive?: boolean;
}

/** What a provider saw of one live object. */
export interface Observed {
  kind: string;
  /** Full resource name, the same identity the topology uses. */
  name: string;
  region?: string;
  /** The API object as returned (after the provider's normalisation). */
  raw: Record<string, unknown>;
  labels: Record<string, string>;
  /** The topology name when the object carries our ownership marker. */
  owner?: string;
  /** The API reports deletion protection (SQL deletionProtectionEnabled, ...). */
  protect?: boolean;
  /** Still being created/updated by the API (state CREATING, reconciling...). */
  pending?: boolean;
  /** etag / fingerprint / settingsVersion to echo on update. */
  version?: string;
}

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop';

export interface PlanItem {
  action: Action;
  kind: string;
  name: string;
  region?: string;
  changes: FieldChange[];
  /** The resource is protected (prevent_destroy / deletion protection). */
  protect: boolean;
  /** Why this item will not run (e.g. protected delete without --allow-destroy-protected). */
  blocked?: string;
  /** Not applied in this run, and not a failure (a global resource that references regions left out by --regions). */
  deferred?: string;
  /**
   * A delete or replace that protection covers, and why: the resource is protected, or lives
   * inside, is needed by, replicates or holds a credential of a protected one (protection.ts).
   */
  protection?: string;
  /** destroy: the item stays because protection covers it (said in the plan, skipped by apply, not a failure). */
  kept?: string;
  /** Observed object exists but is still pending (wait for it before dependents). */
  waitReady?: boolean;
  /** Exists without our labels: the update adopts it. */
  adopt?: boolean;
  dependsOn: string[];
}

export interface Plan {
  version: 1;
  topology: string;
  project: string;
  target: string;
  regions?: string[];
  createdAt: string;
  /** Hash of the observed state the plan was computed from; apply refuses a plan whose fingerprint moved. */
  fingerprint: string;
  items: PlanItem[];
  /** The desired resources the plan's creates/updates need (saved plans carry them). */
  resources: Resource[];
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
  blocked: number;
  deferred: number;
  /** destroy: deletes protection keeps (not counted in `delete`). */
  kept: number;
}
