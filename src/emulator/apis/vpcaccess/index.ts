import { checkProtoJson } from '../../core/proto-shape.js';
import { enumCodec } from '../../core/enums.js';
import { defineApi, del, get, listPage, post } from '../../core/api-kit.js';
import { gaxOperation, seededToken, wantsIntEnums } from '../../core/helpers.js';
import { registerOperationRenderer } from '../../core/location-operations.js';
import { networkExists, networkKey, subnetwork, subnetworkKey } from '../../core/refs.js';
import { overlaps, parseCidr } from '../../../spec/cidr.js';
import { EmuError, type Collection, type EmuRequest, type EmuResponse, type EmulatorContext, type OperationRecord } from '../../core/types.js';

interface Connector {
  name: string;
  network?: string;
  ipCidrRange?: string;
  state?: string;
  minThroughput?: number;
  maxThroughput?: number;
  connectedProjects?: string[];
  subnet?: { name?: string; projectId?: string };
  machineType?: string;
  minInstances?: number;
  maxInstances?: number;
}

const PKG = '@google-cloud/vpc-access';
const COLLECTION = 'vpcaccess.connectors';
/** A connector takes a minute or two on GCP (scaled by --latency-scale). */
const MS = { create: 90_000, delete: 60_000 };
/** Throughput per e2-micro instance, Mbps: defaults 2..10 instances = 200..1000 Mbps. */
const MBPS_PER_INSTANCE: Record<string, number> = { 'f1-micro': 100, 'e2-micro': 100, 'e2-standard-4': 1600 };

const codec = () => enumCodec(PKG, 'google.cloud.vpcaccess.v1.Connector');
const bad = (field: string, description: string) => new EmuError(400, 'INVALID_ARGUMENT', `${field}: ${description}`, undefined, { fieldViolations: [{ field, description }] });

const full = (p: Record<string, string>) => `projects/${p.project}/locations/${p.location}/connectors/${p.connector}`;

/** The VPC Access API's state in one emulator: its connectors, and how its operations render and finish. */
class VpcAccessApi {
  readonly col: Collection<Connector>;

  constructor(readonly ctx: EmulatorContext) {
    this.col = ctx.store.collection<Connector>(COLLECTION);
    registerOperationRenderer(ctx, 'vpcaccess', (rec, req) => this.renderOp(rec, req));
    ctx.ops.registerCompleter?.('vpcaccess.finish', (op) => this.finish(op));
  }

  render(c: Connector, req: EmuRequest): unknown {
    return codec().forWire(c, wantsIntEnums(req));
  }

  mustGet(name: string): Connector {
    const c = this.col.get(name);
    if (!c) throw new EmuError(404, 'NOT_FOUND', `Connector ${name} not found.`);
    return c;
  }

  renderOp(rec: OperationRecord, req: EmuRequest): Record<string, unknown> {
    const isDelete = rec.meta.verb === 'delete';
    const response = isDelete ? {} : rec.response ? codec().forWire(rec.response, wantsIntEnums(req)) : rec.response;
    return gaxOperation({ ...rec, response }, {
      metadataType: 'google.cloud.vpcaccess.v1.OperationMetadata',
      metadata: {
        method: `google.cloud.vpcaccess.v1.VpcAccessService.${isDelete ? 'DeleteConnector' : 'CreateConnector'}`,
        createTime: rec.createdAt,
        ...(rec.done ? { endTime: new Date(Math.min(Date.now(), rec.doneAt)).toISOString() } : {}),
        target: rec.meta.target,
      },
      responseType: isDelete ? 'google.protobuf.Empty' : 'google.cloud.vpcaccess.v1.Connector',
    });
  }

