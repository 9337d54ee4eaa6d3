import { wantsIntEnums } from '../../core/helpers.js';
import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { bodyOf, codecs, emit, psErrors, schemaName, type Json } from './common.js';
import { compileSchema, type CompiledSchema } from './schema-codecs.js';
import { schemas, type StoredSchema } from './schemas.js';

/**
 * Schema revisions (commit / rollback / list / delete revision). The schemas collection holds
 * the latest revision, as GetSchema shows it; every revision, the latest included, is kept
 * here keyed `${name}\0${seq}` in commit order.
 */
interface StoredRevision extends StoredSchema {
  seq: number;
}

const revisions = (ctx: EmulatorContext) => ctx.store.collection<StoredRevision>('pubsub.schemaRevisions');

export function allRevisions(ctx: EmulatorContext, name: string): StoredRevision[] {
  return revisions(ctx).peekAll(`${name}\u0000`);
}

export function recordRevision(ctx: EmulatorContext, s: StoredSchema): void {
  const prev = allRevisions(ctx, s.name);
  const seq = (prev.length ? prev[prev.length - 1]!.seq : 0) + 1;
  revisions(ctx).put(`${s.name}\u0000${String(seq).padStart(8, '0')}`, { ...s, seq });
}

export function dropRevisions(ctx: EmulatorContext, name: string): void {
  for (const r of allRevisions(ctx, name)) revisions(ctx).delete(`${name}\u0000${String(r.seq).padStart(8, '0')}`);
}

function strip(r: StoredRevision): StoredSchema {
  const { seq: _seq, ...s } = r;
  return s;
}

/** `name@revisionId` (GetSchema accepts it) -> that revision. */
export function findRevision(ctx: EmulatorContext, name: string, revisionId: string): StoredSchema | undefined {
  const r = allRevisions(ctx, name).find((x) => x.revisionId === revisionId);
  return r ? strip(r) : undefined;
}

/**
 * Validators for a topic's schema settings: every revision between firstRevisionId and
 * lastRevisionId (inclusive; an empty bound is open). A message passes if any accepts it.
 */
export function validatorsFor(ctx: EmulatorContext, name: string, first?: string, last?: string): CompiledSchema[] {
  const all = allRevisions(ctx, name);
  let from = 0;
  let to = all.length - 1;
  if (first) from = Math.max(0, all.findIndex((r) => r.revisionId === first));
  if (last) {
    const i = all.findIndex((r) => r.revisionId === last);
    if (i >= 0) to = i;
  }
  return all.slice(from, to + 1).map((r) => compileSchema(r.type, r.definition));
}

/** Revision ids look like Pub/Sub's: 8 hex characters. */
export function newRevisionId(ctx: EmulatorContext): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(ctx.random() * 16).toString(16);
  return s;
}

function render(req: EmuRequest, s: StoredSchema, full: boolean): Json {
  return codecs.schema.forWire(full ? { ...s } : { name: s.name, type: s.type, revisionId: s.revisionId, revisionCreateTime: s.revisionCreateTime }, wantsIntEnums(req));
}

function current(ctx: EmulatorContext, req: EmuRequest): StoredSchema {
  const name = schemaName(req.params.project!, req.params.schema!.split('@')[0]!);
  const s = schemas(ctx).get(name);
  if (!s) throw psErrors.notFound(name);
  return s;
}

function commitRevision(ctx: EmulatorContext, base: StoredSchema, type: StoredSchema['type'], definition: string): StoredSchema {
  const next: StoredSchema = { name: base.name, type, definition, revisionId: newRevisionId(ctx), revisionCreateTime: ctx.now().toISOString() };
  schemas(ctx).put(base.name, next);
  recordRevision(ctx, next);
  emit(ctx, 'schema', base.name, next, 'updated');
  return next;
}

export function commitSchema(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const s = current(ctx, req);
  const body = codecs.schema.toNames(bodyOf(bodyOf(req.body).schema));
  const type = (body.type ?? s.type) as string;
  if (type !== s.type) throw psErrors.invalid(`The schema type cannot change from ${s.type} to ${type}.`, 'schema.type');
  compileSchema(type, body.definition);
  return { body: render(req, commitRevision(ctx, s, s.type, body.definition as string), true) };
}

export function rollbackSchema(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const s = current(ctx, req);
  const revisionId = bodyOf(req.body).revisionId;
  if (typeof revisionId !== 'string' || revisionId === '') throw psErrors.invalid('revision_id is required.', 'revision_id');
  const target = findRevision(ctx, s.name, revisionId);
  if (!target) throw psErrors.notFound(`${s.name}@${revisionId}`);
  return { body: render(req, commitRevision(ctx, s, target.type, target.definition), true) };
}

export function listRevisions(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const s = current(ctx, req);
  const v = req.query.get('view');
  const full = v === 'FULL' || v === '2';
  // Newest first, as Pub/Sub lists them.
  return { body: { schemas: allRevisions(ctx, s.name).reverse().map((r) => render(req, strip(r), full)) } };
}

export function deleteRevision(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const s = current(ctx, req);
  // The revision comes as `name@revisionId` (current form) or the deprecated revisionId parameter.
  const revisionId = req.params.schema!.split('@')[1] ?? req.query.get('revisionId') ?? req.query.get('revision_id') ?? '';
  const all = allRevisions(ctx, s.name);
  const victim = all.find((r) => r.revisionId === revisionId);
  if (!victim) throw psErrors.notFound(`${s.name}@${revisionId}`);
  if (all.length === 1) throw psErrors.failedPrecondition('The last revision of a schema cannot be deleted; delete the schema instead.');
  revisions(ctx).delete(`${s.name}\u0000${String(victim.seq).padStart(8, '0')}`);
  if (victim.revisionId === s.revisionId) {
    // The newest remaining revision becomes the schema's current one.
    schemas(ctx).put(s.name, strip(all.filter((r) => r !== victim).at(-1)!));
  }
  emit(ctx, 'schema', s.name, schemas(ctx).peek(s.name), 'updated');
  return { body: render(req, strip(victim), true) };
}
