import { wantsIntEnums, paginate } from '../../core/helpers.js';
import { dropPolicy } from './iam.js';
import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { bodyOf, codecs, COLLECTIONS, emit, psErrors, schemaName, validateId, type Json } from './common.js';
import { compileSchema, type CompiledSchema, type Encoding } from './schema-codecs.js';
import { dropRevisions, findRevision, newRevisionId, recordRevision } from './schema-revisions.js';

export interface StoredSchema {
  name: string;
  type: 'AVRO' | 'PROTOCOL_BUFFER';
  definition: string;
  revisionId: string;
  revisionCreateTime: string;
}

export const schemas = (ctx: EmulatorContext) => ctx.store.collection<StoredSchema>(COLLECTIONS.schemas);

/** Stands in for a schema that was deleted while topics still pointed at it, as Pub/Sub shows it. */
export const DELETED_SCHEMA = '_deleted-schema_';

type View = 'BASIC' | 'FULL';

function readView(req: EmuRequest, dflt: View): View {
  const v = req.query.get('view');
  if (v === null || v === '' || v === '0' || v === 'SCHEMA_VIEW_UNSPECIFIED') return dflt;
  if (v === 'BASIC' || v === '1') return 'BASIC';
  if (v === 'FULL' || v === '2') return 'FULL';
  throw psErrors.invalid(`Invalid view: ${v}`, 'view');
}

function render(req: EmuRequest, s: StoredSchema, view: View): Json {
  const out: Json = view === 'BASIC' ? { name: s.name, type: s.type } : { ...s };
  return codecs.schema.forWire(out, wantsIntEnums(req));
}

function typeOf(v: unknown): string | undefined {
  const named = codecs.schema.toNames({ type: v }).type;
  return typeof named === 'string' ? named : undefined;
}

export function createSchema(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const project = req.params.project!;
  const id = req.query.get('schemaId') ?? req.query.get('schema_id') ?? '';
  if (!id) throw psErrors.invalid('schema_id is required', 'schema_id');
  validateId('schema', id);
  const name = schemaName(project, id);
  const body = bodyOf(req.body);
  const type = typeOf(body.type);
  compileSchema(type, body.definition);
  if (schemas(ctx).peek(name)) throw psErrors.alreadyExists(name);
  const s: StoredSchema = {
    name,
    type: type as StoredSchema['type'],
    definition: body.definition as string,
    revisionId: newRevisionId(ctx),
    revisionCreateTime: ctx.now().toISOString(),
  };
  schemas(ctx).insert(name, s);
  recordRevision(ctx, s);
  emit(ctx, 'schema', name, s, 'created');
  return { body: render(req, s, 'FULL') };
}

export function getSchema(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const [id, revisionId] = req.params.schema!.split('@') as [string, string | undefined];
  const name = schemaName(req.params.project!, id);
  const latest = schemas(ctx).get(name);
  const s = latest && revisionId ? findRevision(ctx, name, revisionId) : latest;
  if (!s) throw psErrors.notFound(revisionId ? `${name}@${revisionId}` : name);
  return { body: render(req, s, readView(req, 'FULL')) };
}

export function listSchemas(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const all = schemas(ctx).list(`projects/${req.params.project}/schemas/`);
  const view = readView(req, 'BASIC');
  const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'));
  return { body: { schemas: page.map((s) => render(req, s, view)), ...(nextPageToken ? { nextPageToken } : {}) } };
}

export function deleteSchema(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = schemaName(req.params.project!, req.params.schema!);
  const s = schemas(ctx).peek(name);
  if (!s) throw psErrors.notFound(name);
  schemas(ctx).delete(name);
  dropPolicy(ctx, name);
  dropRevisions(ctx, name);
  // Topics keep their settings but point at the tombstone, so publishing to them fails.
  const topics = ctx.store.collection<{ name: string; schemaSettings?: { schema: string } }>(COLLECTIONS.topics);
  for (const t of topics.peekAll()) {
    if (t.schemaSettings?.schema === name) {
      topics.put(t.name, { ...t, schemaSettings: { ...t.schemaSettings, schema: DELETED_SCHEMA } });
    }
  }
  emit(ctx, 'schema', name, s, 'deleted');
  return { body: {} };
}

export function validateSchema(req: EmuRequest, _ctx: EmulatorContext): EmuResponse {
  const body = bodyOf(req.body);
  const schema = bodyOf(body.schema);
  compileSchema(typeOf(schema.type), schema.definition);
  return { body: {} };
}

export function encodingOf(v: unknown): Encoding {
  const named = codecs.validateMessage.toNames({ encoding: v }).encoding;
  if (named === 'BINARY') return 'BINARY';
  if (named === undefined || named === 'JSON' || named === 'ENCODING_UNSPECIFIED' || named === 0) return 'JSON';
  throw psErrors.invalid(`Invalid encoding: ${String(v)}`, 'encoding');
}

export function validateMessage(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const body = bodyOf(req.body);
  let compiled: CompiledSchema;
  if (typeof body.name === 'string' && body.name !== '') {
    const full = body.name.includes('/') ? body.name : schemaName(req.params.project!, body.name);
    const [base, rev] = full.split('@') as [string, string | undefined];
    const s = rev ? findRevision(ctx, base, rev) : schemas(ctx).peek(base);
    if (!s) throw psErrors.notFound(full);
    compiled = compileSchema(s.type, s.definition);
  } else if (body.schema) {
    const s = bodyOf(body.schema);
    compiled = compileSchema(typeOf(s.type), s.definition);
  } else {
    throw psErrors.invalid('Either name or schema must be set.', 'schema_spec');
  }
  const data = Buffer.from(typeof body.message === 'string' ? body.message : '', 'base64');
  const problem = compiled.check(data, encodingOf(body.encoding));
  if (problem) throw psErrors.invalid(`Invalid data in message: Message failed schema validation: ${problem}`, 'message');
  return { body: {} };
}
