import type { Clients } from '../gcp/clients.js';
import type { FieldChange, Observed, Resource } from '../engine/types.js';

export interface ProviderContext {
  project: string;
  topology: string;
  clients: Clients;
  /** Ownership labels every object we create carries. */
  ownerLabels: Record<string, string>;
  /** How to wait for long-running operations. */
  poll: { initialMs: number; maxMs: number; timeoutMs: number };
  /**
   * Runs one read request (one page of a list) under the caller's retry policy. Set while
   * observing: a listing fans out over pages, regions and parents, and retrying the whole
   * listing for one failed request never gets through an API that fails a share of all calls.
   */
  read?: <T>(request: () => Promise<T>) => Promise<T>;
  /** Told what a provider is about to wait for (an operation), so that progress can say it. */
  onWait?: (what: string) => void;
}

/**
 * One resource kind (Crossplane's ExternalClient shape). Observation is list-based: `list`
 * returns every object of the kind in the given regions (plus global ones for global kinds),
 * with as few calls as the API allows (aggregated lists, `locations/-`, project-wide lists).
 */
export interface Provider {
  kind: string;
  /** Short API id: concurrency bucket and call accounting ('compute', 'run', ...). */
  api: string;
  /** 'global': one object namespace per project; 'regional': lives in a region. */
  scope: 'global' | 'regional';
  /** Typical duration of a create in seconds of GCP time (prioritises the DAG). */
  createSeconds?: number;
  list(ctx: ProviderContext, regions: string[], parents?: Resource[]): Promise<Observed[]>;
  get(ctx: ProviderContext, r: Pick<Resource, 'name' | 'region' | 'kind'>): Promise<Observed | undefined>;
  diff(r: Resource, o: Observed, ctx: ProviderContext): FieldChange[];
  /** Field paths that cannot change in place: a change to one of them means replace. */
  immutable?: string[];
  /** Finer-grained alternative to `immutable`. */
  requiresReplace?(changes: FieldChange[]): boolean;
  /** Creates and waits for the operation. requestId is passed where the API takes one. */
  create(ctx: ProviderContext, r: Resource, requestId: string): Promise<void>;
  update(ctx: ProviderContext, r: Resource, o: Observed, changes: FieldChange[]): Promise<void>;
  delete(ctx: ProviderContext, o: Observed): Promise<void>;
  /**
   * Concurrency bucket for one item when the API serialises work on a parent (Cloud SQL runs
   * one operation per instance at a time). Buckets named 'serial:...' run one task at a time.
   */
  bucket?(item: { name: string; region?: string; spec?: Record<string, unknown> }): string | undefined;
  /** Rewrite the desired resource before references are resolved (derived, never-sent fields). */
  prepare?(r: Resource): Resource;
  /**
   * The object holds a value the deploy generated and no redeploy can reproduce (a random
   * password): deleting it loses the value. Protection keeps such objects while a protected
   * resource's clients read them (src/engine/protection.ts).
   */
  minted?(r: Resource): boolean;
  /** Value of `${ref:<name>#<field>}` for fields not in `raw` (a secret's payload). */
  readField?(ctx: ProviderContext, o: Observed, field: string): Promise<string | undefined>;
}
