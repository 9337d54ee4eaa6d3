/**
 * Secret Manager secrets. The secret's value comes from annotations["ruvector-value-from"]:
 * `literal:<v>`, `generate:password:<n>`, `<resource name>#<field>` (e.g. a Redis host), or
 * `none`. We never read a payload to diff it: the secret carries the value's SHA-256 prefix
 * in a label, so a plan costs no access calls and never holds the value.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromClient, toClient } from '../gcp/proto.js';
import { isNotFound } from '../gcp/errors.js';
import type { FieldChange, Observed, Resource } from '../engine/types.js';
import { diffFields, topOf } from './diff.js';
import { NO_RETRY } from './call-options.js';
import { eachItem, labelsOf, ownerOf, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

const VALUE_FROM = 'ruvector-value-from';
export const VALUE_SHA_LABEL = 'ruvector-value-sha';
/** Derived, never sent: the value to store, after reference resolution. */
const VALUE = '_value';
const GENERATE = '_generate';

type Method = (req: Obj, opts: Obj) => Promise<[unknown, ...unknown[]]>;
async function call<R>(ctx: ProviderContext, method: string, req: Obj): Promise<R> {
  const c = ctx.clients.secrets as unknown as Record<string, Method>;
  const [res] = await c[method]!.call(c, req, NO_RETRY);
  return res as R;
}

const sha = (v: string): string => createHash('sha256').update(v).digest('hex').slice(0, 16);

function password(n: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function parse(ctx: ProviderContext, raw0: Obj): Observed {
  const raw = fromClient('secret-manager', 'google.cloud.secretmanager.v1.Secret', raw0);
  const labels = labelsOf(raw);
  // The API names secrets by project number; our identity uses the project id.
  const name = `projects/${ctx.project}/secrets/${String(raw.name).split('/').pop()}`;
  return { kind: 'secretmanager.Secret', name, raw, labels, owner: ownerOf(labels), version: typeof raw.etag === 'string' ? raw.etag : undefined };
}

function apiSpec(r: Resource): Obj {
  const { [VALUE]: _v, [GENERATE]: _g, ...rest } = r.spec;
  return rest;
}

async function addVersion(ctx: ProviderContext, r: Resource): Promise<string | undefined> {
  const value = typeof r.spec[VALUE] === 'string' ? (r.spec[VALUE] as string) : typeof r.spec[GENERATE] === 'number' ? password(r.spec[GENERATE] as number) : undefined;
  if (value === undefined) return undefined;
  await call(ctx, 'addSecretVersion', { parent: r.name, payload: { data: Buffer.from(value, 'utf8') } });
  return sha(value);
}

export const secretProviders: Provider[] = [
  {
    kind: 'secretmanager.Secret',
    api: 'secretmanager',
    scope: 'global',
    createSeconds: 1,
    immutable: ['replication'],

    prepare(r) {
      const from = (r.spec.annotations as Record<string, string> | undefined)?.[VALUE_FROM];
      if (!from || from === 'none') return r;
      if (from.startsWith('literal:')) return { ...r, spec: { ...r.spec, [VALUE]: from.slice('literal:'.length) } };
      const gen = /^generate:password:(\d+)$/.exec(from);
      if (gen) return { ...r, spec: { ...r.spec, [GENERATE]: Number(gen[1]) } };
      if (from.includes('#')) return { ...r, spec: { ...r.spec, [VALUE]: `\${ref:${from}}` } };
      return r;
    },

    async list(ctx) {
      const out: Observed[] = [];
      const c = ctx.clients.secrets as unknown as Record<string, (r: Obj, o: Obj) => AsyncIterable<Obj>>;
      for await (const s of eachItem(ctx, c.listSecretsAsync!.call(c, { parent: `projects/${ctx.project}` }, NO_RETRY))) out.push(parse(ctx, s));
      return out;
    },

    async get(ctx, r) {
      try {
        return parse(ctx, await call<Obj>(ctx, 'getSecret', { name: r.name }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    diff(r, o) {
      const changes: FieldChange[] = diffFields(apiSpec(r), o.raw);
      const have = o.labels[VALUE_SHA_LABEL];
      if (typeof r.spec[VALUE] === 'string' && !(r.spec[VALUE] as string).includes('${ref:')) {
        if (have !== sha(r.spec[VALUE] as string)) changes.push({ path: 'value', before: have ? 'set' : undefined, after: 'set', sensitive: true });
      } else if (typeof r.spec[VALUE] === 'string') {
        changes.push({ path: 'value', before: have ? 'set' : undefined, after: r.spec[VALUE], sensitive: true });
      } else if (r.spec[GENERATE] !== undefined && !have) {
        changes.push({ path: 'value', before: undefined, after: 'generated', sensitive: true });
      }
      return changes;
    },

    async create(ctx, r) {
      const body = toClient('secret-manager', 'google.cloud.secretmanager.v1.Secret', apiSpec(r));
      await call(ctx, 'createSecret', { parent: `projects/${ctx.project}`, secretId: r.name.split('/').pop(), secret: body });
      const digest = await addVersion(ctx, r);
      if (digest) await setShaLabel(ctx, r, digest);
    },

    async update(ctx, r, o, changes) {
      const tops = [...new Set(changes.map((c) => topOf(c.path)))];
      const apiTops = tops.filter((t) => t !== 'value');
      let labels = { ...o.labels, ...((r.spec.labels as Record<string, string> | undefined) ?? {}) };
      if (tops.includes('value')) {
        const digest = await addVersion(ctx, r);
        if (digest) labels = { ...labels, [VALUE_SHA_LABEL]: digest };
        if (!apiTops.includes('labels')) apiTops.push('labels');
      }
      if (apiTops.length === 0) return;
      const body: Obj = { name: r.name, ...Object.fromEntries(apiTops.map((t) => [t, t === 'labels' ? labels : r.spec[t]])) };
      if (o.raw.etag) body.etag = o.raw.etag;
      await call(ctx, 'updateSecret', { secret: toClient('secret-manager', 'google.cloud.secretmanager.v1.Secret', body), updateMask: { paths: apiTops } });
    },

    async delete(ctx, o) {
      await call(ctx, 'deleteSecret', { name: o.name });
    },

    async readField(ctx, o, field) {
      if (field !== 'payload') return undefined;
      try {
        const v = await call<{ payload?: { data?: Uint8Array | string } }>(ctx, 'accessSecretVersion', { name: `${o.name}/versions/latest` });
        const data = v.payload?.data;
        if (data === undefined) return undefined;
        return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  },
];

async function setShaLabel(ctx: ProviderContext, r: Resource, digest: string): Promise<void> {
  const labels = { ...((r.spec.labels as Record<string, string> | undefined) ?? {}), [VALUE_SHA_LABEL]: digest };
  await call(ctx, 'updateSecret', { secret: toClient('secret-manager', 'google.cloud.secretmanager.v1.Secret', { name: r.name, labels }), updateMask: { paths: ['labels'] } });
}
