import type { ServiceConfig } from '../config.js';
import { badRequest } from '../errors.js';

/** Bodies of routes that take only a few fields (creating a collection). */
export const SMALL_BODY_BYTES = 64 * 1024;

/** A route's body limit, and the variable that sets it, which its 413 names. */
export interface BodyLimit {
  bytes: number;
  variable?: string;
}

/**
 * Route options bounding the body by what the route takes: `points` (upserts, MAX_BODY_BYTES),
 * `query` (searches, reads and deletes by id, MAX_QUERY_BODY_BYTES) or `small`.
 */
export function bodyOptions(cfg: ServiceConfig, kind: 'points' | 'query' | 'small', config: Record<string, unknown> = {}): { bodyLimit: number; config: Record<string, unknown> } {
  const limit: BodyLimit =
    kind === 'points' ? { bytes: cfg.limits.bodyBytes, variable: 'MAX_BODY_BYTES' } : kind === 'query' ? { bytes: cfg.limits.queryBodyBytes, variable: 'MAX_QUERY_BODY_BYTES' } : { bytes: Math.min(SMALL_BODY_BYTES, cfg.limits.bodyBytes) };
  return { bodyLimit: limit.bytes, config: { ...config, bodyLimit: limit } };
}

/** The 413 for a body over its route's limit. */
export function bodyTooLarge(limit: BodyLimit): string {
  return `body is larger than this route's ${limit.bytes}-byte limit${limit.variable ? ` (${limit.variable})` : ''}`;
}

/** Refuses a list of ids (to read or delete) longer than MAX_BATCH. */
export function checkIds(n: number, field: string, cfg: ServiceConfig): void {
  if (n > cfg.limits.maxBatch) throw badRequest(`${field} has ${n} items, at most ${cfg.limits.maxBatch} per request (MAX_BATCH)`);
}

/** Refuses a batch of searches past MAX_QUERIES, or asking for more than MAX_RESULTS results in all. */
export function checkQueries(queries: number, results: number, field: string, cfg: ServiceConfig): void {
  const { maxQueries, maxResults } = cfg.limits;
  if (queries > maxQueries) throw badRequest(`${field} has ${queries} queries, at most ${maxQueries} per request (MAX_QUERIES)`);
  if (results > maxResults) throw badRequest(`${field} asks for ${results} results (k x queries), at most ${maxResults} per request (MAX_RESULTS)`);
}
