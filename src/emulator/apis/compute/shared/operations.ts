import { EmuError, type EmuRequest, type EmuResponse, type EmulatorContext, type OperationRecord, type Route } from '../../../core/types.js';
import { err, httpStatusText, operationErrorCode } from './errors.js';
import { newId, operationName, timestamp } from './ids.js';
import { link, renderLinks, scopePath } from './links.js';
import { listPage } from './list.js';

/** What a compute#operation needs besides the core's record; persisted in record.meta. */
interface OpMeta {
  id: string;
  project: string;
  region?: string;
  operationType: string;
  targetKey: string;
  targetId?: string;
  user: string;
  insertTime: string;
  /** A failure decided at request time but reported when the operation finishes (GCE style). */
  fail?: { httpStatus: number; grpcStatus: string; message: string; reason?: string };
}

const OP_KIND = 'compute.operation';
const REQUEST_IDS = 'compute.requestIds';
/** GCE remembers a requestId for at least 60 minutes. */
const REQUEST_ID_TTL_MS = 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function settle(meta: OpMeta): undefined {
  const fail = meta.fail;
  if (fail) throw new EmuError(fail.httpStatus, fail.grpcStatus, fail.message, fail.reason);
  return undefined;
}

function finish(rec: OperationRecord): undefined {
  return settle(rec.meta as unknown as OpMeta);
}

/** Lets operations restored from a state dir complete with their recorded outcome. */
export function registerOperationCompleter(ctx: EmulatorContext): void {
  ctx.ops.registerCompleter?.(OP_KIND, finish);
}

/** Most Compute mutations take 2-5 s of GCP time. */
export function computeBaseMs(ctx: EmulatorContext): number {
  return 2000 + Math.round(ctx.random() * 3000);
}

export interface StartOp {
  project: string;
  region?: string;
  operationType: string;
  targetKey: string;
  targetId?: string;
  /** Fail the operation (not the call) with this error when it finishes. */
  fail?: EmuError;
  baseMs?: number;
}

export function startOperation(ctx: EmulatorContext, o: StartOp): OperationRecord {
  const full = `${scopePath(o.project, o.region)}/operations/${operationName(ctx)}`;
  const meta: OpMeta = {
    id: newId(ctx),
    project: o.project,
    ...(o.region ? { region: o.region } : {}),
    operationType: o.operationType,
    targetKey: o.targetKey,
    ...(o.targetId ? { targetId: o.targetId } : {}),
    user: `emulator@${o.project}.iam.gserviceaccount.com`,
    insertTime: timestamp(ctx.now()),
    ...(o.fail ? { fail: { httpStatus: o.fail.httpStatus, grpcStatus: o.fail.grpcStatus, message: o.fail.message, reason: o.fail.reason } } : {}),
  };
  return ctx.ops.start({
    name: full,
    api: 'compute',
    baseMs: o.baseMs ?? computeBaseMs(ctx),
    meta: meta as unknown as Record<string, unknown>,
    kind: OP_KIND,
    complete: () => settle(meta),
  });
}

export function renderOperation(ctx: EmulatorContext, rec: OperationRecord): Record<string, unknown> {
  const m = rec.meta as unknown as OpMeta;
  const name = rec.name.slice(rec.name.lastIndexOf('/') + 1);
  const out: Record<string, unknown> = {
    kind: 'compute#operation',
    id: m.id,
    name,
    operationType: m.operationType,
    targetLink: link(m.targetKey),
    ...(m.targetId ? { targetId: m.targetId } : {}),
    status: rec.done ? 'DONE' : 'RUNNING',
    user: m.user,
    progress: rec.done ? 100 : 0,
    insertTime: m.insertTime,
    startTime: m.insertTime,
    selfLink: link(rec.name),
  };
  if (m.region) out.region = link(`projects/${m.project}/regions/${m.region}`);
  if (rec.done) out.endTime = timestamp(new Date(Math.max(rec.doneAt, Date.parse(m.insertTime))));
  if (rec.done && rec.error) {
    out.error = { errors: [{ code: operationErrorCode(rec.error.reason, rec.error.grpcStatus), message: rec.error.message }] };
    out.httpErrorStatusCode = rec.error.httpStatus;
    out.httpErrorMessage = httpStatusText(rec.error.httpStatus);
  }
  return renderLinks(out, ctx.baseUrl()) as Record<string, unknown>;
}

