/**
 * Secret Manager secrets. The secret's value comes from annotations["ruvector-value-from"]:
 * `literal:<v>`, `generate:password:<n>`, `<resource name>#<field>` (e.g. a Redis host), or
 * `none`. We never read a payload to diff it: the secret carries the value's SHA-256 prefix
 * in a label, so a plan costs no access calls and never holds the value.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromClient, toClient } from '../gcp/proto.js';
import { classify, GRPC, isNotFound } from '../gcp/errors.js';
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

/**
 * Digests of the versions this session's clients added, by secret: a create or update that is
 * retried (a throttled label update after the version landed, a lost reply) finds its version
 * here rather than minting another value. Digests only: the value itself is never kept.
 */
const added = new WeakMap<object, Map<string, string>>();

/** The payload of the secret's newest version; undefined when it has none that can be read. */
async function latestPayload(ctx: ProviderContext, name: string): Promise<string | undefined> {
  try {
    const v = await call<{ payload?: { data?: Uint8Array | string } }>(ctx, 'accessSecretVersion', { name: `${name}/versions/latest` });
    const data = v.payload?.data;
    if (data === undefined) return undefined;
    return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
  } catch (err) {
    // No version yet, or the newest one disabled or destroyed: there is no value to keep.
    if (isNotFound(err) || classify(err).grpcCode === GRPC.FAILED_PRECONDITION) return undefined;
    throw err;
  }
}

/**
 * Makes the secret hold the desired value and returns its digest, adding a version only when
 * it does not hold it yet. A generated value is generated once: a secret that already has a
 * readable version (an earlier try of this create, a run killed before the digest label was
 * set) keeps it, so the password a database user was given stays the secret's value.
 */
async function ensureVersion(ctx: ProviderContext, r: Resource): Promise<string | undefined> {
  const want = typeof r.spec[VALUE] === 'string' ? (r.spec[VALUE] as string) : undefined;
  const length = typeof r.spec[GENERATE] === 'number' ? (r.spec[GENERATE] as number) : undefined;
  if (want === undefined && length === undefined) return undefined;
  let mine = added.get(ctx.clients);
  if (!mine) added.set(ctx.clients, (mine = new Map()));
  const had = mine.get(r.name);
  if (had && (want === undefined || had === sha(want))) return had;
  const current = await latestPayload(ctx, r.name);
  if (current !== undefined && (want === undefined || sha(current) === sha(want))) return sha(current);
  const value = want ?? password(length!);
  await call(ctx, 'addSecretVersion', { parent: r.name, payload: { data: Buffer.from(value, 'utf8') } });
  mine.set(r.name, sha(value));
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

    minted(r) {
      // A generated value lives only in the secret's versions: a new secret gets a new value.
      return String((r.spec.annotations as Record<string, string> | undefined)?.[VALUE_FROM] ?? '').startsWith('generate:');
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
      const digest = await ensureVersion(ctx, r);
      if (digest) await setShaLabel(ctx, r, digest);
    },

    async update(ctx, r, o, changes) {
      const tops = [...new Set(changes.map((c) => topOf(c.path)))];
      const apiTops = tops.filter((t) => t !== 'value');
      let labels = { ...o.labels, ...((r.spec.labels as Record<string, string> | undefined) ?? {}) };
      if (tops.includes('value')) {
        const digest = await ensureVersion(ctx, r);
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
      return latestPayload(ctx, o.name);
    },
  },
];

async function setShaLabel(ctx: ProviderContext, r: Resource, digest: string): Promise<void> {
  const labels = { ...((r.spec.labels as Record<string, string> | undefined) ?? {}), [VALUE_SHA_LABEL]: digest };
  await call(ctx, 'updateSecret', { secret: toClient('secret-manager', 'google.cloud.secretmanager.v1.Secret', { name: r.name, labels }), updateMask: { paths: ['labels'] } });
}
