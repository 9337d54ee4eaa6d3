import type { FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import { parseName } from '../vectors/validate.js';

/**
 * Checks of what every route takes from the URL, before any route reads it: each query
 * parameter given once (a repeated one arrives as an array, which routes would treat as a
 * string), and a collection name in the path that could name a collection at all (a NUL byte
 * or other text Postgres cannot hold failed the statement it reached, a 500).
 */
export function checkRequestLine(req: FastifyRequest): void {
  const query = req.query as Record<string, unknown> | undefined;
  if (query && typeof query === 'object') {
    for (const [name, v] of Object.entries(query)) {
      if (Array.isArray(v)) throw badRequest(`query parameter ${name} is given ${v.length} times: give it once`);
    }
  }
  const params = req.params as Record<string, unknown> | undefined;
  if (params && typeof params.name === 'string') parseName(params.name, 'the collection name in the path');
}

/**
 * A request URL as it may be logged: the path, and the query's parameter names without their
 * values (clients put keys in query strings: `?api-key=...`).
 */
export function loggableUrl(url: string): { path: string; query?: string[] } {
  const q = url.indexOf('?');
  if (q < 0) return { path: url };
  const names = [...new URLSearchParams(url.slice(q + 1)).keys()];
  return { path: url.slice(0, q), ...(names.length ? { query: [...new Set(names)] } : {}) };
}