/**
 * Runs a mutating call under GCE's requestId contract: a repeat with the same id (within
 * an hour) returns the first call's operation and changes nothing.
 */
export async function idempotent(ctx: EmulatorContext, req: EmuRequest, project: string, run: () => OperationRecord): Promise<EmuResponse> {
  const requestId = req.query.get('requestId');
  if (!requestId) return { body: renderOperation(ctx, run()) };
  if (!UUID.test(requestId) || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(requestId)) {
    throw err.invalid('requestId', requestId, 'Must be a valid UUID other than the zero UUID.');
  }
  const col = ctx.store.collection<{ op: string; at: number }>(REQUEST_IDS);
  const key = `${project}/${requestId.toLowerCase()}`;
  const seen = col.peek(key);
  if (seen && Date.now() - seen.at < REQUEST_ID_TTL_MS) {
    const rec = await ctx.ops.get(seen.op);
    if (rec) return { body: renderOperation(ctx, rec) };
  }
  const rec = run();
  col.put(key, { op: rec.name, at: Date.now() });
  return { body: renderOperation(ctx, rec) };
}

const WAIT_MS = 2 * 60 * 1000;

/** global/operations and regions/{region}/operations: get, list, delete, wait. */
export function operationRoutes(checkRegion: (ctx: EmulatorContext, project: string, region: string) => void): Route[] {
  const base = (p: Record<string, string>) => scopePath(p.project!, p.region);
  const one = (p: Record<string, string>) => `${base(p)}/operations/${p.operation}`;
  const routes: Route[] = [];
  for (const scope of ['/global', '/regions/{region}']) {
    const prefix = `/compute/v1/projects/{project}${scope}/operations`;
    const guard = (ctx: EmulatorContext, p: Record<string, string>) => {
      if (p.region) checkRegion(ctx, p.project!, p.region);
    };
    routes.push(
      {
        method: 'GET', path: `${prefix}/{operation}`, style: 'compute', api: 'compute',
        handler: async (req, ctx) => {
          guard(ctx, req.params);
          const rec = await ctx.ops.get(one(req.params));
          if (!rec) throw err.notFound(one(req.params));
          return { body: renderOperation(ctx, rec) };
        },
      },
      {
        method: 'POST', path: `${prefix}/{operation}/wait`, style: 'compute', api: 'compute',
        handler: async (req, ctx) => {
          guard(ctx, req.params);
          const rec = await ctx.ops.wait(one(req.params), WAIT_MS);
          if (!rec) throw err.notFound(one(req.params));
          return { body: renderOperation(ctx, rec) };
        },
      },
      {
        method: 'DELETE', path: `${prefix}/{operation}`, style: 'compute', api: 'compute', write: true,
        handler: (req, ctx) => {
          guard(ctx, req.params);
          if (!ctx.ops.delete(one(req.params))) throw err.notFound(one(req.params));
          return { body: {} };
        },
      },
      {
        method: 'GET', path: prefix, style: 'compute', api: 'compute',
        handler: async (req, ctx) => {
          guard(ctx, req.params);
          const recs = await ctx.ops.list(`${base(req.params)}/operations/`);
          const items = recs.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((r) => renderOperation(ctx, r));
          return {
            body: listPage(req, items, {
              kind: 'compute#operationList',
              id: `${base(req.params)}/operations`,
              selfLink: `${ctx.baseUrl()}/compute/v1/${base(req.params)}/operations`,
            }),
          };
        },
      },
    );
  }
  return routes;
}
