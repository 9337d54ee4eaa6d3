import { EmuError, type Collection, type EmuRequest, type EmulatorContext, type OperationRecord, type Route } from '../../../core/types.js';
import { err } from './errors.js';
import { checkRegion } from './geo.js';
import { fingerprint, labelFingerprint, newId, timestamp } from './ids.js';
import { canonicalRef, link, pluralOf, references, renderLinks, resourceKey, scopePath, type RefKind } from './links.js';
import { listPage, parseFilter } from './list.js';
import { idempotent, startOperation } from './operations.js';
import { asRecord, bodyOf, checkName, labelsOf } from './validate.js';

export type Res = Record<string, unknown>;

export interface Loc {
  project: string;
  region?: string;
}

export interface BuildArgs {
  ctx: EmulatorContext;
  loc: Loc;
  key: string;
  /** The stored version being replaced (patch, update, set*). */
  prev?: Res;
  mode: 'insert' | 'patch' | 'update' | 'set';
}

/**
 * One Compute collection. `build` validates a desired state (request form: references in
 * any form GCE accepts) and returns the stored user-settable fields with defaults applied
 * and references canonical; the factory adds the server fields and does the bookkeeping.
 */
export interface KindDef {
  plural: string;
  kind: string;
  listKind: string;
  scope: 'global' | 'regional';
  /** How GCE names the type in "resource is already being used" errors: 'network', 'backend_service'. */
  noun: string;
  /**
   * The resource carries a fingerprint; patch/update must send the current one ("An
   * up-to-date fingerprint must be provided in order to update ...", else 412 conditionNotMet).
   */
  fingerprint?: boolean;
  labels?: boolean;
  patch?: boolean;
  update?: boolean;
  /** Output-only fields beyond the common ones, dropped from requests. */
  outputOnly?: string[];
  build(input: Res, a: BuildArgs): Res;
  quota?(res: Res, loc: Loc): { scope: string; metric: string; amount?: number } | undefined;
  /** GCE reports this kind's quota failure in the operation rather than the call. */
  quotaInOperation?: boolean;
  /** GCE reports "already being used" for this kind in the delete operation (networks). */
  inUseInOperation?: boolean;
  /** Fields computed on read (e.g. a network's subnetworks). */
  derive?(res: Res, ctx: EmulatorContext, key: string): Res;
  /** Extra reasons the resource cannot be deleted, besides other resources linking to it. */
  deleteBlocker?(res: Res, ctx: EmulatorContext, key: string): EmuError | undefined;
}

const SERVER_FIELDS = ['kind', 'id', 'creationTimestamp', 'selfLink', 'selfLinkWithId', 'fingerprint', 'labelFingerprint', 'region', '_quota'];

/** A kind's definition, typed. It is served once compute/kinds.ts lists it. */
export function defineKind(def: KindDef): KindDef {
  return def;
}

const registries = new WeakMap<EmulatorContext, readonly KindDef[]>();

/** Tells one emulator which Compute kinds it serves (compute/kinds.ts), when its routes are built. */
export function registerKinds(ctx: EmulatorContext, kinds: readonly KindDef[]): void {
  registries.set(ctx, kinds);
}

function kindsOf(ctx: EmulatorContext): readonly KindDef[] {
  const kinds = registries.get(ctx);
  if (!kinds) throw new Error('no Compute kinds registered for this emulator: build the compute API routes (registerKinds) first');
  return kinds;
}

export function collectionFor<T = Res>(ctx: EmulatorContext, plural: string): Collection<T> {
  return ctx.store.collection<T>(`compute.${plural}`);
}

export function locOf(req: EmuRequest, ctx: EmulatorContext): Loc {
  const { project, region } = req.params;
  if (region) checkRegion(ctx, project!, region);
  return region ? { project: project!, region } : { project: project! };
}

export function stripOutput(def: KindDef, body: Res): Res {
  const out: Res = {};
  for (const [k, v] of Object.entries(body)) {
    if (SERVER_FIELDS.includes(k) || k.startsWith('_') || def.outputOnly?.includes(k)) continue;
    if (def.labels && k === 'labels') continue;
    out[k] = v;
  }
  return out;
}

