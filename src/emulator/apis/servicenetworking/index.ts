/**
 * Service Networking v1 (`servicenetworking.googleapis.com/v1`): private services access
 * connections between a consumer VPC and Google's producer network, as
 * `google_service_networking_connection` / `gcloud services vpc-peerings` use them.
 *
 * Rules the real service enforces and we do too: the service is
 * `services/servicenetworking.googleapis.com`; every reserved range is a global address with
 * purpose VPC_PEERING on the same network; a second create on a peered network with other
 * ranges is refused ("use UpdateConnection"); removing ranges needs `force` while producers
 * (Cloud SQL instances) still use the network.
 */
import { EmuError, type ApiModule, type EmuRequest, type EmuResponse, type EmulatorContext, type OperationRecord, type Route } from '../../core/types.js';
import { GRPC_CODES } from '../../core/errors.js';
import { parseUpdateMask } from '../../core/helpers.js';
import { addPeering, getNetwork, removePeering } from '../compute/networks.js';
import { CONNECTIONS, PEERING_NAME, connectionKey, parseNetwork, projectIdOf, reservedRange, type StoredConnection } from './lookup.js';

const API = 'servicenetworking';
const SERVICE = 'servicenetworking.googleapis.com';
/** GCP time to set up or change the peering. */
const PEERING_MS = 45_000;

type Json = Record<string, unknown>;

function invalid(message: string, field?: string): EmuError {
  return new EmuError(400, 'INVALID_ARGUMENT', message, 'INVALID_ARGUMENT', {
    domain: `${SERVICE}`,
    ...(field ? { fieldViolations: [{ field, description: message }] } : {}),
  });
}

function failedPrecondition(message: string): EmuError {
  return new EmuError(400, 'FAILED_PRECONDITION', message, 'FAILED_PRECONDITION', { domain: SERVICE });
}

function connections(ctx: EmulatorContext) {
  return ctx.store.collection<StoredConnection>(CONNECTIONS);
}

function checkService(req: EmuRequest): void {
  const svc = req.params['service'];
  if (svc !== SERVICE) {
    throw new EmuError(403, 'PERMISSION_DENIED', `Permission denied to access service 'services/${String(svc)}': only services/${SERVICE} manages private services access connections.`, 'PERMISSION_DENIED', { domain: SERVICE });
  }
}

function wire(ctx: EmulatorContext, c: StoredConnection): Json {
  return {
    network: `projects/${ctx.projectNumber(c.project)}/global/networks/${c.networkName}`,
    reservedPeeringRanges: c.reservedPeeringRanges,
    peering: c.peering,
    service: c.service,
  };
}

/** Resolve and check the consumer network and its reserved ranges. */
function resolve(ctx: EmulatorContext, body: Json): { project: string; networkName: string; ranges: string[] } {
  const network = typeof body['network'] === 'string' ? body['network'] : '';
  const parsed = network ? parseNetwork(network, '') : undefined;
  if (!parsed || !parsed.project) throw invalid(`Invalid network '${network}': expected projects/{project number}/global/networks/{network}.`, 'network');
  const project = projectIdOf(ctx, parsed.project);
  if (!getNetwork(ctx, connectionKey(project, parsed.name))) {
    throw failedPrecondition(`Network 'projects/${parsed.project}/global/networks/${parsed.name}' not found.`);
  }
  const ranges = Array.isArray(body['reservedPeeringRanges']) ? body['reservedPeeringRanges'].map(String) : [];
  if (ranges.length === 0) throw invalid('At least one reserved peering range is required.', 'reserved_peering_ranges');
  for (const r of ranges) {
    const range = reservedRange(ctx, project, r);
    if (!range || range.networkName !== parsed.name) {
      throw failedPrecondition(`Allocated IP range '${r}' not found in network.`);
    }
    if (range.purpose !== 'VPC_PEERING') throw failedPrecondition(`Allocated IP range '${r}' must have purpose VPC_PEERING.`);
  }
  return { project, networkName: parsed.name, ranges };
}

