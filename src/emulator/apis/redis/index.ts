import { checkProtoJson } from '../../core/proto-shape.js';
import { enumCodec } from '../../core/enums.js';
import { defineApi, del, get, listPage, patch, post } from '../../core/api-kit.js';
import { checkLabels, gaxOperation, parseUpdateMask, seededToken, seededUuid, wantsIntEnums } from '../../core/helpers.js';
import { registerOperationRenderer } from '../../core/location-operations.js';
import { networkExists, networkKey } from '../../core/refs.js';
import { EmuError, type Collection, type EmuRequest, type EmuResponse, type EmulatorContext, type OperationRecord } from '../../core/types.js';

/** The google.cloud.redis.v1.Instance fields this emulator reasons about; the rest passes through. */
interface Instance {
  name: string;
  tier?: string;
  memorySizeGb?: number;
  state?: string;
  locationId?: string;
  alternativeLocationId?: string;
  currentLocationId?: string;
  redisVersion?: string;
  host?: string;
  port?: number;
  replicaCount?: number;
  readReplicasMode?: string;
  readEndpoint?: string;
  readEndpointPort?: number;
  authEnabled?: boolean;
  [k: string]: unknown;
}

const PKG = '@google-cloud/redis';
const COLLECTION = 'redis.instances';
const AUTH = 'redis.authStrings';
/** GCP times: a Memorystore create takes minutes; scaled by --latency-scale. */
const MS = { create: 300_000, update: 120_000, delete: 90_000, failover: 60_000, upgrade: 240_000 };
const VERSIONS = ['REDIS_3_2', 'REDIS_4_0', 'REDIS_5_0', 'REDIS_6_X', 'REDIS_7_0', 'REDIS_7_2'];
const UPDATABLE = ['displayName', 'labels', 'memorySizeGb', 'redisConfigs', 'replicaCount', 'readReplicasMode', 'persistenceConfig', 'maintenancePolicy', 'secondaryIpRange', 'authEnabled', 'customerManagedKey'];
const OUTPUT_ONLY = ['name', 'host', 'port', 'currentLocationId', 'createTime', 'state', 'statusMessage', 'persistenceIamIdentity', 'serverCaCerts', 'nodes', 'readEndpoint', 'readEndpointPort', 'maintenanceSchedule', 'suspensionReasons', 'availableMaintenanceVersions'];

const codec = () => enumCodec(PKG, 'google.cloud.redis.v1.Instance');
const bad = (field: string, description: string) => new EmuError(400, 'INVALID_ARGUMENT', `${field}: ${description}`, undefined, { fieldViolations: [{ field, description }] });

function validate(i: Instance): void {
  checkLabels(i.labels, 'instance.labels');
  if (!i.tier || i.tier === 'TIER_UNSPECIFIED') throw bad('instance.tier', 'tier must be BASIC or STANDARD_HA');
  const gb = i.memorySizeGb ?? 0;
  if (!Number.isInteger(gb) || gb < 1 || gb > 300) throw bad('instance.memory_size_gb', 'memory_size_gb must be between 1 and 300');
  if (i.tier === 'STANDARD_HA' && gb < 5 && (i.readReplicasMode === 'READ_REPLICAS_ENABLED')) throw bad('instance.memory_size_gb', 'read replicas need at least 5 GB');
  if (i.redisVersion && !VERSIONS.includes(i.redisVersion)) throw bad('instance.redis_version', `unsupported version ${i.redisVersion}`);
  if (i.readReplicasMode === 'READ_REPLICAS_ENABLED') {
    if (i.tier !== 'STANDARD_HA') throw bad('instance.read_replicas_mode', 'read replicas need the STANDARD_HA tier');
    if ((i.replicaCount ?? 0) < 1 || (i.replicaCount ?? 0) > 5) throw bad('instance.replica_count', 'replica_count must be 1 to 5 with read replicas enabled');
  }
}

const instName = (p: Record<string, string>) => `projects/${p.project}/locations/${p.location}/instances/${p.instance}`;
const region = (name: string) => name.split('/')[3]!;

/** The Redis API's state in one emulator: its collections, and how its operations render and finish. */
class RedisApi {
  readonly col: Collection<Instance>;
  readonly auth: Collection<{ authString: string }>;

