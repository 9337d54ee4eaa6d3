/**
 * Cloud SQL operations (`sql#operation`). Unlike the gax APIs, Cloud SQL returns its own
 * Operation message from every mutating call and the client never polls by itself: callers
 * loop on `GET /v1/projects/{p}/operations/{op}` until `status: DONE`.
 *
 * Each operation's work is described by data (`meta.action` + `meta.args`), not a closure,
 * so an operation still pending when the emulator stops completes after a restart.
 * Cloud SQL runs one operation per instance at a time: the instance is locked while its
 * operation runs and other writes get 409 operationInProgress.
 */
import type { EmuRequest, EmuResponse, EmulatorContext, OperationRecord } from '../../core/types.js';
import { API, baseLink, COL, errs, nowIso, page, reply, sqlError, uuid, type Json } from './common.js';
import { lastSegment } from '../../../util/resource-name.js';

export interface SqlOpMeta {
  [k: string]: unknown;
  project: string;
  instance: string;
  operationType: string;
  action: string;
  args: Json;
  insertTime: string;
  targetLink: string;
  /** Fraction of the duration spent PENDING before the work starts. */
  startAt: number;
  endTime?: string;
}

type Action = (ctx: EmulatorContext, meta: SqlOpMeta) => unknown | Promise<unknown>;
const actions = new Map<string, Action>();

/** Register the work behind an operation type; resources modules call this at load. */
export function defineAction(name: string, fn: Action): void {
  actions.set(name, fn);
}

async function runAction(ctx: EmulatorContext, rec: { name: string; meta: Record<string, unknown> }): Promise<unknown> {
  const meta = rec.meta as SqlOpMeta;
  const fn = actions.get(meta.action);
  if (!fn) throw new Error(`no Cloud SQL action '${meta.action}'`);
  try {
    return await fn(ctx, meta);
  } finally {
    const lock = ctx.store.collection<{ op: string }>(COL.locks);
    for (const key of lockedKeys(meta)) if (lock.peek(key)?.op === rec.name) lock.delete(key);
  }
}

function lockedKeys(meta: SqlOpMeta): string[] {
  const keys = [`projects/${meta.project}/instances/${meta.instance}`];
  const extra = meta.args['alsoLocks'];
  if (Array.isArray(extra)) keys.push(...extra.map(String));
  return keys;
}

/** Lets the core resume our operations after a restart. */
export function registerSqlCompleter(ctx: EmulatorContext): void {
  ctx.ops.registerCompleter?.(API, (op) => runAction(ctx, op));
}

/**
 * Lets a due operation on the instance finish before anyone reads it (so a GET after the
 * operation's time sees RUNNABLE even if nobody polled). True while one is still running.
 */
export async function settle(ctx: EmulatorContext, key: string): Promise<boolean> {
  const locks = ctx.store.collection<{ op: string }>(COL.locks);
  const held = locks.peek(key);
  if (!held) return false;
  const op = await ctx.ops.get(held.op);
  if (op && !op.done) return true;
  if (locks.peek(key)?.op === held.op) locks.delete(key);
  return false;
}

/** Throws 409 operationInProgress while another operation holds the instance. */
export async function ensureIdle(ctx: EmulatorContext, key: string): Promise<void> {
  if (await settle(ctx, key)) throw errs.busy();
}

export interface StartOpts {
  project: string;
  instance: string;
  operationType: string;
  action: string;
  args?: Json;
  /** GCP time for the work, before --latency-scale. */
  baseMs: number;
  /** Extra instance keys held for the operation's duration (a replica's primary). */
  alsoLocks?: string[];
}

/** Start an operation, lock its instance(s), and answer with the `sql#operation`. */
export function startOp(ctx: EmulatorContext, req: EmuRequest, o: StartOpts): EmuResponse {
  const id = uuid(ctx);
  const name = `projects/${o.project}/operations/${id}`;
  const meta: SqlOpMeta = {
    project: o.project,
    instance: o.instance,
    operationType: o.operationType,
    action: o.action,
    args: { ...(o.args ?? {}), ...(o.alsoLocks?.length ? { alsoLocks: o.alsoLocks } : {}) },
    insertTime: nowIso(ctx),
    targetLink: baseLink(ctx, `projects/${o.project}/instances/${o.instance}`),
    startAt: 0.05,
  };
  const opts = { name, api: API, baseMs: o.baseMs, meta, kind: API, complete: () => runAction(ctx, { name, meta }) };
  const rec = ctx.ops.start(opts);
  const locks = ctx.store.collection<{ op: string }>(COL.locks);
  for (const key of lockedKeys(meta)) locks.put(key, { op: name });
  return reply(req, 'Operation', render(ctx, rec));
}

function statusOf(rec: OperationRecord): 'PENDING' | 'RUNNING' | 'DONE' {
  if (rec.done) return 'DONE';
  const meta = rec.meta as SqlOpMeta;
  const created = Date.parse(rec.createdAt);
  const startMs = created + (rec.doneAt - created) * (meta.startAt ?? 0);
  return Date.now() < startMs ? 'PENDING' : 'RUNNING';
}

/** Cloud SQL's error codes are upper-snake words, e.g. INTERNAL_ERROR, ERROR_RDBMS. */
function errorCode(reason: string | undefined, grpc: string): string {
  if (!reason) return grpc;
  return reason.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

export function render(ctx: EmulatorContext, rec: OperationRecord): Json {
  const meta = rec.meta as SqlOpMeta;
  const id = lastSegment(rec.name);
  const status = statusOf(rec);
  const created = Date.parse(rec.createdAt);
  const out: Json = {
    kind: 'sql#operation',
    targetLink: meta.targetLink,
    status,
    user: 'emulator@ruvector.local',
    insertTime: meta.insertTime,
    operationType: meta.operationType,
    name: id,
    targetId: meta.instance,
    selfLink: baseLink(ctx, `projects/${meta.project}/operations/${id}`),
    targetProject: meta.project,
  };
  if (status !== 'PENDING') out['startTime'] = new Date(created + (rec.doneAt - created) * (meta.startAt ?? 0)).toISOString();
  if (rec.done) out['endTime'] = new Date(Math.min(rec.doneAt, Date.now())).toISOString();
  if (rec.error) {
    out['error'] = {
      kind: 'sql#operationErrors',
      errors: [{ kind: 'sql#operationError', code: errorCode(rec.error.reason, rec.error.grpcStatus), message: rec.error.message }],
    };
  }
  return out;
}

export async function getOperation(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, operation } = req.params as { project: string; operation: string };
  const rec = await ctx.ops.get(`projects/${project}/operations/${operation}`);
  if (!rec || rec.api !== API) throw sqlError(404, 'operationDoesNotExist', `The Cloud SQL operation (${operation}) does not exist.`);
  return reply(req, 'Operation', render(ctx, rec));
}

export async function listOperations(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project } = req.params as { project: string };
  const instance = req.query.get('instance');
  if (!instance) throw errs.invalid('Missing parameter: instance.');
  const recs = (await ctx.ops.list(`projects/${project}/operations/`)).filter(
    (r) => r.api === API && (r.meta as SqlOpMeta).instance === instance,
  );
  // Newest first, as Cloud SQL lists them.
  recs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.doneAt - a.doneAt);
  const p = page(recs.map((r) => render(ctx, r)), req.query.get('maxResults'), req.query.get('pageToken'));
  return reply(req, 'OperationsListResponse', { kind: 'sql#operationsList', items: p.items, ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}) });
}
