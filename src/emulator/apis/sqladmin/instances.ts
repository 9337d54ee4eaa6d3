/**
 * Cloud SQL instances: primaries and cross-region read replicas, with the server-populated
 * fields, validation, one-operation-at-a-time locking and settingsVersion concurrency of
 * the real sqladmin v1 API.
 */
import { createHash } from 'node:crypto';
import type { EmuRequest, EmuResponse, EmulatorContext } from '../../core/types.js';
import { API, baseLink, COL, codec, databaseKey, decodeBody, errs, etagOf, instanceKey, nowIso, page, sqlError, userKey, type Json } from './common.js';
import { defineAction, ensureIdle, settle, startOp, type SqlOpMeta } from './operations.js';
import { completeSettings, installedVersion, isPostgres, mergeSettings, type Settings } from './settings.js';
import { wantsIntEnums } from './protojson.js';
import { privateRangeFor } from '../servicenetworking/lookup.js';
import { zonesOf } from '../compute/shared/geo.js';

export interface Instance extends Json {
  name: string;
  project: string;
  region: string;
  databaseVersion: string;
  state: string;
  instanceType: string;
  settings: Settings;
  masterInstanceName?: string;
  replicaNames?: string[];
  ipAddresses?: Json[];
}

/** GCP time for each kind of work (ms, before --latency-scale). */
export const DURATIONS = {
  createMin: 300_000, // primaries and replicas take 5-10 minutes
  createSpread: 300_000,
  patch: 45_000,
  patchWithRestart: 180_000, // tier / HA / disk-type changes restart the instance
  restart: 60_000,
  delete: 60_000,
};

const NAME_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function instances(ctx: EmulatorContext) {
  return ctx.store.collection<Instance>(COL.instances);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function primaryName(master: string): string {
  // Callers pass "name" or "project:name"; the API answers with "project:name".
  return master.includes(':') ? master.slice(master.indexOf(':') + 1) : master;
}

function bumpSettings(inst: Instance): void {
  const v = Number(inst.settings['settingsVersion'] ?? '0') + 1;
  inst.settings['settingsVersion'] = String(v);
}

function refreshEtag(inst: Instance): void {
  const { etag: _e, ...rest } = inst;
  inst['etag'] = etagOf(rest);
}

function emit(ctx: EmulatorContext, key: string, inst: Instance | undefined, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: API, kind: 'sql#instance', name: key, resource: inst, change });
}

function randomIp(ctx: EmulatorContext, first: number): string {
  const b = () => Math.floor(ctx.random() * 254) + 1;
  return `${first}.${b()}.${b()}.${b()}`;
}

