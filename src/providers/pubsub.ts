/** Pub/Sub topics, subscriptions and schemas through the v1 gax clients (no operations). */
import { fromClient, toClient } from '../gcp/proto.js';
import { isNotFound } from '../gcp/errors.js';
import type { Observed, Resource } from '../engine/types.js';
import { diffFields, topOf } from './diff.js';
import { NO_RETRY } from './call-options.js';
import { eachItem, labelsOf, lastSegment, ownedByName, ownerOf, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

type Method = (req: Obj, opts: Obj) => Promise<[unknown, ...unknown[]]>;
async function call<R>(client: unknown, method: string, req: Obj): Promise<R> {
  const fn = (client as Record<string, Method>)[method];
  if (typeof fn !== 'function') throw new Error(`pubsub client has no ${method}`);
  const [res] = await fn.call(client, req, NO_RETRY);
  return res as R;
}
function iterate(client: unknown, method: string, req: Obj): AsyncIterable<Obj> {
  return (client as Record<string, (r: Obj, o: Obj) => AsyncIterable<Obj>>)[method]!.call(client, req, NO_RETRY);
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

interface PsKind {
  kind: string;
  type: string;
  client: (ctx: ProviderContext) => unknown;
  list: [string, (ctx: ProviderContext) => Obj];
  get: [string, string];
  create: (ctx: ProviderContext, r: Resource, body: Obj) => Promise<unknown>;
  update?: [string, string];
  del: [string, string];
  immutable?: string[];
  byName?: boolean;
}

function make(k: PsKind): Provider {
  const parse = (obj: Obj): Observed => {
    const raw = fromClient('pubsub', k.type, obj);
    const labels = labelsOf(raw);
    return { kind: k.kind, name: String(raw.name), raw, labels, owner: ownerOf(labels) };
  };
  return {
    kind: k.kind,
    api: 'pubsub',
    scope: 'global',
    createSeconds: 1,
    immutable: k.immutable,
    requiresReplace: k.update ? undefined : (changes) => changes.length > 0,
    async list(ctx, _regions, desired) {
      const out: Observed[] = [];
      for await (const obj of eachItem(ctx, iterate(k.client(ctx), `${k.list[0]}Async`, k.list[1](ctx)))) {
        const o = parse(obj);
        out.push(k.byName ? ownedByName(o, desired, ctx) : o);
      }
      return out;
    },
    async get(ctx, r) {
      try {
        const o = parse(await call<Obj>(k.client(ctx), k.get[0], { [k.get[1]]: r.name }));
        return k.byName ? { ...o, owner: ctx.topology } : o;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    diff(r, o) {
      return diffFields(r.spec, o.raw);
    },
    async create(ctx, r) {
      await k.create(ctx, r, toClient('pubsub', k.type, { ...r.spec, name: r.name }));
    },
    async update(ctx, r, _o, changes) {
      if (!k.update) throw new Error(`${k.kind} cannot change in place`);
      const tops = [...new Set(changes.map((c) => topOf(c.path)))];
      const body = toClient('pubsub', k.type, { ...Object.fromEntries(tops.map((t) => [t, r.spec[t]])), name: r.name });
      await call(k.client(ctx), k.update[0], { [k.update[1]]: body, updateMask: { paths: tops.map(snake) } });
    },
    async delete(ctx, o) {
      await call(k.client(ctx), k.del[0], { [k.del[1]]: o.name });
    },
  };
}

export const pubsubProviders: Provider[] = [
  make({
    kind: 'pubsub.Schema',
    type: 'google.pubsub.v1.Schema',
    client: (ctx) => ctx.clients.schemas,
    list: ['listSchemas', (ctx) => ({ parent: `projects/${ctx.project}`, view: 'FULL' })],
    get: ['getSchema', 'name'],
    create: (ctx, r, body) => call(ctx.clients.schemas, 'createSchema', { parent: `projects/${ctx.project}`, schemaId: lastSegment(r.name), schema: body }),
    del: ['deleteSchema', 'name'],
    byName: true,
  }),
  make({
    kind: 'pubsub.Topic',
    type: 'google.pubsub.v1.Topic',
    client: (ctx) => ctx.clients.publisher,
    list: ['listTopics', (ctx) => ({ project: `projects/${ctx.project}` })],
    get: ['getTopic', 'topic'],
    create: (ctx, _r, body) => call(ctx.clients.publisher, 'createTopic', body),
    update: ['updateTopic', 'topic'],
    del: ['deleteTopic', 'topic'],
    immutable: ['schemaSettings.schema'],
  }),
  make({
    kind: 'pubsub.Subscription',
    type: 'google.pubsub.v1.Subscription',
    client: (ctx) => ctx.clients.subscriber,
    list: ['listSubscriptions', (ctx) => ({ project: `projects/${ctx.project}` })],
    get: ['getSubscription', 'subscription'],
    create: (ctx, _r, body) => call(ctx.clients.subscriber, 'createSubscription', body),
    update: ['updateSubscription', 'subscription'],
    del: ['deleteSubscription', 'subscription'],
    immutable: ['topic'],
  }),
];
