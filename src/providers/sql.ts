/**
 * Cloud SQL Admin v1: instances (primaries and cross-region replicas), databases and users.
 * The client returns sql#operation and never polls: we loop on SqlOperationsService.get.
 * Updates echo settings.settingsVersion (a stale one is a 412 the engine retries after a re-read).
 */
import { fromClient, toClient } from '../gcp/proto.js';
import { isNotFound, OperationFailedError } from '../gcp/errors.js';
import { pollOperation } from './op-wait.js';
import type { Observed, Resource } from '../engine/types.js';
import { diffFields, topOf } from './diff.js';
import { NO_RETRY } from './call-options.js';
import { lastSegment, ownedByName, ownerOf, readOnce, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

const T = (t: string): string => `google.cloud.sql.v1.${t}`;

interface SqlOp {
  name?: string | null;
  status?: string | null;
  operationType?: string | null;
  targetId?: string | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
}

type Method = (req: Obj, opts: Obj) => Promise<[unknown, ...unknown[]]>;

async function call<R>(client: unknown, method: string, req: Obj): Promise<R> {
  const fn = (client as Record<string, Method>)[method];
  if (typeof fn !== 'function') throw new Error(`sql client has no ${method}`);
  const [res] = await fn.call(client, req, NO_RETRY);
  return res as R;
}

export async function waitSqlOp(ctx: ProviderContext, first: SqlOp): Promise<void> {
  const what = `Cloud SQL operation ${first.name ?? '?'} (${[first.operationType, first.targetId].filter(Boolean).join(' ')})`;
  const op = await pollOperation(ctx, what, first, {
    done: (o) => o.status === 'DONE',
    next: (o) => call<SqlOp>(ctx.clients.sqlOperations, 'get', { project: ctx.project, operation: o.name }),
  });
  const e = op.error?.errors?.[0];
  if (e) throw new OperationFailedError(`${e.code ?? 'ERROR'}: ${e.message ?? ''}`, undefined, undefined, e.code ?? undefined);
}

function instanceObserved(ctx: ProviderContext, obj: Obj): Observed {
  const raw = fromClient('sql', T('DatabaseInstance'), obj);
  const settings = (raw.settings ?? {}) as Obj;
  const labels = (settings.userLabels ?? {}) as Record<string, string>;
  const state = String(raw.state ?? '');
  return {
    kind: 'sql.Instance',
    name: `projects/${ctx.project}/instances/${String(raw.name)}`,
    region: typeof raw.region === 'string' ? raw.region : undefined,
    raw,
    labels,
    owner: ownerOf(labels),
    protect: settings.deletionProtectionEnabled === true,
    pending: state === 'PENDING_CREATE' || state === 'MAINTENANCE',
    version: settings.settingsVersion === undefined ? undefined : String(settings.settingsVersion),
  };
}

/** Cloud SQL runs one operation per instance at a time, and a replica's create runs on its primary. */
function family(item: { name: string; spec?: Record<string, unknown> }): string {
  const master = typeof item.spec?.masterInstanceName === 'string' ? item.spec.masterInstanceName.split(/[:/]/).pop() : undefined;
  const m = /instances\/([^/]+)/.exec(item.name);
  return `serial:sql/${master ?? m?.[1] ?? item.name}`;
}

const instance: Provider = {
  kind: 'sql.Instance',
  api: 'sql',
  scope: 'regional',
  createSeconds: 480,
  bucket: family,
  immutable: ['region', 'databaseVersion', 'masterInstanceName', 'instanceType', 'settings.edition'],

  async list(ctx, regions) {
    const out: Observed[] = [];
    let pageToken: string | undefined;
    do {
      const req = { project: ctx.project, pageToken };
      const res = await readOnce(ctx, () => call<{ items?: Obj[]; nextPageToken?: string }>(ctx.clients.sqlInstances, 'list', req));
      for (const item of res.items ?? []) {
        const o = instanceObserved(ctx, item);
        if (o.region && regions.includes(o.region)) out.push(o);
      }
      pageToken = res.nextPageToken || undefined;
    } while (pageToken);
    return out;
  },

  async get(ctx, r) {
    try {
      return instanceObserved(ctx, await call<Obj>(ctx.clients.sqlInstances, 'get', { project: ctx.project, instance: lastSegment(r.name) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },

  diff(r, o) {
    return diffFields(r.spec, o.raw, { unordered: ['settings.databaseFlags'] });
  },

  async create(ctx, r) {
    const op = await call<SqlOp>(ctx.clients.sqlInstances, 'insert', { project: ctx.project, body: toClient('sql', T('DatabaseInstance'), r.spec) });
    await waitSqlOp(ctx, op);
  },

  async update(ctx, r, o, changes) {
    const tops = [...new Set(changes.map((c) => topOf(c.path)))];
    const body: Obj = { name: lastSegment(r.name) };
    for (const t of tops) body[t] = r.spec[t];
    if (body.settings) body.settings = { ...(body.settings as Obj), settingsVersion: (o.raw.settings as Obj | undefined)?.settingsVersion };
    const op = await call<SqlOp>(ctx.clients.sqlInstances, 'patch', { project: ctx.project, instance: lastSegment(r.name), body: toClient('sql', T('DatabaseInstance'), body) });
    await waitSqlOp(ctx, op);
  },

  async delete(ctx, o) {
    const id = lastSegment(o.name);
    if (o.protect) {
      // The engine only gets here with --allow-destroy-protected: lift the API's own guard first.
      const settings = { deletionProtectionEnabled: false, settingsVersion: (o.raw.settings as Obj | undefined)?.settingsVersion };
      await waitSqlOp(ctx, await call<SqlOp>(ctx.clients.sqlInstances, 'patch', { project: ctx.project, instance: id, body: toClient('sql', T('DatabaseInstance'), { name: id, settings }) }));
    }
    await waitSqlOp(ctx, await call<SqlOp>(ctx.clients.sqlInstances, 'delete', { project: ctx.project, instance: id }));
  },
};

/** projects/p/instances/i/databases/d -> {instance: i, id: d} */
function childIds(name: string): { instance: string; id: string } {
  const m = /instances\/([^/]+)\/(?:databases|users)\/([^/]+)$/.exec(name);
  if (!m) throw new Error(`not a Cloud SQL child name: ${name}`);
  return { instance: m[1]!, id: m[2]! };
}

function childProvider(kind: 'sql.Database' | 'sql.User'): Provider {
  const isUser = kind === 'sql.User';
  const coll = isUser ? 'users' : 'databases';
  const client = (ctx: ProviderContext): unknown => (isUser ? ctx.clients.sqlUsers : ctx.clients.sqlDatabases);
  const type = T(isUser ? 'User' : 'Database');
  const parse = (ctx: ProviderContext, instanceId: string, region: string | undefined, obj: Obj): Observed => {
    const raw = fromClient('sql', type, obj);
    return { kind, name: `projects/${ctx.project}/instances/${instanceId}/${coll}/${String(raw.name)}`, region, raw, labels: {} };
  };
  const listFor = async (ctx: ProviderContext, instanceId: string, region: string | undefined): Promise<Observed[]> => {
    try {
      const res = await readOnce(ctx, () => call<{ items?: Obj[] }>(client(ctx), 'list', { project: ctx.project, instance: instanceId }));
      return (res.items ?? []).map((x) => parse(ctx, instanceId, region, x));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  };
  return {
    kind,
    api: 'sql',
    scope: 'regional',
    createSeconds: 10,
    bucket: family,
    // Owned through their instance: list under the instances the spec names.
    async list(ctx, regions, desired) {
      const parents = new Map<string, string | undefined>();
      for (const r of desired ?? []) if (!r.region || regions.includes(r.region)) parents.set(childIds(r.name).instance, r.region);
      const all = await Promise.all([...parents].map(([i, region]) => listFor(ctx, i, region)));
      return all.flat().map((o) => ownedByName(o, desired, ctx));
    },
    async get(ctx, r) {
      const { instance: i, id } = childIds(r.name);
      const found = (await listFor(ctx, i, r.region)).find((o) => lastSegment(o.name) === id);
      return found ? { ...found, owner: ctx.topology } : undefined;
    },
    diff(r, o) {
      // The API never returns a password: it is set at create and rotated through the secret.
      return diffFields(r.spec, o.raw, { ignore: ['password', 'instance'] });
    },
    async create(ctx, r) {
      const { instance: i } = childIds(r.name);
      await waitSqlOp(ctx, await call<SqlOp>(client(ctx), 'insert', { project: ctx.project, instance: i, body: toClient('sql', type, r.spec) }));
    },
    async update(ctx, r) {
      const { instance: i, id } = childIds(r.name);
      const body = toClient('sql', type, r.spec);
      const op = isUser
        ? await call<SqlOp>(client(ctx), 'update', { project: ctx.project, instance: i, name: id, host: r.spec.host ?? '', body })
        : await call<SqlOp>(client(ctx), 'patch', { project: ctx.project, instance: i, database: id, body });
      await waitSqlOp(ctx, op);
    },
    async delete(ctx, o) {
      const { instance: i, id } = childIds(o.name);
      const req = isUser ? { project: ctx.project, instance: i, name: id, host: String(o.raw.host ?? '') } : { project: ctx.project, instance: i, database: id };
      await waitSqlOp(ctx, await call<SqlOp>(client(ctx), 'delete', req));
    },
  };
}

export const sqlProviders: Provider[] = [instance, childProvider('sql.Database'), childProvider('sql.User')];
export type { Resource };