/** A host address inside a CIDR (skipping the network and gateway addresses). */
function ipInRange(ctx: EmulatorContext, cidr: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const bits = Number(m[5]);
  const size = 2 ** (32 - bits);
  if (size < 8) return undefined;
  const ip = (base + 2 + Math.floor(ctx.random() * (size - 3))) >>> 0;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

function serverCaCert(ctx: EmulatorContext, inst: Instance): Json {
  const created = ctx.now();
  const expires = new Date(created.getTime() + 10 * 365 * 24 * 3600 * 1000);
  // Not a usable certificate: the emulator's Postgres is reached without TLS.
  const body = createHash('sha512').update(`${inst.project}:${inst.name}:${created.toISOString()}`).digest('base64');
  return {
    kind: 'sql#sslCert',
    certSerialNumber: '0',
    cert: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`,
    commonName: `C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier=${createHash('md5').update(inst.name).digest('hex')}`,
    sha1Fingerprint: createHash('sha1').update(body).digest('hex'),
    instance: inst.name,
    createTime: created.toISOString(),
    expirationTime: expires.toISOString(),
  };
}

/** HA standby: another zone of the region. */
function secondaryZone(region: string, zone: string): string {
  return zonesOf(region).find((z) => z !== zone) ?? zone;
}

/** Settle any due operation, then read (honouring eventual consistency). */
async function load(ctx: EmulatorContext, project: string, name: string): Promise<{ key: string; inst: Instance }> {
  const key = instanceKey(project, name);
  await settle(ctx, key);
  const inst = instances(ctx).get(key);
  if (!inst) throw errs.instanceMissing();
  return { key, inst };
}

/** The wire form: output-only fields as stored, the data plane's address when it has one. */
export function renderInstance(ctx: EmulatorContext, inst: Instance): Json {
  const out: Json = structuredClone(inst);
  delete out['rootPassword'];
  const ep = ctx.dataPlane?.sqlEndpoint?.(instanceKey(inst.project, inst.name));
  if (ep && Array.isArray(out['ipAddresses'])) {
    // The address clients connect to: the private one when the instance has it.
    const addrs = out['ipAddresses'] as Json[];
    const target = addrs.some((a) => a['type'] === 'PRIVATE') ? 'PRIVATE' : 'PRIMARY';
    out['ipAddresses'] = addrs.map((a) => (a['type'] === target ? { ...a, ipAddress: ep.host } : a));
  }
  return out;
}

function replyInstance(ctx: EmulatorContext, req: EmuRequest, inst: Instance): EmuResponse {
  return { status: 200, body: codec.encode('DatabaseInstance', renderInstance(ctx, inst), wantsIntEnums(req)) };
}

export async function getInstance(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const { inst } = await load(ctx, req.params['project']!, req.params['instance']!);
  return replyInstance(ctx, req, inst);
}

/** `filter` as Cloud SQL takes it: space-separated `field.path:value` / `field.path=value` terms, all must match. */
function matches(inst: Json, filter: string): boolean {
  const terms = filter.split(/\s+(?:AND\s+)?/i).filter(Boolean);
  return terms.every((t) => {
    const m = /^([\w.-]+)\s*(:|=)\s*"?([^"]*)"?$/.exec(t);
    if (!m) throw errs.invalid(`Invalid filter term: ${t}`);
    let cur: unknown = inst;
    for (const part of m[1]!.split('.')) cur = cur && typeof cur === 'object' ? (cur as Json)[part] : undefined;
    return cur !== undefined && String(cur) === m[3];
  });
}

export async function listInstances(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const project = req.params['project']!;
  const prefix = `projects/${project}/instances/`;
  for (const i of instances(ctx).list(prefix)) await settle(ctx, instanceKey(project, i.name));
  let items = instances(ctx).list(prefix).map((i) => renderInstance(ctx, i));
  const filter = req.query.get('filter');
  if (filter) items = items.filter((i) => matches(i, filter));
  const p = page(items, req.query.get('maxResults'), req.query.get('pageToken'));
  const body: Json = { kind: 'sql#instancesList', items: p.items };
  if (p.nextPageToken) body['nextPageToken'] = p.nextPageToken;
  return { status: 200, body: codec.encode('InstancesListResponse', body, wantsIntEnums(req)) };
}

/** Private networking needs a Service Networking peering on that network first. */
function checkPrivateNetwork(ctx: EmulatorContext, project: string, name: string, settings: Settings): void {
  const net = str((settings['ipConfiguration'] as Json | undefined)?.['privateNetwork']);
  if (!net) return;
  if (privateRangeFor(ctx, project, net) === undefined) {
    throw errs.invalid(`Incorrect Service Networking config for instance: ${project}:${name}:SERVICE_NETWORKING_NOT_ENABLED.`);
  }
}

export async function insertInstance(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const project = req.params['project']!;
  const body = decodeBody('DatabaseInstance', req.body) as Partial<Instance>;
  const name = str(body.name);
  if (!name) throw errs.invalid('Missing parameter: name.');
  if (!NAME_RE.test(name) || name.length + project.length > 97) throw errs.invalid(`instance name (${name}).`);
  const key = instanceKey(project, name);
  if (instances(ctx).peek(key)) throw errs.exists();

  const region = str(body.region) || 'us-central1';
  const master = str(body.masterInstanceName);
  let primary: Instance | undefined;
  let primaryKey: string | undefined;
  if (master) {
    primaryKey = instanceKey(project, primaryName(master));
    await settle(ctx, primaryKey);
    primary = instances(ctx).peek(primaryKey);
    if (!primary) throw errs.notAuthorized();
    await ensureIdle(ctx, primaryKey);
    const bc = (primary.settings['backupConfiguration'] as Json | undefined) ?? {};
    if (!isPostgres(primary.databaseVersion) && bc['binaryLogEnabled'] !== true) {
      throw errs.invalid(`Binary logging must be enabled on the primary instance ${primary.name} before creating a read replica.`);
    }
    if (primary.state !== 'RUNNABLE') throw errs.invalid(`The primary instance ${primary.name} is not running (state ${primary.state}).`);
  }
  const version = str(body.databaseVersion) && body.databaseVersion !== 'SQL_DATABASE_VERSION_UNSPECIFIED' ? str(body.databaseVersion) : primary?.databaseVersion ?? 'MYSQL_8_0';
  if (primary && version !== primary.databaseVersion) {
    throw errs.invalid(`The database version of a replica (${version}) must match its primary's (${primary.databaseVersion}).`);
  }
  const settings = completeSettings(ctx, (body.settings as Settings | undefined) ?? {}, { databaseVersion: version, region, isReplica: !!primary });
  settings['settingsVersion'] = '1';
  checkPrivateNetwork(ctx, project, name, settings);
  ctx.quotas.ensure('sql', { scope: 'global', metric: 'SQL_INSTANCES', amount: 1 });

  const zone = str((settings['locationPreference'] as Json)['zone']);
  const inst: Instance = {
    kind: 'sql#instance',
    state: 'PENDING_CREATE',
    databaseVersion: version,
    settings,
    project,
    backendType: 'SECOND_GEN',
    selfLink: baseLink(ctx, key),
    connectionName: `${project}:${region}:${name}`,
    name,
    region,
    gceZone: zone,
    instanceType: primary ? 'READ_REPLICA_INSTANCE' : 'CLOUD_SQL_INSTANCE',
    databaseInstalledVersion: installedVersion(version),
    maintenanceVersion: `${installedVersion(version)}.R20250302.00_04`,
    createTime: nowIso(ctx),
    serviceAccountEmailAddress: `p${ctx.projectNumber(project)}-${Math.floor(ctx.random() * 1e6).toString(36)}@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
    satisfiesPzs: false,
    sqlNetworkArchitecture: 'NEW_NETWORK_ARCHITECTURE',
    ipAddresses: [],
    replicaNames: [],
  };
  if (settings['availabilityType'] === 'REGIONAL') inst['secondaryGceZone'] = secondaryZone(region, zone);
  if (primary) {
    inst.masterInstanceName = `${project}:${primary.name}`;
    const rc = (body['replicaConfiguration'] as Json | undefined) ?? {};
    inst['replicaConfiguration'] = { kind: 'sql#replicaConfiguration', failoverTarget: false, ...rc };
  }
  refreshEtag(inst);
  instances(ctx).insert(key, inst);
  ctx.quotas.use('global', 'SQL_INSTANCES', 1);
  if (primary && primaryKey) {
    // The primary lists its replica from the start, so it cannot be deleted under it.
    primary.replicaNames = [...(primary.replicaNames ?? []), name];
    refreshEtag(primary);
    instances(ctx).put(primaryKey, primary);
  }
  emit(ctx, key, inst, 'created');
  return startOp(ctx, req, {
    project,
    instance: name,
    operationType: primary ? 'CREATE_REPLICA' : 'CREATE',
    action: 'instance.create',
    // The root password becomes the `postgres` user's; it is never stored on the instance.
    args: typeof body.rootPassword === 'string' && body.rootPassword ? { rootPassword: body.rootPassword } : {},
    baseMs: DURATIONS.createMin + ctx.random() * DURATIONS.createSpread,
    // Cloud SQL serialises replica creation on the primary: a second one gets 409.
    alsoLocks: primaryKey ? [primaryKey] : [],
  });
}

defineAction('instance.create', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const inst = instances(ctx).peek(key);
  if (!inst) return undefined;
  const ip = inst.settings['ipConfiguration'] as Json;
  const addrs: Json[] = [];
  if (ip['ipv4Enabled'] !== false) addrs.push({ type: 'PRIMARY', ipAddress: randomIp(ctx, 34) });
  const net = str(ip['privateNetwork']);
  if (net) {
    const range = privateRangeFor(ctx, meta.project, net);
    addrs.push({ type: 'PRIVATE', ipAddress: (range && ipInRange(ctx, range)) || randomIp(ctx, 10) });
  }
  inst.ipAddresses = addrs;
  inst['serverCaCert'] = serverCaCert(ctx, inst);
  inst.state = 'RUNNABLE';
  refreshEtag(inst);
  instances(ctx).put(key, inst);
  seedDefaults(ctx, inst, typeof meta.args['rootPassword'] === 'string' ? meta.args['rootPassword'] : undefined);
  if (inst.masterInstanceName) touchPrimary(ctx, meta.project, primaryName(inst.masterInstanceName));
  emit(ctx, key, inst, 'updated');
  return undefined;
});

/** A new Postgres instance has the `postgres` database and user; MySQL has its system schemas. */
function seedDefaults(ctx: EmulatorContext, inst: Instance, rootPassword: string | undefined): void {
  if (!isPostgres(inst.databaseVersion) || inst.instanceType === 'READ_REPLICA_INSTANCE') return;
  const key = instanceKey(inst.project, inst.name);
  const db: Json = {
    kind: 'sql#database',
    charset: 'UTF8',
    collation: 'en_US.UTF8',
    name: 'postgres',
    instance: inst.name,
    project: inst.project,
    selfLink: baseLink(ctx, `${key}/databases/postgres`),
  };
  db['etag'] = etagOf(db);
  ctx.store.collection<Json>(COL.databases).put(`${key}/databases/postgres`, db);
  const user: Json = { kind: 'sql#user', name: 'postgres', host: '', instance: inst.name, project: inst.project, type: 'BUILT_IN' };
  user['etag'] = etagOf(user);
  if (rootPassword) user['password'] = rootPassword;
  ctx.store.collection<Json>(COL.users).put(userKey(key, 'postgres', ''), user);
}

/** Replica membership changes bump the primary's settingsVersion (a stale patch then gets 412). */
function touchPrimary(ctx: EmulatorContext, project: string, name: string, removeReplica?: string): void {
  const key = instanceKey(project, name);
  const p = instances(ctx).peek(key);
  if (!p) return;
  if (removeReplica) p.replicaNames = (p.replicaNames ?? []).filter((r) => r !== removeReplica);
  bumpSettings(p);
  refreshEtag(p);
  instances(ctx).put(key, p);
  emit(ctx, key, p, 'updated');
}

/** Does this change need the instance restarted (and so take minutes, not seconds)? */
function needsRestart(before: Settings, after: Settings): boolean {
  return ['tier', 'availabilityType', 'dataDiskType', 'edition'].some((k) => before[k] !== after[k]) ||
    JSON.stringify(before['databaseFlags']) !== JSON.stringify(after['databaseFlags']);
}

async function change(ctx: EmulatorContext, req: EmuRequest, mode: 'patch' | 'update'): Promise<EmuResponse> {
  const project = req.params['project']!;
  const { key, inst } = await load(ctx, project, req.params['instance']!);
  const body = decodeBody('DatabaseInstance', req.body) as Partial<Instance>;
  const incoming = (body.settings as Settings | undefined) ?? {};
  const given = incoming['settingsVersion'];
  if (given !== undefined && String(given) !== String(inst.settings['settingsVersion'])) throw errs.stale();
  await ensureIdle(ctx, key);
  if (body.name && body.name !== inst.name) throw errs.invalid(`The instance name cannot be changed (${String(body.name)}).`);
  if (body.region && body.region !== inst.region) throw errs.invalid('The region of an instance cannot be changed.');
  if (body.databaseVersion && body.databaseVersion !== 'SQL_DATABASE_VERSION_UNSPECIFIED' && body.databaseVersion !== inst.databaseVersion) {
    throw errs.invalid('Major version upgrades are not supported by this emulator; create a new instance.');
  }
  if (mode === 'update' && !incoming['tier']) throw errs.invalid('Settings.tier is required for an update.');
  const rawSettings = ((req.body as Json | undefined)?.['settings'] as Json | undefined) ?? {};
  const next = nextSettings(ctx, inst, mode, incoming, rawSettings);
  checkPrivateNetwork(ctx, project, inst.name, next);
  const restart = needsRestart(inst.settings, next);
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'UPDATE',
    action: 'instance.change',
    args: { mode, settings: incoming, raw: rawSettings },
    baseMs: restart ? DURATIONS.patchWithRestart : DURATIONS.patch,
  });
}

function nextSettings(ctx: EmulatorContext, inst: Instance, mode: 'patch' | 'update', incoming: Settings, raw: Json): Settings {
  const base = mode === 'patch' ? mergeSettings(inst.settings, incoming, raw) : { ...incoming };
  if (mode === 'update') {
    // PUT replaces the settings; fields it leaves out go back to defaults, except the zone.
    base['locationPreference'] ??= inst.settings['locationPreference'];
  }
  delete base['settingsVersion'];
  const done = completeSettings(ctx, base, { databaseVersion: inst.databaseVersion, region: inst.region, isReplica: inst.instanceType === 'READ_REPLICA_INSTANCE' });
  done['settingsVersion'] = inst.settings['settingsVersion'];
  return done;
}

export const patchInstance = (ctx: EmulatorContext, req: EmuRequest) => change(ctx, req, 'patch');
export const updateInstance = (ctx: EmulatorContext, req: EmuRequest) => change(ctx, req, 'update');

defineAction('instance.change', (ctx, meta: SqlOpMeta) => {
  const key = instanceKey(meta.project, meta.instance);
  const inst = instances(ctx).peek(key);
  if (!inst) return undefined;
  const args = meta.args as { mode: 'patch' | 'update'; settings: Settings; raw: Json };
  const next = nextSettings(ctx, inst, args.mode, args.settings, args.raw);
  const before = JSON.stringify(inst.settings);
  inst.settings = next;
  bumpSettings(inst);
  const ip = next['ipConfiguration'] as Json;
  if (str(ip['privateNetwork']) && !(inst.ipAddresses ?? []).some((a) => a['type'] === 'PRIVATE')) {
    const range = privateRangeFor(ctx, meta.project, str(ip['privateNetwork']));
    inst.ipAddresses = [...(inst.ipAddresses ?? []), { type: 'PRIVATE', ipAddress: (range && ipInRange(ctx, range)) || randomIp(ctx, 10) }];
  }
  if (ip['ipv4Enabled'] === false) inst.ipAddresses = (inst.ipAddresses ?? []).filter((a) => a['type'] !== 'PRIMARY');
  if (next['availabilityType'] === 'REGIONAL') {
    const zone = str((next['locationPreference'] as Json)['zone']);
    inst['secondaryGceZone'] ??= secondaryZone(inst.region, zone);
  } else delete inst['secondaryGceZone'];
  inst.gceZone = str((next['locationPreference'] as Json)['zone']) || inst['gceZone'];
  refreshEtag(inst);
  instances(ctx).put(key, inst);
  if (before !== JSON.stringify(inst.settings)) emit(ctx, key, inst, 'updated');
  return undefined;
});

export async function deleteInstance(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const project = req.params['project']!;
  const { key, inst } = await load(ctx, project, req.params['instance']!);
  await ensureIdle(ctx, key);
  if (inst.settings['deletionProtectionEnabled'] === true) {
    throw errs.invalid('The instance is protected. Please disable the deletion protection and try again. To disable deletion protection, update the instance settings with deletionProtectionEnabled set to false.');
  }
  if ((inst.replicaNames ?? []).length > 0) {
    throw sqlError(400, 'invalid', `Invalid request: The instance has read replicas (${(inst.replicaNames ?? []).join(', ')}). Delete the replicas before deleting the primary instance.`);
  }
  const primaryKey = inst.masterInstanceName ? instanceKey(project, primaryName(inst.masterInstanceName)) : undefined;
  if (primaryKey) await ensureIdle(ctx, primaryKey);
  inst.state = 'PENDING_DELETE';
  refreshEtag(inst);
  instances(ctx).put(key, inst);
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'DELETE',
    action: 'instance.delete',
    baseMs: DURATIONS.delete,
    alsoLocks: primaryKey ? [primaryKey] : [],
  });
}

defineAction('instance.delete', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const inst = instances(ctx).peek(key);
  if (!inst) return undefined;
  instances(ctx).delete(key);
  for (const col of [COL.databases, COL.users]) {
    const c = ctx.store.collection<Json>(col);
    for (const k of [...collectKeys(c.peekAll(`${key}/`), key)]) c.delete(k);
  }
  ctx.quotas.use('global', 'SQL_INSTANCES', -1);
  if (inst.masterInstanceName) touchPrimary(ctx, meta.project, primaryName(inst.masterInstanceName), inst.name);
  emit(ctx, key, inst, 'deleted');
  return undefined;
});

/** Child resources (databases, users) carry instance + name; rebuild their keys. */
function collectKeys(children: Json[], key: string): string[] {
  return children.map((c) =>
    c['kind'] === 'sql#database'
      ? databaseKey(key, str(c['name']))
      : userKey(key, str(c['name']), str(c['host'])),
  );
}

export async function restartInstance(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const project = req.params['project']!;
  const { key, inst } = await load(ctx, project, req.params['instance']!);
  await ensureIdle(ctx, key);
  if (inst.state !== 'RUNNABLE') throw errs.invalid(`The instance is not running (state ${inst.state}).`);
  return startOp(ctx, req, { project, instance: inst.name, operationType: 'RESTART', action: 'instance.restart', baseMs: DURATIONS.restart });
}

defineAction('instance.restart', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const inst = instances(ctx).peek(key);
  if (inst) emit(ctx, key, inst, 'updated');
  return undefined;
});

/** HA failover: the standby zone takes over. Needs REGIONAL and the current settingsVersion. */
export async function failoverInstance(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const project = req.params['project']!;
  const { key, inst } = await load(ctx, project, req.params['instance']!);
  const body = decodeBody('InstancesFailoverRequest', req.body);
  const given = (body['failoverContext'] as Json | undefined)?.['settingsVersion'];
  if (given !== undefined && String(given) !== String(inst.settings['settingsVersion'])) throw errs.stale();
  await ensureIdle(ctx, key);
  if (inst.settings['availabilityType'] !== 'REGIONAL') throw errs.invalid('The instance is not configured for high availability (availabilityType REGIONAL).');
  if (inst.state !== 'RUNNABLE') throw errs.invalid(`The instance is not running (state ${inst.state}).`);
  return startOp(ctx, req, { project, instance: inst.name, operationType: 'FAILOVER', action: 'instance.failover', baseMs: DURATIONS.restart });
}

defineAction('instance.failover', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const inst = instances(ctx).peek(key);
  if (!inst || typeof inst['secondaryGceZone'] !== 'string') return undefined;
  const [primaryZone, standby] = [inst.gceZone, inst['secondaryGceZone']];
  inst.gceZone = standby;
  inst['secondaryGceZone'] = primaryZone;
  refreshEtag(inst);
  instances(ctx).put(key, inst);
  emit(ctx, key, inst, 'updated');
  return undefined;
});

/** Promote a read replica to a standalone primary (regional DR). */
export async function promoteReplica(ctx: EmulatorContext, req: EmuRequest): Promise<EmuResponse> {
  const project = req.params['project']!;
  const { key, inst } = await load(ctx, project, req.params['instance']!);
  await ensureIdle(ctx, key);
  if (inst.instanceType !== 'READ_REPLICA_INSTANCE' || !inst.masterInstanceName) throw errs.invalid('The instance is not a read replica.');
  if (inst.state !== 'RUNNABLE') throw errs.invalid(`The instance is not running (state ${inst.state}).`);
  const primaryKey = instanceKey(project, primaryName(inst.masterInstanceName));
  // A promotion must work when the primary is gone or stuck: only wait if it is there and busy.
  if (instances(ctx).peek(primaryKey)) await ensureIdle(ctx, primaryKey);
  return startOp(ctx, req, {
    project,
    instance: inst.name,
    operationType: 'PROMOTE_REPLICA',
    action: 'instance.promote',
    baseMs: DURATIONS.patchWithRestart,
    alsoLocks: instances(ctx).peek(primaryKey) ? [primaryKey] : [],
  });
}

defineAction('instance.promote', (ctx, meta) => {
  const key = instanceKey(meta.project, meta.instance);
  const inst = instances(ctx).peek(key);
  if (!inst || !inst.masterInstanceName) return undefined;
  const primary = primaryName(inst.masterInstanceName);
  delete inst.masterInstanceName;
  delete inst['replicaConfiguration'];
  inst.instanceType = 'CLOUD_SQL_INSTANCE';
  delete inst.settings['databaseReplicationEnabled'];
  bumpSettings(inst);
  refreshEtag(inst);
  instances(ctx).put(key, inst);
  touchPrimary(ctx, meta.project, primary, inst.name);
  emit(ctx, key, inst, 'updated');
  return undefined;
});
