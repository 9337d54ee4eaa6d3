/** Cloud SQL databases and users: children of an instance, changed through operations. */
import type { EmuRequest, EmuResponse, EmulatorContext } from '../../core/types.js';
import { API, baseLink, COL, databaseKey, decodeBody, errs, etagOf, instanceKey, reply, sqlError, userKey, type Json } from './common.js';
import { defineAction, ensureIdle, settle, startOp } from './operations.js';
import { instances, type Instance } from './instances.js';

export const CHILD_DURATION_MS = 10_000;

const DB_NAME_RE = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

function dbs(ctx: EmulatorContext) {
  return ctx.store.collection<Json>(COL.databases);
}
function users(ctx: EmulatorContext) {
  return ctx.store.collection<Json>(COL.users);
}

async function parent(ctx: EmulatorContext, req: EmuRequest): Promise<{ project: string; key: string; inst: Instance }> {
  const project = req.params['project']!;
  const key = instanceKey(project, req.params['instance']!);
  await settle(ctx, key);
  const inst = instances(ctx).get(key);
  if (!inst) throw errs.instanceMissing();
  return { project, key, inst };
}

/** Writes go to primaries only, one operation at a time. */
async function writable(ctx: EmulatorContext, req: EmuRequest) {
  const p = await parent(ctx, req);
  await ensureIdle(ctx, p.key);
  if (p.inst.instanceType === 'READ_REPLICA_INSTANCE') throw errs.invalid('This operation is not allowed on a read replica instance.');
  if (p.inst.state !== 'RUNNABLE') throw errs.invalid(`The instance is not running (state ${p.inst.state}).`);
  return p;
}

function emit(ctx: EmulatorContext, kind: string, name: string, resource: Json | undefined, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: API, kind, name, resource, change });
}

// ---------- databases ----------

export async function insertDatabase(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, key, inst } = await writable(ctx, req);
  const body = decodeBody('Database', req.body);
  const name = String(body['name'] ?? '');
  if (!DB_NAME_RE.test(name)) throw errs.invalid(`Invalid database name: "${name}".`);
  if (dbs(ctx).peek(databaseKey(key, name))) throw sqlError(409, 'alreadyExists', `Invalid request: database "${name}" already exists.`);
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'CREATE_DATABASE',
    action: 'database.insert',
    args: { database: { charset: body['charset'] || 'UTF8', collation: body['collation'] || 'en_US.UTF8', name } },
    baseMs: CHILD_DURATION_MS,
  });
}

defineAction('database.insert', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const d = meta.args['database'] as Json;
  const db: Json = {
    kind: 'sql#database',
    ...d,
    instance: meta.instance,
    project: meta.project,
    selfLink: baseLink(ctx, databaseKey(key, String(d['name']))),
  };
  db['etag'] = etagOf(db);
  dbs(ctx).put(databaseKey(key, String(d['name'])), db);
  emit(ctx, 'sql#database', databaseKey(key, String(d['name'])), db, 'created');
  return undefined;
});

async function loadDb(ctx: EmulatorContext, req: EmuRequest, key: string): Promise<Json> {
  const db = dbs(ctx).get(databaseKey(key, req.params['database']!));
  if (!db) throw sqlError(404, 'notFound', `Not Found: database "${req.params['database']!}" does not exist.`);
  return db;
}

export async function getDatabase(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { key } = await parent(ctx, req);
  return reply(req, 'Database', await loadDb(ctx, req, key));
}

export async function listDatabases(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { key } = await parent(ctx, req);
  return reply(req, 'DatabasesListResponse', { kind: 'sql#databasesList', items: dbs(ctx).list(`${key}/databases/`) });
}

export async function changeDatabase(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, key, inst } = await writable(ctx, req);
  await loadDb(ctx, req, key);
  const body = decodeBody('Database', req.body);
  if (body['name'] && body['name'] !== req.params['database']) throw errs.invalid('A database cannot be renamed.');
  const fields: Json = {};
  for (const f of ['charset', 'collation']) if (body[f]) fields[f] = body[f];
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'UPDATE_DATABASE',
    action: 'database.change',
    args: { name: req.params['database']!, fields },
    baseMs: CHILD_DURATION_MS,
  });
}

defineAction('database.change', (ctx, meta) => {
  const k = databaseKey(instanceKey(meta.project, meta.instance), String(meta.args['name']));
  const db = dbs(ctx).peek(k);
  if (!db) return undefined;
  const next: Json = { ...db, ...(meta.args['fields'] as Json) };
  delete next['etag'];
  next['etag'] = etagOf(next);
  dbs(ctx).put(k, next);
  emit(ctx, 'sql#database', k, next, 'updated');
  return undefined;
});

export async function deleteDatabase(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, key, inst } = await writable(ctx, req);
  await loadDb(ctx, req, key);
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'DELETE_DATABASE',
    action: 'database.delete',
    args: { name: req.params['database']! },
    baseMs: CHILD_DURATION_MS,
  });
}

