/**
 * The emulator's internal contract. Every API module (one folder per GCP API under
 * src/emulator/apis/) is written against these types; src/emulator/core implements them.
 *
 * Shape of a request's life: http server -> request log -> fault injection -> router
 * (method + path template) -> handler -> JSON/bytes response. Handlers throw EmuError for
 * failures; the router renders it in the error dialect of the route's API.
 */

/** The error/operation dialects GCP APIs speak on the wire. */
export type ApiStyle =
  | 'gax' // AIP-193 google.rpc.Status bodies: Run, Redis, VPC Access, Secret Manager, Cloud Quotas, Service Networking, IAM, Pub/Sub
  | 'compute' // {error:{code, message, errors:[{domain, reason, message}]}}
  | 'storage' // same legacy shape as compute, Storage JSON API
  | 'sql'; // Cloud SQL Admin: legacy shape with errors[] {domain, reason, message}

export interface EmuRequest {
  method: string;
  /** URL path, percent-decoded per segment, without query string. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body bytes (uploads, push payloads). */
  raw: Buffer;
  /** Body parsed as JSON when the content type is JSON (or sniffed as JSON); undefined otherwise. */
  body: unknown;
  /** Values captured from `{name}` placeholders of the matched route template. */
  params: Record<string, string>;
}

export interface EmuResponse {
  status?: number; // default 200
  headers?: Record<string, string>;
  /** JSON-serialised unless `raw` is given. */
  body?: unknown;
  raw?: Buffer | string;
}

export type Handler = (req: EmuRequest, ctx: EmulatorContext) => Promise<EmuResponse> | EmuResponse;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Path template with `{param}` placeholders matching one segment (no `/`; a placeholder
   * also stops at `:` so custom verbs work), and `{param=**}` matching the rest of the path.
   * Example: '/v2/projects/{project}/locations/{location}/services/{service}:getIamPolicy'.
   */
  path: string;
  style: ApiStyle;
  /** Short API id used for fault injection, the request log and quotas: 'run', 'redis', 'compute', ... */
  api: string;
  /** True for calls that change state (counted as writes in the request log). */
  write?: boolean;
  handler: Handler;
}

export interface ApiModule {
  /** 'run', 'redis', 'sqladmin', 'compute', 'vpcaccess', 'storage', 'pubsub', 'secretmanager', 'iam', 'cloudquotas', 'servicenetworking' */
  name: string;
  routes(ctx: EmulatorContext): Route[];
}

/** A failure rendered in the route's dialect. */
export class EmuError extends Error {
  constructor(
    /** HTTP status. */
    readonly httpStatus: number,
    /** gRPC canonical status name for gax style: 'NOT_FOUND', 'ALREADY_EXISTS', 'ABORTED', ... */
    readonly grpcStatus: string,
    message: string,
    /** Legacy-style reason for compute/storage/sql: 'notFound', 'alreadyExists', 'conditionNotMet', 'quotaExceeded', 'invalidState', ... */
    readonly reason?: string,
    /** Extra google.rpc details (gax) e.g. BadRequest field violations, or legacy domain. */
    readonly details?: { domain?: string; fieldViolations?: { field: string; description: string }[]; metadata?: Record<string, string> },
  ) {
    super(message);
  }
}

/** One persisted collection of JSON resources, keyed by full resource name. */
export interface Collection<T> {
  /** Read as a client would: undefined while a new resource is still invisible (eventual consistency). */
  get(key: string): T | undefined;
  /** Read ignoring eventual consistency (internal bookkeeping, referential checks). */
  peek(key: string): T | undefined;
  /** All visible entries whose key starts with prefix, sorted by key. */
  list(prefix?: string): T[];
  /** All entries including not-yet-visible ones. */
  peekAll(prefix?: string): T[];
  /** Insert a new resource; it becomes visible to get/list after the seeded consistency delay. */
  insert(key: string, value: T): void;
  /** Replace a resource: visible immediately, unless it is a recent insert still hidden by the consistency delay. */
  put(key: string, value: T): void;
  delete(key: string): boolean;
  has(key: string): boolean;
}

export interface Store {
  collection<T>(name: string): Collection<T>;
  /** Persist now (the core also persists after writes, debounced). */
  flush(): Promise<void>;
}

/** A scheduled long-running piece of work. The API module renders it in its own wire shape. */
export interface OperationRecord {
  /** Full operation name as the API exposes it, e.g. projects/p/locations/l/operations/operation-123. */
  name: string;
  api: string;
  createdAt: string; // RFC 3339
  /** When the work completes (epoch ms). */
  doneAt: number;
  done: boolean;
  /** Whatever the API needs to render the operation (target, type, metadata). */
  meta: Record<string, unknown>;
  /** Result resource / response body, set at completion. */
  response?: unknown;
  error?: { httpStatus: number; grpcStatus: string; message: string; reason?: string };
}