  /** What GCP only finds while provisioning: a range clash, or no maximum size. */
  provisioningProblem(c: Connector): string | undefined {
    if (!c.maxInstances && !c.maxThroughput) return 'A Connector must specify either max_throughput or max_instances.';
    const range = c.ipCidrRange;
    if (!range || !parseCidr(range) || !c.network) return undefined;
    const project = c.name.split('/')[1]!;
    const net = networkKey(c.network, project);
    const clash = (r: string | undefined) => !!r && overlaps(r, range);
    for (const sub of this.ctx.store.collection<{ ipCidrRange?: string; network?: string }>('compute.subnetworks').peekAll(`projects/${project}/`)) {
      if (net && String(sub.network ?? '').endsWith(net) && clash(sub.ipCidrRange)) return 'Invalid IP CIDR range was provided. It conflicts with an existing subnetwork. Please delete the connector manually.';
    }
    for (const other of this.col.peekAll(`projects/${project}/`)) {
      if (other.name !== c.name && other.state !== 'ERROR' && other.network && networkKey(other.network, project) === net && clash(other.ipCidrRange)) {
        return `Invalid IP CIDR range was provided. It conflicts with connector ${other.name}. Please delete the connector manually.`;
      }
    }
    return undefined;
  }

  finish(op: OperationRecord): unknown {
    const { ctx, col } = this;
    const name = op.meta.target as string;
    const c = col.peek(name);
    if (!c) return undefined;
    if (op.meta.verb === 'delete') {
      col.delete(name);
      ctx.quotas.use(name.split('/')[3]!, 'VPC_ACCESS_CONNECTORS', -1);
      ctx.events.emit('resource.changed', { api: 'vpcaccess', kind: 'Connector', name, resource: c, change: 'deleted' });
      return {};
    }
    if (c.state === 'DELETING') return c;
    const problem = this.provisioningProblem(c);
    if (problem) {
      // As on GCP: the create is accepted, the operation fails with code 3, and the
      // connector is left in ERROR for the user to delete.
      c.state = 'ERROR';
      col.put(name, c);
      ctx.events.emit('resource.changed', { api: 'vpcaccess', kind: 'Connector', name, resource: c, change: 'updated' });
      throw new EmuError(400, 'INVALID_ARGUMENT', `Operation failed: ${problem}`);
    }
    c.state = 'READY';
    col.put(name, c);
    ctx.events.emit('resource.changed', { api: 'vpcaccess', kind: 'Connector', name, resource: c, change: 'updated' });
    return c;
  }

  startOp(name: string, verb: string, baseMs: number): OperationRecord {
    const ctx = this.ctx;
    const [, project, , location] = name.split('/');
    const opName = `projects/${project}/locations/${location}/operations/${seededToken(() => ctx.random(), 8, '0123456789abcdef')}-${seededToken(() => ctx.random(), 4, '0123456789abcdef')}-${seededToken(() => ctx.random(), 12, '0123456789abcdef')}`;
    const rec = ctx.ops.start({ name: opName, api: 'vpcaccess', baseMs, kind: 'vpcaccess.finish', meta: { target: name, verb }, complete: () => this.finish(rec) });
    return rec;
  }
}