  constructor(readonly ctx: EmulatorContext) {
    this.col = ctx.store.collection<Instance>(COLLECTION);
    this.auth = ctx.store.collection<{ authString: string }>(AUTH);
    registerOperationRenderer(ctx, 'redis', (rec, req) => this.renderOp(rec, req));
    ctx.ops.registerCompleter?.('redis.finish', (op) => this.finish(op));
  }

  /** The real Redis behind an instance (the local data plane) replaces the reserved-range address. */
  render(i: Instance, req?: EmuRequest): Instance {
    const ep = this.ctx.dataPlane?.redisEndpoint?.(i.name);
    const out = ep ? { ...i, host: ep.host, port: ep.port } : i;
    return req ? codec().forWire(out, wantsIntEnums(req)) : out;
  }

  mustGet(name: string): Instance {
    const i = this.col.get(name);
    if (!i) throw new EmuError(404, 'NOT_FOUND', `Resource '${name}' was not found`);
    return i;
  }

  renderOp(rec: OperationRecord, req: EmuRequest): Record<string, unknown> {
    const meta = {
      createTime: rec.createdAt,
      ...(rec.done ? { endTime: new Date(Math.min(Date.now(), rec.doneAt)).toISOString() } : {}),
      target: rec.meta.target,
      verb: rec.meta.verb,
      cancelRequested: false,
      apiVersion: 'v1',
    };
    const isDelete = rec.meta.verb === 'delete';
    const response = rec.done && rec.response && !isDelete ? codec().forWire(rec.response, wantsIntEnums(req)) : rec.response;
    return gaxOperation({ ...rec, response: isDelete ? {} : response }, {
      metadataType: 'google.cloud.redis.v1.OperationMetadata',
      metadata: meta,
      responseType: isDelete ? 'google.protobuf.Empty' : 'google.cloud.redis.v1.Instance',
    });
  }

  /** Work done: back to READY with whatever the verb changed. */
  finish(op: OperationRecord): unknown {
    const { ctx, col, auth } = this;
    const name = op.meta.target as string;
    const i = col.peek(name);
    if (!i) {
      if (op.meta.verb === 'delete') return {};
      throw new EmuError(409, 'ABORTED', `Instance ${name} was deleted before the ${String(op.meta.verb)} operation completed.`);
    }
    if (op.meta.verb === 'delete') {
      col.delete(name);
      auth.delete(name);
      ctx.quotas.use(region(name), 'REDIS_GB', -(i.memorySizeGb ?? 0));
      ctx.events.emit('resource.changed', { api: 'redis', kind: 'Instance', name, resource: i, change: 'deleted' });
      return {};
    }
    // A delete that started meanwhile wins: the instance never comes back to READY.
    if (i.state === 'DELETING') return this.render(i);
    if (op.meta.verb === 'failover') {
      const cur = i.currentLocationId;
      i.currentLocationId = i.alternativeLocationId ?? cur;
      i.alternativeLocationId = cur;
    }
    if (op.meta.verb === 'upgrade' && typeof op.meta.redisVersion === 'string') i.redisVersion = op.meta.redisVersion;
    i.state = 'READY';
    delete i.statusMessage;
    col.put(name, i);
    ctx.events.emit('resource.changed', { api: 'redis', kind: 'Instance', name, resource: i, change: 'updated' });
    return this.render(i);
  }

  startOp(name: string, verb: string, baseMs: number, extra: Record<string, unknown> = {}): OperationRecord {
    const ctx = this.ctx;
    const [, project, , location] = name.split('/');
    const opName = `projects/${project}/locations/${location}/operations/operation-${Date.now()}-${seededToken(() => ctx.random(), 13, '0123456789abcdef')}-${seededToken(() => ctx.random(), 8, '0123456789abcdef')}`;
    const rec = ctx.ops.start({ name: opName, api: 'redis', baseMs, kind: 'redis.finish', meta: { target: name, verb, ...extra }, complete: () => this.finish(rec) });
    return rec;
  }

  /** Seeded private address inside the reserved range the API would pick (10.x.y.0/29). */
  address(): { range: string; host: string } {
    const a = 1 + Math.floor(this.ctx.random() * 254);
    const b = Math.floor(this.ctx.random() * 32) * 8;
    return { range: `10.${a}.${b}.0/29`, host: `10.${a}.${b}.3` };
  }
}