function renderOp(rec: OperationRecord): Json {
  const out: Json = { name: rec.name, done: rec.done };
  if (rec.done && rec.error) out['error'] = { code: GRPC_CODES[rec.error.grpcStatus] ?? 2, message: rec.error.message };
  else if (rec.done) out['response'] = { '@type': 'type.googleapis.com/google.cloud.servicenetworking.v1.Connection', ...(rec.response as Json | undefined) };
  return out;
}

/**
 * The peering Service Networking creates on the consumer network, towards Google's
 * producer network in a tenant project, as Compute then shows it.
 */
function setPeering(ctx: EmulatorContext, project: string, networkName: string, present: boolean): void {
  const network = connectionKey(project, networkName);
  const current = (getNetwork(ctx, network)?.['peerings'] as Json[] | undefined) ?? [];
  const has = current.some((p) => p['name'] === PEERING_NAME);
  if (present && !has) {
    addPeering(ctx, network, {
      name: PEERING_NAME,
      network: `projects/sn-${ctx.projectNumber(project)}-tp/global/networks/servicenetworking`,
      exportCustomRoutes: false,
      importCustomRoutes: false,
    });
  } else if (!present && has) {
    removePeering(ctx, network, PEERING_NAME);
  }
}

function start(ctx: EmulatorContext, work: { action: 'create' | 'update' | 'delete'; project: string; networkName: string; ranges: string[] }): OperationRecord {
  const hex = Array.from({ length: 32 }, () => Math.floor(ctx.random() * 16).toString(16)).join('');
  const name = `operations/pssn.p24-${ctx.projectNumber(work.project)}-${hex.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5')}`;
  return ctx.ops.start({ name, api: API, baseMs: PEERING_MS, meta: work, kind: API, complete: () => complete(ctx, work) });
}

function complete(ctx: EmulatorContext, work: Json): Json | undefined {
  const project = String(work['project']);
  const networkName = String(work['networkName']);
  const key = connectionKey(project, networkName);
  if (work['action'] === 'delete') {
    const c = connections(ctx).peek(key);
    connections(ctx).delete(key);
    setPeering(ctx, project, networkName, false);
    if (c) ctx.events.emit('resource.changed', { api: API, kind: 'Connection', name: key, resource: c, change: 'deleted' });
    return {};
  }
  const existed = connections(ctx).peek(key) !== undefined;
  const c: StoredConnection = {
    project,
    networkName,
    reservedPeeringRanges: (work['ranges'] as string[]).slice(),
    peering: PEERING_NAME,
    service: `services/${SERVICE}`,
  };
  connections(ctx).put(key, c);
  setPeering(ctx, project, networkName, true);
  ctx.events.emit('resource.changed', { api: API, kind: 'Connection', name: key, resource: c, change: existed ? 'updated' : 'created' });
  return wire(ctx, c);
}

async function createConnection(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkService(req);
  const { project, networkName, ranges } = resolve(ctx, (req.body as Json | undefined) ?? {});
  const existing = connections(ctx).peek(connectionKey(project, networkName));
  if (existing) {
    const same = existing.reservedPeeringRanges.length === ranges.length && existing.reservedPeeringRanges.every((r) => ranges.includes(r));
    if (!same) throw failedPrecondition('Cannot modify allocated ranges in CreateConnection. Please use UpdateConnection.');
  }
  return { body: renderOp(start(ctx, { action: 'create', project, networkName, ranges })) };
}

async function listConnections(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkService(req);
  const network = req.query.get('network');
  if (!network) throw invalid('The network parameter is required.', 'network');
  const parsed = parseNetwork(network, '');
  if (!parsed || !parsed.project) throw invalid(`Invalid network '${network}'.`, 'network');
  const c = connections(ctx).peek(connectionKey(projectIdOf(ctx, parsed.project), parsed.name));
  return { body: c ? { connections: [wire(ctx, c)] } : {} };
}