function createConnector(req: EmuRequest, s: VpcAccessApi): EmuResponse {
  const { ctx, col } = s;
  const { project, location } = req.params as { project: string; location: string };
  const id = req.query.get('connectorId') ?? '';
  if (!/^[a-z][-a-z0-9]{0,23}[a-z0-9]$/.test(id)) {
    throw bad('connector_id', 'must be 2-25 characters: lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit');
  }
  const name = `projects/${project}/locations/${location}/connectors/${id}`;
  checkProtoJson(PKG, 'google.cloud.vpcaccess.v1.Connector', req.body, 'connector');
  const input = codec().toNames((req.body ?? {}) as Connector);
  const c: Connector = {
    name,
    ...(input.network ? { network: input.network } : {}),
    ...(input.ipCidrRange ? { ipCidrRange: input.ipCidrRange } : {}),
    ...(input.subnet?.name ? { subnet: { name: input.subnet.name, projectId: input.subnet.projectId ?? project } } : {}),
    machineType: input.machineType ?? 'e2-micro',
  };
  if (c.subnet && c.ipCidrRange) throw bad('connector', 'specify either subnet, or network and ip_cidr_range, not both');
  if (c.network) {
    const key = networkKey(c.network, project);
    if (!key || !networkExists(ctx, key)) throw bad('connector.network', `network '${c.network}' does not exist`);
  }
  if (c.subnet) {
    const key = subnetworkKey(c.subnet.name!, c.subnet.projectId!, location);
    const sub = key ? subnetwork(ctx, key) : undefined;
    if (!sub) throw bad('connector.subnet.name', `subnetwork '${c.subnet.name}' does not exist in ${location} of project ${c.subnet.projectId}`);
    if (sub.ipCidrRange && !sub.ipCidrRange.endsWith('/28')) throw bad('connector.subnet.name', `subnetwork '${c.subnet.name}' is ${sub.ipCidrRange}; a connector needs a dedicated /28 subnet`);
  } else {
    if (!c.network) throw bad('connector.network', 'network is required when no subnet is given');
    if (!c.ipCidrRange || !parseCidr(c.ipCidrRange) || !c.ipCidrRange.endsWith('/28')) throw bad('connector.ip_cidr_range', 'ip_cidr_range must be an unused /28 range, e.g. 10.8.0.0/28');
  }
  const per = MBPS_PER_INSTANCE[c.machineType!];
  if (!per) throw bad('connector.machine_type', `unsupported machine type ${c.machineType}`);
  // Instances and throughput are two ways to say the same thing; either may be given.
  const minInstances = input.minInstances || (input.minThroughput ? Math.round(input.minThroughput / per) : 2);
  // Neither max given: GCP accepts the request and fails the operation (see finish()).
  const maxInstances = input.maxInstances || (input.maxThroughput ? Math.round(input.maxThroughput / per) : 0);
  if (minInstances < 2) throw bad('connector.min_instances', 'min_instances must be at least 2');
  if (maxInstances > 10) throw bad('connector.max_instances', 'max_instances must be at most 10');
  if (maxInstances && maxInstances <= minInstances) throw bad('connector.max_instances', 'max_instances must be greater than min_instances');
  Object.assign(c, {
    state: 'CREATING',
    minThroughput: minInstances * per,
    ...(maxInstances ? { maxThroughput: maxInstances * per, maxInstances } : {}),
    minInstances,
    connectedProjects: [],
  });
  if (col.has(name)) throw new EmuError(409, 'ALREADY_EXISTS', `Connector ${name} already exists.`);
  ctx.quotas.ensure('gax', { scope: location, metric: 'VPC_ACCESS_CONNECTORS', amount: 1 });
  ctx.quotas.use(location, 'VPC_ACCESS_CONNECTORS', 1);
  col.insert(name, c);
  ctx.events.emit('resource.changed', { api: 'vpcaccess', kind: 'Connector', name, resource: c, change: 'created' });
  return { body: s.renderOp(s.startOp(name, 'create', MS.create), req) };
}

function getConnector(req: EmuRequest, s: VpcAccessApi): EmuResponse {
  return { body: s.render(s.mustGet(full(req.params)), req) };
}

function listConnectors(req: EmuRequest, s: VpcAccessApi): EmuResponse {
  const all = s.col.list(`projects/${req.params.project}/locations/${req.params.location}/connectors/`);
  return listPage(req, all, 'connectors', (c) => s.render(c, req), 100);
}

function deleteConnector(req: EmuRequest, s: VpcAccessApi): EmuResponse {
  const name = full(req.params);
  const c = s.mustGet(name);
  if (c.state === 'DELETING') throw new EmuError(400, 'FAILED_PRECONDITION', `Connector ${name} is already being deleted.`);
  c.state = 'DELETING';
  s.col.put(name, c);
  return { body: s.renderOp(s.startOp(name, 'delete', MS.delete), req) };
}

export default defineApi({
  name: 'vpcaccess',
  base: '/v1/projects/{project}/locations/{location}/connectors',
  setup: (ctx) => new VpcAccessApi(ctx),
  routes: [
    post('', createConnector),
    get('/{connector}', getConnector),
    get('', listConnectors),
    del('/{connector}', deleteConnector),
  ],
});
