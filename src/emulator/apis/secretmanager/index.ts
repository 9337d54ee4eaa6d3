/**
 * Secret Manager v1 (global secrets): secrets with replication, labels and etags; versions
 * with payload checksums, the `latest` alias, disable/enable/destroy; access; IAM policy.
 *
 * Payload bytes live in their own collection and are never logged, emitted or listed;
 * events carry version metadata only (the data plane reads the payload collection itself).
 */
import { type EmuRequest, type EmuResponse, type EmulatorContext } from '../../core/types.js';
import { defineApi, del, get, patch, post } from '../../core/api-kit.js';
import { paginate, parseUpdateMask } from '../../core/helpers.js';
import { codecApi, ProtoCodec, protoRoot, type Json } from '../sqladmin/protojson.js';
import { getPolicy, setPolicy, deletePolicy } from '../iam/policy.js';
import { crc32c } from './crc32c.js';
import { lastSegment } from '../../../util/resource-name.js';

const API = 'secretmanager';
const DOMAIN = 'secretmanager.googleapis.com';
const codec = new ProtoCodec(protoRoot('@google-cloud/secret-manager'), 'google.cloud.secretmanager.v1');

export const COL = {
  secrets: 'secretmanager.secrets',
  versions: 'secretmanager.versions',
  /** version name -> base64 payload. */
  payloads: 'secretmanager.payloads',
} as const;

const SECRET_ID_RE = /^[A-Za-z0-9_-]{1,255}$/;
const LABEL_KEY_RE = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE_RE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const MAX_PAYLOAD = 64 * 1024;

interface StoredSecret extends Json {
  name: string;
  etag: string;
  /** Internal: the next version number to hand out. */
  _next?: number;
}

const { err, decode, reply } = codecApi(codec, DOMAIN);

function secrets(ctx: EmulatorContext) {
  return ctx.store.collection<StoredSecret>(COL.secrets);
}
function versions(ctx: EmulatorContext) {
  return ctx.store.collection<Json>(COL.versions);
}

/** Secret Manager etags are quoted hex timestamps, e.g. "\"1620e1a9d6a4f8\"". */
function newEtag(ctx: EmulatorContext): string {
  const micros = ctx.now().getTime() * 1000 + Math.floor(ctx.random() * 1000);
  return `"${micros.toString(16)}"`;
}

function publicSecret(s: StoredSecret): Json {
  const { _next, ...rest } = s;
  return rest;
}

/** Secret Manager names projects by number; requests may use the id or the number. */
function projectKey(ctx: EmulatorContext, project: string): string {
  return `projects/${/^\d+$/.test(project) ? project : ctx.projectNumber(project)}`;
}

function secretName(req: EmuRequest, ctx: EmulatorContext): string {
  return `${projectKey(ctx, req.params['project']!)}/secrets/${req.params['secret']!}`;
}

function loadSecret(ctx: EmulatorContext, name: string): StoredSecret {
  const s = secrets(ctx).get(name);
  if (!s) throw err(404, 'NOT_FOUND', `Secret [${name}] not found or has no versions.`);
  return s;
}

function validateLabels(labels: unknown): void {
  const entries = Object.entries((labels as Json | undefined) ?? {});
  if (entries.length > 64) throw err(400, 'INVALID_ARGUMENT', 'A secret may have at most 64 labels.', 'secret.labels');
  for (const [k, v] of entries) {
    if (!LABEL_KEY_RE.test(k) || !LABEL_VALUE_RE.test(String(v))) throw err(400, 'INVALID_ARGUMENT', `Invalid label ${k}=${String(v)}.`, 'secret.labels');
  }
}

function validateReplication(rep: unknown): void {
  const r = (rep as Json | undefined) ?? {};
  const auto = r['automatic'] !== undefined;
  const user = r['userManaged'] as Json | undefined;
  if (auto === (user !== undefined)) throw err(400, 'INVALID_ARGUMENT', 'Secret.replication must set exactly one of automatic or user_managed.', 'secret.replication');
  if (user) {
    const replicas = Array.isArray(user['replicas']) ? (user['replicas'] as Json[]) : [];
    if (replicas.length === 0) throw err(400, 'INVALID_ARGUMENT', 'user_managed replication requires at least one replica.', 'secret.replication.user_managed.replicas');
    const seen = new Set<string>();
    for (const rp of replicas) {
      const loc = String(rp['location'] ?? '');
      if (!/^[a-z]+-[a-z]+\d+$/.test(loc)) throw err(400, 'INVALID_ARGUMENT', `Invalid replica location '${loc}'.`, 'secret.replication.user_managed.replicas.location');
      if (seen.has(loc)) throw err(400, 'INVALID_ARGUMENT', `Duplicate replica location '${loc}'.`, 'secret.replication.user_managed.replicas.location');
      seen.add(loc);
    }
  }
}