function requireReady(i: Instance): void {
  if (i.state !== 'READY') throw new EmuError(400, 'FAILED_PRECONDITION', `Instance ${i.name} is in state ${i.state}; an operation is already in progress.`);
}

function createInstance(req: EmuRequest, s: RedisApi): EmuResponse {
  const { ctx, col, auth } = s;
  const { project, location } = req.params as { project: string; location: string };
  const id = req.query.get('instanceId') ?? '';
  if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(id)) throw bad('instance_id', 'must be 1-40 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen');
  const name = `projects/${project}/locations/${location}/instances/${id}`;
  checkProtoJson(PKG, 'google.cloud.redis.v1.Instance', req.body, 'instance');
  const input = codec().toNames((req.body ?? {}) as Instance);
  for (const k of OUTPUT_ONLY) delete input[k];
  const i: Instance = { ...input, name };
  i.redisVersion ??= 'REDIS_7_2';
  validate(i);
  if (col.has(name)) throw new EmuError(409, 'ALREADY_EXISTS', `Instance ${name} already exists.`);
  // The implicit `default` network is assumed; a network named explicitly must exist.
  if (i.authorizedNetwork) {
    const key = networkKey(String(i.authorizedNetwork), project);
    if (!key || !networkExists(ctx, key)) throw bad('instance.authorized_network', `Invalid authorized network '${String(i.authorizedNetwork)}': the network does not exist`);
    if (i.connectMode === 'PRIVATE_SERVICE_ACCESS' && !ctx.store.collection('servicenetworking.connections').has(key)) {
      throw new EmuError(400, 'FAILED_PRECONDITION', `Private service access is not configured on network ${key}: create a Service Networking connection first.`);
    }
  }
  ctx.quotas.ensure('gax', { scope: location, metric: 'REDIS_GB', amount: i.memorySizeGb! });
  const ha = i.tier === 'STANDARD_HA';
  const { range, host } = s.address();
  const zone = i.locationId ?? `${location}-a`;
  Object.assign(i, {
    locationId: zone,
    ...(ha ? { alternativeLocationId: i.alternativeLocationId ?? `${location}-${zone.endsWith('-b') ? 'c' : 'b'}` } : {}),
    reservedIpRange: i.reservedIpRange ?? range,
    host,
    port: 6379,
    currentLocationId: zone,
    createTime: ctx.now().toISOString(),
    state: 'CREATING',
    authorizedNetwork: i.authorizedNetwork ?? `projects/${project}/global/networks/default`,
    persistenceIamIdentity: `serviceAccount:service-${ctx.projectNumber(project)}@cloud-redis.iam.gserviceaccount.com`,
    connectMode: i.connectMode ?? 'DIRECT_PEERING',
    transitEncryptionMode: i.transitEncryptionMode ?? 'DISABLED',
    authEnabled: i.authEnabled ?? false,
    readReplicasMode: i.readReplicasMode ?? (ha ? 'READ_REPLICAS_DISABLED' : undefined),
    replicaCount: i.replicaCount ?? (ha ? 1 : 0),
    nodes: [{ id: 'node-0', zone }, ...(ha ? [{ id: 'node-1', zone: i.alternativeLocationId ?? `${location}-b` }] : [])],
    persistenceConfig: i.persistenceConfig ?? { persistenceMode: 'DISABLED' },
    maintenanceVersion: '20250107_00_00',
  });
  if (i.readReplicasMode === 'READ_REPLICAS_ENABLED') Object.assign(i, { readEndpoint: host.replace(/\.3$/, '.4'), readEndpointPort: 6379 });
  if (i.readReplicasMode === undefined) delete i.readReplicasMode;
  ctx.quotas.use(location, 'REDIS_GB', i.memorySizeGb!);
  col.insert(name, i);
  if (i.authEnabled) auth.put(name, { authString: seededUuid(() => ctx.random()) });
  ctx.events.emit('resource.changed', { api: 'redis', kind: 'Instance', name, resource: i, change: 'created' });
  return { body: s.renderOp(s.startOp(name, 'create', MS.create), req) };
}

function getInstance(req: EmuRequest, s: RedisApi): EmuResponse {
  return { body: s.render(s.mustGet(instName(req.params)), req) };
}

