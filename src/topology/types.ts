import type { Spec } from '../spec/schema.js';
import type { ResourceKind } from './kinds.js';

export type { ResourceKind } from './kinds.js';
export type { Spec };

/** One node of the desired graph. */
export interface Resource {
  kind: ResourceKind; // e.g. 'compute.Network' — the list is in kinds.ts
  name: string; // canonical full GCP resource name (identity everywhere)
  region?: string; // undefined = global
  /**
   * ONLY the fields we own, already in the API's REST JSON shape (camelCase field names as
   * the API's JSON body uses, enums as strings, references to other resources in the form
   * the API expects), so a provider can send it as the request body and diff it field by
   * field against what GET returns. Late-bound values: `${ref:<name>#<field>}` (refs.ts).
   */
  spec: Record<string, unknown>;
  dependsOn: string[]; // names of other Resources in the graph
  /**
   * The entries of dependsOn that are an order, not a need: this resource does not use them,
   * but the API runs one operation at a time on a parent they share (Cloud SQL: one per
   * instance, and a replica's create holds its primary), so the graph states the order the
   * API imposes anyway. Region selection never pulls them in; when one is left out, the
   * order goes on through its own order-only predecessors that are kept.
   */
  orderAfter?: string[];
  protect?: boolean; // prevent_destroy / deletion_protection in the seed
  /**
   * For a global resource that exists for one region (a backend service, a health
   * check): that region. Region selection (--regions) uses it; providers ignore it.
   */
  homeRegion?: string;
}

export interface ResourceGraph {
  resources: Resource[];
  byName: Map<string, Resource>;
}