function emit(ctx: EmulatorContext, kind: string, name: string, resource: Json, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: API, kind, name, resource, change });
}

async function createSecret(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const project = req.params['project']!;
  const id = req.query.get('secretId') ?? '';
  if (!SECRET_ID_RE.test(id)) throw err(400, 'INVALID_ARGUMENT', `Invalid secret_id '${id}': it must be 1-255 characters of letters, digits, '-' and '_'.`, 'secret_id');
  const name = `${projectKey(ctx, project)}/secrets/${id}`;
  if (secrets(ctx).peek(name)) throw err(409, 'ALREADY_EXISTS', `Secret [${name}] already exists.`);
  const body = decode('Secret', req.body);
  validateReplication(body['replication']);
  validateLabels(body['labels']);
  const s: StoredSecret = {
    name,
    replication: body['replication'],
    createTime: ctx.now().toISOString(),
    etag: newEtag(ctx),
    _next: 1,
  };
  for (const f of ['labels', 'annotations', 'topics', 'rotation', 'versionAliases', 'versionDestroyTtl', 'expireTime', 'tags']) {
    if (body[f] !== undefined) s[f] = body[f];
  }
  if (body['ttl'] && !s['expireTime']) {
    const secs = Number.parseFloat(String(body['ttl']));
    s['expireTime'] = new Date(ctx.now().getTime() + secs * 1000).toISOString();
  }
  secrets(ctx).insert(name, s);
  emit(ctx, 'Secret', name, publicSecret(s), 'created');
  return reply(req, 'Secret', publicSecret(s));
}

async function getSecret(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  return reply(req, 'Secret', publicSecret(loadSecret(ctx, secretName(req, ctx))));
}

async function listSecrets(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const project = req.params['project']!;
  let items = secrets(ctx).list(`${projectKey(ctx, project)}/secrets/`).map(publicSecret);
  const filter = req.query.get('filter');
  if (filter) items = items.filter((s) => matchesFilter(s, filter));
  const { page, nextPageToken } = paginate(items, req.query.get('pageSize'), req.query.get('pageToken'), 25000, 25000);
  return reply(req, 'ListSecretsResponse', { secrets: page, totalSize: items.length, ...(nextPageToken ? { nextPageToken } : {}) });
}

/** The filter forms a deployer uses: `labels.k=v`, `labels.k:v`, `name:substr`. */
function matchesFilter(s: Json, filter: string): boolean {
  return filter.split(/\s+AND\s+|\s+/).filter(Boolean).every((term) => {
    const m = /^([\w.-]+)\s*([:=])\s*"?([^"]*)"?$/.exec(term);
    if (!m) throw err(400, 'INVALID_ARGUMENT', `Invalid filter: ${filter}`, 'filter');
    const [, field, op, value] = m as unknown as [string, string, string, string];
    let cur: unknown = s;
    for (const p of field.split('.')) cur = cur && typeof cur === 'object' ? (cur as Json)[p] : undefined;
    if (cur === undefined) return false;
    return op === ':' && field === 'name' ? String(cur).includes(value) : String(cur) === value;
  });
}

const MUTABLE = ['labels', 'annotations', 'topics', 'rotation', 'versionAliases', 'versionDestroyTtl', 'expireTime', 'ttl', 'tags'];