async function patchConnection(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkService(req);
  const body = (req.body as Json | undefined) ?? {};
  const mask = parseUpdateMask(req);
  if (mask.length && !mask.every((m) => m === 'reservedPeeringRanges')) throw invalid(`Unsupported update mask: ${mask.join(',')}.`, 'update_mask');
  const { project, networkName, ranges } = resolve(ctx, body);
  const key = connectionKey(project, networkName);
  const existing = connections(ctx).peek(key);
  if (!existing) throw new EmuError(404, 'NOT_FOUND', `No private services access connection found for network ${networkName}.`, 'NOT_FOUND', { domain: SERVICE });
  const removed = existing.reservedPeeringRanges.filter((r) => !ranges.includes(r));
  const force = req.query.get('force') === 'true';
  if (removed.length && !force && producersUsing(ctx, project, networkName) > 0) {
    throw failedPrecondition(`Cannot remove allocated ranges ${removed.join(', ')}: producer services still use them. Set force=true to remove them anyway.`);
  }
  return { body: renderOp(start(ctx, { action: 'update', project, networkName, ranges })) };
}

/**
 * Producers using private services access on the network: Cloud SQL instances with a
 * private IP there and Memorystore instances in PRIVATE_SERVICE_ACCESS mode.
 */
function producersUsing(ctx: EmulatorContext, project: string, networkName: string): number {
  const onNetwork = (value: unknown) => parseNetwork(String(value ?? ''), project)?.name === networkName;
  const sql = ctx.store
    .collection<Json>('sqladmin.instances')
    .peekAll(`projects/${project}/`)
    .filter((i) => onNetwork(((i['settings'] as Json | undefined)?.['ipConfiguration'] as Json | undefined)?.['privateNetwork'])).length;
  const redis = ctx.store
    .collection<Json>('redis.instances')
    .peekAll(`projects/${project}/`)
    .filter((i) => i['connectMode'] === 'PRIVATE_SERVICE_ACCESS' && onNetwork(i['authorizedNetwork'])).length;
  return sql + redis;
}

async function deleteConnection(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkService(req);
  const body = (req.body as Json | undefined) ?? {};
  const parsed = parseNetwork(String(body['consumerNetwork'] ?? ''), '');
  if (!parsed || !parsed.project) throw invalid('consumerNetwork is required.', 'consumer_network');
  const project = projectIdOf(ctx, parsed.project);
  if (!connections(ctx).peek(connectionKey(project, parsed.name))) {
    throw new EmuError(404, 'NOT_FOUND', `No private services access connection found for network ${parsed.name}.`, 'NOT_FOUND', { domain: SERVICE });
  }
  if (producersUsing(ctx, project, parsed.name) > 0) {
    throw failedPrecondition('Producer services (e.g. CloudSQL, Cloud Memstore, etc.) are still using this connection.');
  }
  return { body: renderOp(start(ctx, { action: 'delete', project, networkName: parsed.name, ranges: [] })) };
}

async function getOperation(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = `operations/${req.params['operation']!}`;
  const rec = await ctx.ops.get(name);
  if (!rec || rec.api !== API) throw new EmuError(404, 'NOT_FOUND', `Operation ${name} not found.`, 'NOT_FOUND', { domain: SERVICE });
  return { body: renderOp(rec) };
}

const servicenetworking: ApiModule = {
  name: API,
  routes(ctx: EmulatorContext): Route[] {
    ctx.ops.registerCompleter?.(API, (op) => complete(ctx, op.meta));
    const r = (method: Route['method'], path: string, handler: Route['handler']): Route => ({ method, path, style: 'gax', api: API, write: method !== 'GET', handler });
    return [
      r('POST', '/v1/services/{service}/connections', createConnection),
      r('GET', '/v1/services/{service}/connections', listConnections),
      r('PATCH', '/v1/services/{service}/connections/{connection}', patchConnection),
      r('POST', '/v1/services/{service}/connections/{connection}:deleteConnection', deleteConnection),
      r('GET', '/v1/operations/{operation}', getOperation),
    ];
  },
};

export default servicenetworking;