/** The user-settable part of a stored resource (internal `_fields` kept for build). */
export function userFields(def: KindDef, res: Res): Res {
  const out: Res = {};
  for (const [k, v] of Object.entries(res)) {
    if (SERVER_FIELDS.includes(k) || k === 'labels' || def.outputOnly?.includes(k)) continue;
    out[k] = structuredClone(v);
  }
  return out;
}

/** RFC 7396 JSON merge patch, which is what Compute's PATCH methods apply. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const base: Res = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Res) } : {};
  for (const [k, v] of Object.entries(patch as Res)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}

export function render(def: KindDef, ctx: EmulatorContext, key: string, res: Res): Res {
  const derived = def.derive ? def.derive(structuredClone(res), ctx, key) : res;
  return renderLinks(derived, ctx.baseUrl()) as Res;
}

function emit(ctx: EmulatorContext, def: KindDef, key: string, res: Res, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: 'compute', kind: def.kind, name: key, resource: render(def, ctx, key, res), change });
}

/**
 * Resolves a reference and checks the target exists: GCE answers 404 for a link to a
 * resource that is not there. Returns the stored link and the target.
 */
export function resolveRef(ctx: EmulatorContext, value: unknown, field: string, loc: Loc, allowed: RefKind[]): { link: string; key: string; res: Res } {
  const key = canonicalRef(value, field, loc.project, allowed, loc.region);
  const res = collectionFor(ctx, pluralOf(key)).peek(key);
  if (!res) throw err.notFound(key);
  return { link: link(key), key, res };
}