async function updateSecret(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = secretName(req, ctx);
  const s = loadSecret(ctx, name);
  const body = decode('Secret', req.body);
  const mask = parseUpdateMask(req);
  if (mask.length === 0) throw err(400, 'INVALID_ARGUMENT', 'update_mask is required.', 'update_mask');
  if (body['etag'] && body['etag'] !== s.etag) throw err(409, 'ABORTED', `The etag provided in the request does not match the current etag of secret [${name}].`);
  for (const path of mask) {
    const field = path.split('.')[0]!;
    if (field === 'replication') throw err(400, 'INVALID_ARGUMENT', 'Secret.replication cannot be updated.', 'update_mask');
    if (!MUTABLE.includes(field)) throw err(400, 'INVALID_ARGUMENT', `Invalid update_mask path: ${path}.`, 'update_mask');
  }
  const next: StoredSecret = { ...s };
  for (const path of mask) {
    const [field, sub] = path.split('.') as [string, string | undefined];
    if (field === 'ttl') {
      next['expireTime'] = new Date(ctx.now().getTime() + Number.parseFloat(String(body['ttl'] ?? '0')) * 1000).toISOString();
    } else if (sub && (field === 'labels' || field === 'annotations')) {
      const map = { ...((next[field] as Json | undefined) ?? {}) };
      const v = (body[field] as Json | undefined)?.[sub];
      if (v === undefined) delete map[sub];
      else map[sub] = v;
      next[field] = map;
    } else if (body[field] === undefined) delete next[field];
    else next[field] = body[field];
  }
  validateLabels(next['labels']);
  next.etag = newEtag(ctx);
  secrets(ctx).put(name, next);
  emit(ctx, 'Secret', name, publicSecret(next), 'updated');
  return reply(req, 'Secret', publicSecret(next));
}

async function deleteSecret(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = secretName(req, ctx);
  const s = loadSecret(ctx, name);
  const etag = req.query.get('etag');
  if (etag && etag !== s.etag) throw err(409, 'ABORTED', `The etag provided in the request does not match the current etag of secret [${name}].`);
  for (const v of versions(ctx).peekAll(`${name}/versions/`)) {
    const vk = `${name}/versions/${lastSegment(String(v['name']))}`;
    versions(ctx).delete(vk);
    ctx.store.collection(COL.payloads).delete(vk);
  }
  secrets(ctx).delete(name);
  deletePolicy(ctx, name);
  emit(ctx, 'Secret', name, publicSecret(s), 'deleted');
  return { body: {} };
}

// ---------- versions ----------

function versionKey(req: EmuRequest, ctx: EmulatorContext): { key: string; secret: StoredSecret; secretKey: string } {
  const secretKey = secretName(req, ctx);
  const secret = loadSecret(ctx, secretKey);
  let v = req.params['version']!;
  if (v === 'latest') {
    const all = versions(ctx).peekAll(`${secretKey}/versions/`);
    if (all.length === 0) throw err(404, 'NOT_FOUND', `Secret [${secretKey}] not found or has no versions.`);
    v = String(Math.max(...all.map((x) => Number(lastSegment(String(x['name']))))));
  } else if (secret['versionAliases'] && (secret['versionAliases'] as Json)[v] !== undefined) {
    v = String((secret['versionAliases'] as Json)[v]);
  } else if (!/^\d+$/.test(v)) {
    throw err(400, 'INVALID_ARGUMENT', `Invalid secret version '${v}': use a number, 'latest' or an alias.`, 'name');
  }
  return { key: `${secretKey}/versions/${v}`, secret, secretKey };
}

function loadVersion(ctx: EmulatorContext, key: string): Json {
  const v = versions(ctx).get(key);
  if (!v) throw err(404, 'NOT_FOUND', `Secret Version [${key}] not found.`);
  return v;
}

async function addVersion(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const secretKey = secretName(req, ctx);
  const secret = loadSecret(ctx, secretKey);
  const body = decode('AddSecretVersionRequest', req.body);
  const payload = (body['payload'] as Json | undefined) ?? {};
  const b64 = typeof payload['data'] === 'string' ? payload['data'] : '';
  const data = Buffer.from(b64, 'base64');
  if (data.length > MAX_PAYLOAD) throw err(400, 'INVALID_ARGUMENT', `Secret payload is larger than ${MAX_PAYLOAD} bytes.`, 'payload.data');
  const given = payload['dataCrc32c'];
  if (given !== undefined && Number(given) !== crc32c(data)) {
    throw err(400, 'INVALID_ARGUMENT', 'Checksum mismatch: the data_crc32c in the request does not match the payload.', 'payload.data_crc32c');
  }
  const n = secret._next ?? 1;
  const key = `${secretKey}/versions/${n}`;
  const rep = (secret['replication'] as Json | undefined) ?? {};
  const replicationStatus = rep['userManaged']
    ? { userManaged: { replicas: (((rep['userManaged'] as Json)['replicas'] as Json[]) ?? []).map((r) => ({ location: r['location'] })) } }
    : { automatic: {} };
  const version: Json = {
    name: `${String(secret.name)}/versions/${n}`,
    createTime: ctx.now().toISOString(),
    state: 'ENABLED',
    replicationStatus,
    etag: newEtag(ctx),
    clientSpecifiedPayloadChecksum: given !== undefined,
  };
  versions(ctx).insert(key, version);
  ctx.store.collection<{ data: string }>(COL.payloads).put(key, { data: data.toString('base64') });
  secrets(ctx).put(secretKey, { ...secret, _next: n + 1 });
  emit(ctx, 'SecretVersion', key, version, 'created');
  return reply(req, 'SecretVersion', version);
}

