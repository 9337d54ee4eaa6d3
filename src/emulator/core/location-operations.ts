import { paginate } from './helpers.js';
import { EmuError, type ApiModule, type EmuRequest, type EmulatorContext, type OperationRecord, type Route } from './types.js';

type Renderer = (rec: OperationRecord, req: EmuRequest) => Record<string, unknown>;
const registries = new WeakMap<EmulatorContext, Map<string, Renderer>>();

/**
 * Several gax APIs (Redis, VPC Access) poll operations at the very same path,
 * /v1/projects/{p}/locations/{l}/operations/{op}; on the real cloud the host tells them
 * apart, here the operation's `api` does. Modules register how their operations render.
 */
export function registerOperationRenderer(ctx: EmulatorContext, api: string, render: Renderer): void {
  let m = registries.get(ctx);
  if (!m) {
    m = new Map();
    registries.set(ctx, m);
  }
  m.set(api, render);
}

export const locationOperationsV1: ApiModule = {
  name: 'operations-v1',
  routes(ctx): Route[] {
    const base = '/v1/projects/{project}/locations/{location}/operations';
    const full = (p: Record<string, string>) => `projects/${p.project}/locations/${p.location}/operations/${p.operation}`;
    const render = (rec: OperationRecord | undefined, req: EmuRequest) => {
      const r = rec && registries.get(ctx)?.get(rec.api);
      if (!rec || !r) throw new EmuError(404, 'NOT_FOUND', `Operation '${req.params.operation}' not found.`);
      return r(rec, req);
    };
    const mine = (rec: OperationRecord) => registries.get(ctx)?.has(rec.api) ?? false;
    return [
      { method: 'GET', path: `${base}/{operation}`, style: 'gax', api: 'operations', handler: async (req) => ({ body: render(await ctx.ops.get(full(req.params)), req) }) },
      {
        method: 'GET', path: base, style: 'gax', api: 'operations',
        async handler(req) {
          const all = (await ctx.ops.list(`projects/${req.params.project}/locations/${req.params.location}/operations/`)).filter(mine);
          const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'), 100);
          return { body: { operations: page.map((o) => render(o, req)), ...(nextPageToken ? { nextPageToken } : {}) } };
        },
      },
      {
        method: 'POST', path: `${base}/{operation}:wait`, style: 'gax', api: 'operations',
        async handler(req) {
          const t = /^(\d+(?:\.\d+)?)s$/.exec(String((req.body as { timeout?: string } | undefined)?.timeout ?? ''));
          return { body: render(await ctx.ops.wait(full(req.params), t ? Number(t[1]) * 1000 : 60_000), req) };
        },
      },
      {
        // Cancellation is best effort on GCP too: a started create keeps running, the call succeeds.
        method: 'POST', path: `${base}/{operation}:cancel`, style: 'gax', api: 'operations', write: true,
        async handler(req) {
          render(await ctx.ops.get(full(req.params)), req);
          return { body: {} };
        },
      },
      {
        method: 'DELETE', path: `${base}/{operation}`, style: 'gax', api: 'operations', write: true,
        async handler(req) {
          render(await ctx.ops.get(full(req.params)), req);
          ctx.ops.delete(full(req.params));
          return { body: {} };
        },
      },
    ];
  },
};
