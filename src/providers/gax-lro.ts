/**
 * Kinds served by AIP-style APIs with google.longrunning operations: Cloud Run v2,
 * Memorystore Redis v1, Serverless VPC Access v1. The client's operation.promise() polls
 * under project+location for us.
 */
import { fromClient, toClient, type ProtoPackage } from '../gcp/proto.js';
import { classify, isNotFound, OperationFailedError } from '../gcp/errors.js';
import type { FieldChange, Observed, Resource } from '../engine/types.js';
import { diffFields, topOf } from './diff.js';
import { lroOptions, NO_RETRY } from './call-options.js';
import { eachItem, labelsOf, lastSegment, ownedByName, ownerOf, regionFromName, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

export interface Lro {
  name?: string;
  done?: boolean;
  promise(): Promise<unknown[]>;
}

interface GaxLroClient {
  [method: string]: unknown;
}

async function invoke<R>(c: GaxLroClient, method: string, req: Obj, opts: Obj = NO_RETRY): Promise<R> {
  const fn = c[method] as ((r: Obj, o: Obj) => Promise<[R, ...unknown[]]>) | undefined;
  if (typeof fn !== 'function') throw new Error(`client has no ${method}`);
  const [res] = await fn.call(c, req, opts);
  return res;
}

function iterate(c: GaxLroClient, method: string, req: Obj): AsyncIterable<Obj> {
  const fn = c[method] as (r: Obj, o: Obj) => AsyncIterable<Obj>;
  return fn.call(c, req, NO_RETRY);
}

/** Wait for a long-running operation, turning a failed one into a classifiable error. */
export async function finish(ctx: ProviderContext, op: Lro): Promise<void> {
  if (!op.done) ctx.onWait?.(`operation ${op.name ?? '?'}`);
  try {
    await op.promise();
  } catch (err) {
    const e = err as { code?: number; message?: string };
    if (typeof e.code === 'number' && e.code < 100) throw new OperationFailedError(e.message ?? 'operation failed', e.code);
    throw err;
  }
}

interface LroKind {
  kind: string;
  api: string;
  pkg: ProtoPackage;
  type: string;
  client: (ctx: ProviderContext) => GaxLroClient;
  collection: string; // 'services' | 'instances' | 'connectors'
  idParam: string; // 'serviceId' | 'instanceId' | 'connectorId'
  bodyParam: string; // 'service' | 'instance' | 'connector'
  method: { list: string; get: string; create: string; update?: string; delete: string };
  /** The API accepts locations/- for a project-wide list. */
  wildcardList: boolean;
  /** Ownership without labels: by name in the spec. */
  ownedByName?: boolean;
  /** updateMask style: 'none' sends the whole object (Run), 'snake' lists changed fields. */
  mask?: 'none' | 'snake';
  immutable?: string[];
  pending: (raw: Obj) => boolean;
  createSeconds: number;
  ignore?: string[];
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

function makeProvider(k: LroKind): Provider {
  const parse = (ctx: ProviderContext, obj: Obj): Observed => {
    const raw = fromClient(k.pkg, k.type, obj);
    const name = String(raw.name ?? '');
    const labels = labelsOf(raw);
    return {
      kind: k.kind,
      name,
      region: regionFromName(name),
      raw,
      labels,
      owner: ownerOf(labels, raw.description),
      pending: k.pending(raw),
      version: typeof raw.etag === 'string' ? raw.etag : undefined,
    };
  };
  const parent = (ctx: ProviderContext, region: string): string => `projects/${ctx.project}/locations/${region}`;

  return {
    kind: k.kind,
    api: k.api,
    scope: 'regional',
    createSeconds: k.createSeconds,
    immutable: k.immutable,
    requiresReplace: k.method.update ? undefined : (changes: FieldChange[]) => changes.length > 0,

    async list(ctx, regions, desired) {
      const out: Observed[] = [];
      const add = (o: Observed): void => {
        if (o.region && regions.includes(o.region)) out.push(k.ownedByName ? ownedByName(o, desired, ctx) : o);
      };
      if (k.wildcardList) {
        for await (const obj of eachItem(ctx, iterate(k.client(ctx), `${k.method.list}Async`, { parent: parent(ctx, '-') }))) add(parse(ctx, obj));
      } else {
        await Promise.all(
          regions.map(async (region) => {
            for await (const obj of eachItem(ctx, iterate(k.client(ctx), `${k.method.list}Async`, { parent: parent(ctx, region) }))) add(parse(ctx, obj));
          }),
        );
      }
      return out;
    },

    async get(ctx, r) {
      try {
        const obj = await invoke<Obj>(k.client(ctx), k.method.get, { name: r.name });
        const o = parse(ctx, obj);
        return k.ownedByName ? { ...o, owner: ctx.topology } : o;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    diff(r, o) {
      return diffFields(r.spec, o.raw, { ignore: k.ignore });
    },

    async create(ctx, r) {
      const region = r.region ?? regionFromName(r.name)!;
      const op = await invoke<Lro>(k.client(ctx), k.method.create, {
        parent: parent(ctx, region),
        [k.idParam]: lastSegment(r.name),
        [k.bodyParam]: toClient(k.pkg, k.type, r.spec),
      }, lroOptions(ctx));
      await finish(ctx, op);
    },

    async update(ctx, r, o, changes) {
      if (!k.method.update) throw new Error(`${k.kind} has no in-place update`);
      const tops = [...new Set(changes.map((c) => topOf(c.path)))];
      const body: Obj = { ...(k.mask === 'none' ? r.spec : Object.fromEntries(tops.map((t) => [t, r.spec[t]]))), name: r.name };
      if (o.raw.etag) body.etag = o.raw.etag;
      const req: Obj = { [k.bodyParam]: toClient(k.pkg, k.type, body) };
      if (k.mask === 'snake') req.updateMask = { paths: tops.map(snake) };
      await finish(ctx, await invoke<Lro>(k.client(ctx), k.method.update, req, lroOptions(ctx)));
    },

    async delete(ctx, o) {
      try {
        await finish(ctx, await invoke<Lro>(k.client(ctx), k.method.delete, { name: o.name }, lroOptions(ctx)));
      } catch (err) {
        if (classify(err).kind === 'notFound') return;
        throw err;
      }
    },

    async readField(_ctx, o, field) {
      const v = field.split('.').reduce<unknown>((cur, key) => (cur && typeof cur === 'object' ? (cur as Obj)[key] : undefined), o.raw);
      return v === undefined || v === null ? undefined : String(v);
    },
  };
}

const runService = makeProvider({
  kind: 'run.Service',
  api: 'run',
  pkg: 'run',
  type: 'google.cloud.run.v2.Service',
  client: (ctx) => ctx.clients.run as unknown as GaxLroClient,
  collection: 'services',
  idParam: 'serviceId',
  bodyParam: 'service',
  method: { list: 'listServices', get: 'getService', create: 'createService', update: 'updateService', delete: 'deleteService' },
  wildcardList: true,
  mask: 'none',
  pending: (raw) => raw.reconciling === true,
  createSeconds: 20,
});

const redisInstance = makeProvider({
  kind: 'redis.Instance',
  api: 'redis',
  pkg: 'redis',
  type: 'google.cloud.redis.v1.Instance',
  client: (ctx) => ctx.clients.redis as unknown as GaxLroClient,
  collection: 'instances',
  idParam: 'instanceId',
  bodyParam: 'instance',
  method: { list: 'listInstances', get: 'getInstance', create: 'createInstance', update: 'updateInstance', delete: 'deleteInstance' },
  wildcardList: true,
  mask: 'snake',
  // What UpdateInstance cannot change (redisVersion moves through :upgrade, not handled here).
  immutable: ['tier', 'authorizedNetwork', 'connectMode', 'locationId', 'alternativeLocationId', 'reservedIpRange', 'redisVersion', 'transitEncryptionMode'],
  pending: (raw) => raw.state === 'CREATING' || raw.state === 'UPDATING',
  createSeconds: 300,
});

const vpcConnector = makeProvider({
  kind: 'vpcaccess.Connector',
  api: 'vpcaccess',
  pkg: 'vpc-access',
  type: 'google.cloud.vpcaccess.v1.Connector',
  client: (ctx) => ctx.clients.vpcaccess as unknown as GaxLroClient,
  collection: 'connectors',
  idParam: 'connectorId',
  bodyParam: 'connector',
  method: { list: 'listConnectors', get: 'getConnector', create: 'createConnector', delete: 'deleteConnector' },
  wildcardList: false,
  ownedByName: true,
  pending: (raw) => raw.state === 'CREATING',
  createSeconds: 90,
});

export const lroProviders: Provider[] = [runService, redisInstance, vpcConnector];
export { makeProvider as makeLroProvider };
export type { Resource };