export interface Operations {
  /**
   * Schedule work that takes `baseMs` of GCP time (scaled by --latency-scale). `complete`
   * runs once when it is due (state transitions happen then, e.g. CREATING -> READY) and
   * returns the response to record, or throws EmuError to fail the operation.
   */
  start(opts: {
    name: string;
    api: string;
    baseMs: number;
    meta?: Record<string, unknown>;
    complete: () => unknown | Promise<unknown>;
    /**
     * Names a completer registered with `registerCompleter`. The `complete` closure cannot
     * survive a restart; with a kind, an operation restored from the state dir is completed
     * by the registered completer instead (given the persisted record).
     */
    kind?: string;
  }): OperationRecord;
  /** Register how operations of `kind` complete after a restart (call it from routes()). */
  registerCompleter?(kind: string, complete: (op: OperationRecord) => unknown | Promise<unknown>): void;
  /** Current state; completes it first if it is due. */
  get(name: string): Promise<OperationRecord | undefined>;
  /** Wait until done or until timeoutMs passes (for `:wait` endpoints). */
  wait(name: string, timeoutMs: number): Promise<OperationRecord | undefined>;
  list(prefix: string): Promise<OperationRecord[]>;
  delete(name: string): boolean;
}

export interface QuotaCheck {
  /** Scope: 'global' or a region name. */
  scope: string;
  /** Metric, e.g. 'NETWORKS', 'SUBNETWORKS', 'CpuAllocPerProjectRegion', 'REDIS_GB', 'SQL_INSTANCES'. */
  metric: string;
  amount: number;
}

export interface Quotas {
  /** Throws the API-appropriate quota error (via EmuError 429/403) when usage + amount exceeds the limit. */
  ensure(style: ApiStyle, check: QuotaCheck): void;
  /** Record usage change (positive on create, negative on delete). */
  use(scope: string, metric: string, delta: number): void;
  limit(scope: string, metric: string): number;
  usage(scope: string, metric: string): number;
  /** Raise a limit (quota preferences). */
  setLimit(scope: string, metric: string, value: number): void;
  all(scope?: string): { scope: string; metric: string; limit: number; usage: number }[];
}

/** Events the local data plane (dataplane/) subscribes to; API modules emit them after state changes. */
export interface EmulatorEvents {
  emit(event: 'resource.changed', payload: { api: string; kind: string; name: string; resource: unknown; change: 'created' | 'updated' | 'deleted' }): void;
  on(event: 'resource.changed', listener: (payload: { api: string; kind: string; name: string; resource: unknown; change: 'created' | 'updated' | 'deleted' }) => void): void;
}

export interface EmulatorContext {
  store: Store;
  ops: Operations;
  quotas: Quotas;
  events: EmulatorEvents;
  /** Seeded PRNG in [0,1): use it (never Math.random) so runs are reproducible. */
  random(): number;
  now(): Date;
  /** Base URL of this emulator, e.g. http://127.0.0.1:8123 (for selfLinks, status.uri, Location headers). */
  baseUrl(): string;
  /** Numeric project number for a project id (stable, derived from the id). */
  projectNumber(projectId: string): string;
  /** Directory for on-disk data (object bytes, ...), inside --state dir or a temp dir. */
  dataDir: string;
  latencyScale: number;
  /** The local data plane, when one is attached; API modules ask it e.g. for a service's URI. */
  dataPlane?: DataPlane;
}

/**
 * The seam for the local data plane (real processes behind the resources): it subscribes to ctx.events and may
 * override the addresses the control plane reports (Cloud Run status.uri, Redis host/port).
 */
export interface DataPlane {
  attach(ctx: EmulatorContext): void | Promise<void>;
  /** URI a Cloud Run service is reachable at, or undefined to keep the control plane's default. */
  serviceUri?(serviceName: string): string | undefined;
  /** Host/port of a Memorystore instance's real Redis, or undefined for the default. */
  redisEndpoint?(instanceName: string): { host: string; port: number } | undefined;
  /** Host/port of the real Postgres behind a Cloud SQL instance (key as the sqladmin module stores it). */
  sqlEndpoint?(instanceKey: string): { host: string; port: number } | undefined;
  /** Answers extra /__emulator/... endpoints (path without the prefix); undefined = not mine. */
  control?(method: string, path: string, query: URLSearchParams, body: unknown): Promise<EmuResponse | undefined>;
  /** Emulator reset: stop what the old world started, stay attached. */
  reset?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** One line of the request log. */
export interface RequestLogEntry {
  seq: number;
  /** RFC 3339 time the request arrived. */
  at: string;
  method: string;
  path: string;
  /** Raw query string without '?', when there was one. */
  query?: string;
  status: number;
  latencyMs: number;
  /** Route api id ('run', 'compute', ...), or 'emulator' / 'unknown'. */
  api: string;
  write: boolean;
  /** Set when fault injection answered (or delayed) the call: '429', '503', 'delay'. */
  fault?: string;
}
