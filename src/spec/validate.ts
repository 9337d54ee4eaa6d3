import type { Spec } from './schema.js';

/** A cross-field problem, located by data path (parse.ts turns paths into line:col). */
export interface PathProblem {
  path: PropertyKey[];
  message: string;
  severity?: 'error' | 'warning';
  atKey?: boolean;
}

/** Rules a schema cannot express: regions, CIDRs, scaling, names after templating. */
export function checkSemantics(_spec: Spec): PathProblem[] {
  return [];
}