defineAction('database.delete', (ctx, meta) => {
  const k = databaseKey(instanceKey(meta.project, meta.instance), String(meta.args['name']));
  const db = dbs(ctx).peek(k);
  if (db && dbs(ctx).delete(k)) emit(ctx, 'sql#database', k, db, 'deleted');
  return undefined;
});

// ---------- users ----------

/** The stored user keeps its password for the data plane; the API never returns it. */
function publicUser(u: Json): Json {
  const { password: _p, ...rest } = u;
  return rest;
}

export async function insertUser(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, key, inst } = await writable(ctx, req);
  const body = decodeBody('User', req.body);
  const name = String(body['name'] ?? '');
  if (!name || name.length > 63) throw errs.invalid(`Invalid user name: "${name}".`);
  // Postgres users have no host; MySQL defaults to '%'.
  const host = inst.databaseVersion.startsWith('POSTGRES_') ? '' : String(body['host'] ?? '%');
  if (users(ctx).peek(userKey(key, name, host))) throw sqlError(409, 'alreadyExists', `Invalid request: user "${name}" already exists.`);
  const type = String(body['type'] ?? 'BUILT_IN');
  if (type === 'BUILT_IN' && !body['password']) throw errs.invalid('A password is required for a built-in user.');
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'CREATE_USER',
    action: 'user.insert',
    args: { user: { name, host, type, ...(body['password'] ? { password: body['password'] } : {}) } },
    baseMs: CHILD_DURATION_MS,
  });
}

defineAction('user.insert', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const u = meta.args['user'] as Json;
  const user: Json = { kind: 'sql#user', ...u, instance: meta.instance, project: meta.project };
  user['etag'] = etagOf(publicUser(user));
  const k = userKey(key, String(u['name']), String(u['host']));
  users(ctx).put(k, user);
  // Events are visible on /__emulator/events: no password. The data plane reads it from the store.
  emit(ctx, 'sql#user', k, publicUser(user), 'created');
  return undefined;
});

function hostOf(inst: Instance, req: EmuRequest): string {
  return inst.databaseVersion.startsWith('POSTGRES_') ? '' : req.query.get('host') ?? '%';
}

function missingUser(name: string): Error {
  return sqlError(404, 'notFound', `Not Found: user "${name}" does not exist.`);
}

export async function getUser(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { key, inst } = await parent(ctx, req);
  const name = req.params['name']!;
  const u = users(ctx).get(userKey(key, name, hostOf(inst, req)));
  if (!u) throw missingUser(name);
  return reply(req, 'User', publicUser(u));
}

export async function listUsers(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { key } = await parent(ctx, req);
  return reply(req, 'UsersListResponse', { kind: 'sql#usersList', items: users(ctx).list(`${key}/users/`).map(publicUser) });
}

export async function updateUser(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, key, inst } = await writable(ctx, req);
  const body = decodeBody('User', req.body);
  const name = req.query.get('name') ?? String(body['name'] ?? '');
  if (!name) throw errs.invalid('Missing parameter: name.');
  const host = hostOf(inst, req);
  if (!users(ctx).peek(userKey(key, name, host))) throw missingUser(name);
  const fields: Json = {};
  if (body['password']) fields['password'] = body['password'];
  if (body['type']) fields['type'] = body['type'];
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'UPDATE_USER',
    action: 'user.update',
    args: { name, host, fields },
    baseMs: CHILD_DURATION_MS,
  });
}

defineAction('user.update', (ctx, meta) => {
  const k = userKey(instanceKey(meta.project, meta.instance), String(meta.args['name']), String(meta.args['host']));
  const u = users(ctx).peek(k);
  if (!u) return undefined;
  const next: Json = { ...u, ...(meta.args['fields'] as Json) };
  delete next['etag'];
  next['etag'] = etagOf(publicUser(next));
  users(ctx).put(k, next);
  emit(ctx, 'sql#user', k, publicUser(next), 'updated');
  return undefined;
});

export async function deleteUser(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { project, key, inst } = await writable(ctx, req);
  const name = req.query.get('name');
  if (!name) throw errs.invalid('Missing parameter: name.');
  const host = hostOf(inst, req);
  if (!users(ctx).peek(userKey(key, name, host))) throw missingUser(name);
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'DELETE_USER',
    action: 'user.delete',
    args: { name, host },
    baseMs: CHILD_DURATION_MS,
  });
}

defineAction('user.delete', (ctx, meta) => {
  const k = userKey(instanceKey(meta.project, meta.instance), String(meta.args['name']), String(meta.args['host']));
  const u = users(ctx).peek(k);
  if (u && users(ctx).delete(k)) emit(ctx, 'sql#user', k, publicUser(u), 'deleted');
  return undefined;
});