async function getVersion(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const { key } = versionKey(req, ctx);
  return reply(req, 'SecretVersion', loadVersion(ctx, key));
}

async function listVersions(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const secretKey = secretName(req, ctx);
  loadSecret(ctx, secretKey);
  // Newest first, as Secret Manager lists them.
  let items = versions(ctx).list(`${secretKey}/versions/`).sort((a, b) => Number(lastSegment(String(b['name']))) - Number(lastSegment(String(a['name']))));
  const filter = req.query.get('filter');
  if (filter) {
    const m = /^state\s*[:=]\s*(\w+)$/.exec(filter.trim());
    if (!m) throw err(400, 'INVALID_ARGUMENT', `Invalid filter: ${filter}`, 'filter');
    items = items.filter((v) => v['state'] === m[1]);
  }
  const { page, nextPageToken } = paginate(items, req.query.get('pageSize'), req.query.get('pageToken'), 25000, 25000);
  return reply(req, 'ListSecretVersionsResponse', { versions: page, totalSize: items.length, ...(nextPageToken ? { nextPageToken } : {}) });
}

async function accessVersion(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const { key } = versionKey(req, ctx);
  const v = loadVersion(ctx, key);
  if (v['state'] !== 'ENABLED') throw err(400, 'FAILED_PRECONDITION', `Secret Version [${String(v['name'])}] is in ${String(v['state'])} state.`);
  const stored = ctx.store.collection<{ data: string }>(COL.payloads).peek(key);
  const data = Buffer.from(stored?.data ?? '', 'base64');
  return reply(req, 'AccessSecretVersionResponse', { name: v['name'], payload: { data: data.toString('base64'), dataCrc32c: String(crc32c(data)) } });
}

function setState(target: 'ENABLED' | 'DISABLED' | 'DESTROYED') {
  return async (req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> => {
    const { key } = versionKey(req, ctx);
    const v = loadVersion(ctx, key);
    const etag = ((req.body as Json | undefined) ?? {})['etag'];
    if (etag && etag !== v['etag']) throw err(409, 'ABORTED', `The etag provided in the request does not match the current etag of secret version [${String(v['name'])}].`);
    if (v['state'] === 'DESTROYED') throw err(400, 'FAILED_PRECONDITION', `Secret Version [${String(v['name'])}] is in DESTROYED state.`);
    const next: Json = { ...v, state: target, etag: newEtag(ctx) };
    if (target === 'DESTROYED') {
      next['destroyTime'] = ctx.now().toISOString();
      ctx.store.collection(COL.payloads).delete(key);
    }
    versions(ctx).put(key, next);
    emit(ctx, 'SecretVersion', key, next, 'updated');
    return reply(req, 'SecretVersion', next);
  };
}

async function getIam(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = secretName(req, ctx);
  loadSecret(ctx, name);
  return { body: getPolicy(ctx, name) };
}

async function setIam(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = secretName(req, ctx);
  loadSecret(ctx, name);
  return { body: setPolicy(ctx, name, ((req.body as Json | undefined) ?? {})['policy']) };
}

/** Secret Manager keeps no state beyond the store's collections: its handlers take the context itself. */
export default defineApi<EmulatorContext>({
  name: API,
  base: '/v1/projects/{project}/secrets',
  setup: (ctx) => ctx,
  routes: [
    post('', createSecret),
    get('', listSecrets),
    get('/{secret}', getSecret),
    patch('/{secret}', updateSecret),
    del('/{secret}', deleteSecret),
    post('/{secret}:addVersion', addVersion),
    get('/{secret}:getIamPolicy', getIam),
    post('/{secret}:setIamPolicy', setIam),
    get('/{secret}/versions', listVersions),
    get('/{secret}/versions/{version}', getVersion),
    get('/{secret}/versions/{version}:access', accessVersion),
    post('/{secret}/versions/{version}:disable', setState('DISABLED')),
    post('/{secret}/versions/{version}:enable', setState('ENABLED')),
    post('/{secret}/versions/{version}:destroy', setState('DESTROYED')),
  ],
});