/** Every resource (of any Compute kind) that links to `key`, as keys. */
export function findUsers(ctx: EmulatorContext, key: string, project: string): string[] {
  const out: string[] = [];
  for (const plural of new Set(kindsOf(ctx).map((k) => k.plural))) {
    for (const res of collectionFor(ctx, plural).peekAll(`projects/${project}/`)) {
      const self = typeof res.selfLink === 'string' ? res.selfLink : '';
      if (self === link(key)) continue;
      if (references(res, key)) out.push(self.replace(/^compute:\/\//, ''));
    }
  }
  return out;
}

/** The first resource (of any Compute kind) that links to `key`. */
export function findUser(ctx: EmulatorContext, key: string, project: string): string | undefined {
  return findUsers(ctx, key, project)[0];
}

function checkFingerprint(def: KindDef, cur: Res, body: Res): void {
  if (!def.fingerprint) return;
  if (body.fingerprint !== cur.fingerprint) throw err.staleFingerprint();
}

export function insertResource(def: KindDef, ctx: EmulatorContext, loc: Loc, body: Res): OperationRecord {
  const name = checkName(body.name);
  const key = resourceKey(loc.project, loc.region, def.plural, name);
  const col = collectionFor(ctx, def.plural);
  if (col.peek(key)) throw err.alreadyExists(key);
  const built = def.build(stripOutput(def, body), { ctx, loc, key, mode: 'insert' });
  const q = def.quota?.(built, loc);
  if (q) {
    try {
      ctx.quotas.ensure('compute', { scope: q.scope, metric: q.metric, amount: q.amount ?? 1 });
    } catch (e) {
      if (def.quotaInOperation && e instanceof EmuError) {
        return startOperation(ctx, { project: loc.project, region: loc.region, operationType: 'insert', targetKey: key, fail: e });
      }
      throw e;
    }
  }
  const id = newId(ctx);
  const res: Res = { kind: def.kind, id, creationTimestamp: timestamp(ctx.now()), name, ...built, selfLink: link(key) };
  if (loc.region) res.region = link(scopePath(loc.project, loc.region));
  if (def.labels) {
    res.labels = labelsOf(body.labels);
    res.labelFingerprint = labelFingerprint(res.labels as Record<string, string>);
  }
  if (q) res._quota = { scope: q.scope, metric: q.metric, amount: q.amount ?? 1 };
  if (def.fingerprint) res.fingerprint = fingerprint(ctx, res);
  col.insert(key, res);
  if (q) ctx.quotas.use(q.scope, q.metric, q.amount ?? 1);
  emit(ctx, def, key, res, 'created');
  return startOperation(ctx, { project: loc.project, region: loc.region, operationType: 'insert', targetKey: key, targetId: id });
}

/**
 * Replaces a resource's user fields with `change(current)` (already validated through
 * build), keeps the server fields, rolls the fingerprint, stores and announces it.
 * No operation: helpers for other APIs (service networking peerings) call this directly.
 */
export function applyChange(def: KindDef, ctx: EmulatorContext, key: string, change: (cur: Res, key: string) => Res): { cur: Res; next: Res } {
  const col = collectionFor(ctx, def.plural);
  const cur = col.peek(key);
  if (!cur) throw err.notFound(key);
  const built = change(cur, key);
  const next: Res = { kind: def.kind, id: cur.id, creationTimestamp: cur.creationTimestamp, name: cur.name, ...built, selfLink: cur.selfLink };
  delete next.labels;
  delete next.labelFingerprint;
  if (cur.region) next.region = cur.region;
  if (def.labels) {
    next.labels = built.labels ?? cur.labels;
    next.labelFingerprint = labelFingerprint(next.labels as Record<string, string>);
  }
  if (cur._quota) next._quota = cur._quota;
  if (def.fingerprint) next.fingerprint = fingerprint(ctx, next);
  col.put(key, next);
  emit(ctx, def, key, next, 'updated');
  return { cur, next };
}

export function mutateResource(
  def: KindDef,
  ctx: EmulatorContext,
  loc: Loc,
  name: string,
  operationType: string,
  change: (cur: Res, key: string) => Res,
): OperationRecord {
  const key = resourceKey(loc.project, loc.region, def.plural, name);
  const { cur } = applyChange(def, ctx, key, change);
  return startOperation(ctx, { project: loc.project, region: loc.region, operationType, targetKey: key, targetId: String(cur.id) });
}

export function deleteResource(def: KindDef, ctx: EmulatorContext, loc: Loc, name: string): OperationRecord {
  const key = resourceKey(loc.project, loc.region, def.plural, name);
  const col = collectionFor(ctx, def.plural);
  const cur = col.peek(key);
  if (!cur) throw err.notFound(key);
  const user = findUser(ctx, key, loc.project);
  const blocker = user ? err.inUse(def.noun, key, user) : def.deleteBlocker?.(cur, ctx, key);
  if (blocker) {
    if (def.inUseInOperation) {
      return startOperation(ctx, { project: loc.project, region: loc.region, operationType: 'delete', targetKey: key, targetId: String(cur.id), fail: blocker });
    }
    throw blocker;
  }
  col.delete(key);
  const q = cur._quota as { scope: string; metric: string; amount: number } | undefined;
  if (q) ctx.quotas.use(q.scope, q.metric, -q.amount);
  emit(ctx, def, key, cur, 'deleted');
  return startOperation(ctx, { project: loc.project, region: loc.region, operationType: 'delete', targetKey: key, targetId: String(cur.id) });
}

export function collectionPath(def: KindDef): string {
  return `/compute/v1/projects/{project}/${def.scope === 'global' ? 'global' : 'regions/{region}'}/${def.plural}`;
}

export function itemPath(def: KindDef): string {
  return `${collectionPath(def)}/{name}`;
}

/** A POST `set*` style call that rewrites part of the resource and returns an operation. */
export function actionRoute(
  def: KindDef,
  path: string,
  operationType: string,
  apply: (cur: Res, body: Res, a: BuildArgs, req: EmuRequest) => Res,
  method: 'POST' | 'PATCH' = 'POST',
): Route {
  return {
    method, path, style: 'compute', api: 'compute', write: true,
    handler: (req, ctx) => {
      const loc = locOf(req, ctx);
      const body = bodyOf(req.body);
      return idempotent(ctx, req, loc.project, () =>
        mutateResource(def, ctx, loc, req.params.name!, operationType, (cur, key) => apply(cur, body, { ctx, loc, key, prev: cur, mode: 'set' }, req)),
      );
    },
  };
}

/** insert, get, list, delete, and patch/update/setLabels where the kind has them. */
export function crudRoutes(def: KindDef): Route[] {
  const coll = collectionPath(def);
  const item = itemPath(def);
  const routes: Route[] = [
    {
      method: 'POST', path: coll, style: 'compute', api: 'compute', write: true,
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const body = asRecord(req.body, 'resource');
        return idempotent(ctx, req, loc.project, () => insertResource(def, ctx, loc, body));
      },
    },
    {
      method: 'GET', path: item, style: 'compute', api: 'compute',
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const key = resourceKey(loc.project, loc.region, def.plural, req.params.name!);
        const res = collectionFor(ctx, def.plural).get(key);
        if (!res) throw err.notFound(key);
        return { body: render(def, ctx, key, res) };
      },
    },
    {
      method: 'GET', path: coll, style: 'compute', api: 'compute',
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const prefix = `${scopePath(loc.project, loc.region)}/${def.plural}`;
        const items = collectionFor(ctx, def.plural)
          .list(`${prefix}/`)
          .map((r) => render(def, ctx, `${prefix}/${String(r.name)}`, r));
        return { body: listPage(req, items, { kind: def.listKind, id: prefix, selfLink: `${ctx.baseUrl()}/compute/v1/${prefix}` }) };
      },
    },
    {
      method: 'DELETE', path: item, style: 'compute', api: 'compute', write: true,
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        return idempotent(ctx, req, loc.project, () => deleteResource(def, ctx, loc, req.params.name!));
      },
    },
  ];
  const rewrite = (mode: 'patch' | 'update') => (req: EmuRequest, ctx: EmulatorContext) => {
    const loc = locOf(req, ctx);
    const body = asRecord(req.body, 'resource');
    return idempotent(ctx, req, loc.project, () =>
      mutateResource(def, ctx, loc, req.params.name!, mode, (cur, key) => {
        checkFingerprint(def, cur, body);
        if (body.name !== undefined && body.name !== cur.name) throw err.invalid('resource.name', body.name, 'The name of a resource cannot be changed.');
        const input = mode === 'patch' ? (mergePatch(userFields(def, cur), stripOutput(def, body)) as Res) : { ...stripOutput(def, body), name: cur.name };
        return def.build(input, { ctx, loc, key, prev: cur, mode });
      }),
    );
  };
  if (def.patch) routes.push({ method: 'PATCH', path: item, style: 'compute', api: 'compute', write: true, handler: rewrite('patch') });
  if (def.update) routes.push({ method: 'PUT', path: item, style: 'compute', api: 'compute', write: true, handler: rewrite('update') });
  if (def.labels) {
    routes.push(
      actionRoute(def, `${item}/setLabels`, 'setLabels', (cur, body, a) => {
        const sent = body.labelFingerprint;
        if (typeof sent !== 'string' || sent === '') throw err.required('labelFingerprint');
        if (sent !== cur.labelFingerprint) throw err.staleFingerprint('label fingerprint');
        return { ...def.build(userFields(def, cur), a), labels: labelsOf(body.labels, 'labels') };
      }),
    );
  }
  return routes;
}

