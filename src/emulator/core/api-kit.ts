/**
 * The kit the gax-style APIs (Run, Redis, VPC Access, Secret Manager) are written on, the
 * counterpart of Compute's defineKind: an API is its per-emulator state, built once by
 * `setup` (collections, operation renderers and completers), and a table of routes, one
 * line each, whose handlers are plain module functions of (request, state). Nothing is
 * registered by importing a module, so load order never matters.
 */
import { paginate } from './helpers.js';
import type { ApiModule, ApiStyle, EmuRequest, EmuResponse, EmulatorContext, Route } from './types.js';

export type KitHandler<S> = (req: EmuRequest, s: S) => EmuResponse | Promise<EmuResponse>;

export interface KitRoute<S> {
  method: Route['method'];
  /** Appended to the API's base path. */
  path: string;
  handler: KitHandler<S>;
  /** Counted as a write in the request log; by default every method but GET is. */
  write?: boolean;
}

const verb =
  (method: Route['method']) =>
  <S>(path: string, handler: KitHandler<S>, o: { write?: boolean } = {}): KitRoute<S> => ({ method, path, handler, ...o });

export const get = verb('GET');
export const post = verb('POST');
export const patch = verb('PATCH');
export const put = verb('PUT');
export const del = verb('DELETE');

export interface ApiDefinition<S> {
  /** ApiModule name and the routes' api id ('run', 'redis', ...). */
  name: string;
  /** Prefix of every route's path, e.g. '/v1/projects/{project}/locations/{location}/instances'. */
  base: string;
  style?: ApiStyle;
  /** The API's state for one emulator context; runs once, when the routes are built. */
  setup(ctx: EmulatorContext): S;
  routes: KitRoute<S>[];
  /** Routes another module builds (shared IAM handlers), placed after the table. */
  more?(ctx: EmulatorContext, s: S): Route[];
}

export function defineApi<S>(def: ApiDefinition<S>): ApiModule {
  return {
    name: def.name,
    routes(ctx: EmulatorContext): Route[] {
      const s = def.setup(ctx);
      const style = def.style ?? 'gax';
      return [
        ...def.routes.map(
          (r): Route => ({ method: r.method, path: `${def.base}${r.path}`, style, api: def.name, write: r.write ?? r.method !== 'GET', handler: (req) => r.handler(req, s) }),
        ),
        ...(def.more?.(ctx, s) ?? []),
      ];
    },
  };
}

/** One page of a gax list response: `{ [field]: items, nextPageToken? }`. */
export function listPage<T>(req: EmuRequest, all: T[], field: string, render: (t: T) => unknown, defaultSize: number, maxSize?: number): EmuResponse {
  const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'), defaultSize, maxSize);
  return { body: { [field]: page.map(render), ...(nextPageToken ? { nextPageToken } : {}) } };
}