function listInstances(req: EmuRequest, s: RedisApi): EmuResponse {
  const { project, location } = req.params;
  const all = s.col.list(`projects/${project}/locations/${location === '-' ? '' : `${location}/`}`);
  return listPage(req, all, 'instances', (i) => s.render(i, req), 1000);
}

function updateInstance(req: EmuRequest, s: RedisApi): EmuResponse {
  const { ctx, col, auth } = s;
  const name = instName(req.params);
  const mask = parseUpdateMask(req);
  if (mask.length === 0) throw bad('update_mask', 'update_mask is required');
  const i = s.mustGet(name);
  requireReady(i);
  checkProtoJson(PKG, 'google.cloud.redis.v1.Instance', req.body, 'instance');
  const input = codec().toNames((req.body ?? {}) as Instance);
  const next: Instance = structuredClone(i);
  for (const path of mask) {
    const top = path.split('.')[0]!;
    if (!UPDATABLE.includes(top)) throw bad('update_mask', `field '${path}' cannot be updated`);
    if (input[top] === undefined) delete next[top];
    else next[top] = input[top];
  }
  validate(next);
  const delta = (next.memorySizeGb ?? 0) - (i.memorySizeGb ?? 0);
  if (delta > 0) ctx.quotas.ensure('gax', { scope: region(name), metric: 'REDIS_GB', amount: delta });
  if (delta !== 0) ctx.quotas.use(region(name), 'REDIS_GB', delta);
  if (next.authEnabled && !auth.has(name)) auth.put(name, { authString: seededUuid(() => ctx.random()) });
  next.state = 'UPDATING';
  col.put(name, next);
  ctx.events.emit('resource.changed', { api: 'redis', kind: 'Instance', name, resource: next, change: 'updated' });
  return { body: s.renderOp(s.startOp(name, 'update', MS.update), req) };
}

function deleteInstance(req: EmuRequest, s: RedisApi): EmuResponse {
  const name = instName(req.params);
  const i = s.mustGet(name);
  if (i.state === 'DELETING') throw new EmuError(400, 'FAILED_PRECONDITION', `Instance ${name} is already being deleted.`);
  i.state = 'DELETING';
  s.col.put(name, i);
  return { body: s.renderOp(s.startOp(name, 'delete', MS.delete), req) };
}

function failover(req: EmuRequest, s: RedisApi): EmuResponse {
  const name = instName(req.params);
  const i = s.mustGet(name);
  if (i.tier !== 'STANDARD_HA') throw new EmuError(400, 'FAILED_PRECONDITION', 'Failover is only supported for STANDARD_HA instances.');
  requireReady(i);
  i.state = 'FAILING_OVER';
  s.col.put(name, i);
  return { body: s.renderOp(s.startOp(name, 'failover', MS.failover), req) };
}

function upgrade(req: EmuRequest, s: RedisApi): EmuResponse {
  const name = instName(req.params);
  const i = s.mustGet(name);
  const v = (req.body as { redisVersion?: string } | undefined)?.redisVersion;
  if (!v || !VERSIONS.includes(v)) throw bad('redis_version', `unsupported version ${v ?? ''}`);
  if (VERSIONS.indexOf(v) < VERSIONS.indexOf(i.redisVersion ?? 'REDIS_3_2')) throw bad('redis_version', 'downgrades are not supported');
  requireReady(i);
  i.state = 'UPDATING';
  s.col.put(name, i);
  return { body: s.renderOp(s.startOp(name, 'upgrade', MS.upgrade, { redisVersion: v }), req) };
}

function authString(req: EmuRequest, s: RedisApi): EmuResponse {
  const name = instName(req.params);
  s.mustGet(name);
  const a = s.auth.get(name);
  return { body: a ? { authString: a.authString } : {} };
}

export default defineApi({
  name: 'redis',
  base: '/v1/projects/{project}/locations/{location}/instances',
  setup: (ctx) => new RedisApi(ctx),
  routes: [
    post('', createInstance),
    get('/{instance}', getInstance),
    get('', listInstances),
    patch('/{instance}', updateInstance),
    del('/{instance}', deleteInstance),
    post('/{instance}:failover', failover),
    post('/{instance}:upgrade', upgrade),
    get('/{instance}/authString', authString),
  ],
});