/**
 * `GET /aggregated/{plural}`: every scope's resources in one call, keyed 'global' or
 * 'regions/{r}' as GCE does. Scopes without resources are left out; the filter applies.
 */
export function aggregatedRoute(plural: string, kinds: readonly KindDef[]): Route {
  return {
    method: 'GET', path: `/compute/v1/projects/{project}/aggregated/${plural}`, style: 'compute', api: 'compute',
    handler: (req, ctx) => {
      const project = req.params.project!;
      const defs = kinds.filter((k) => k.plural === plural);
      const groups = new Map<string, Res[]>();
      for (const res of collectionFor(ctx, plural).list(`projects/${project}/`)) {
        const key = String(res.selfLink).replace(/^compute:\/\//, '');
        const m = /^projects\/[^/]+\/(global|regions\/[^/]+)\//.exec(key);
        const def = defs.find((d) => (d.scope === 'global') === (m?.[1] === 'global'));
        if (!m || !def) continue;
        const rendered = render(def, ctx, key, res);
        const list = groups.get(m[1]!) ?? [];
        list.push(rendered);
        groups.set(m[1]!, list);
      }
      const pred = parseFilter(req.query.get('filter'));
      const items: Record<string, unknown> = {};
      for (const [scope, list] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const kept = list.filter(pred);
        if (kept.length) items[scope] = { [plural]: kept };
      }
      const listKind = defs[0]?.listKind ?? `compute#${plural}List`;
      return {
        body: {
          kind: listKind.replace(/List$/, 'AggregatedList'),
          id: `projects/${project}/aggregated/${plural}`,
          items,
          selfLink: `${ctx.baseUrl()}/compute/v1/projects/${project}/aggregated/${plural}`,
        },
      };
    },
  };
}

export function aggregatedRoutes(kinds: readonly KindDef[]): Route[] {
  return [...new Set(kinds.map((k) => k.plural))].map((plural) => aggregatedRoute(plural, kinds));
}
