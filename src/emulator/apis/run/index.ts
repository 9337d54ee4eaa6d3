import { enumCodec } from '../../core/enums.js';
import { checkProtoJson, withoutNulls } from '../../core/proto-shape.js';
import { defineApi, del, get, listPage, patch, post } from '../../core/api-kit.js';
import { gaxOperation, parseUpdateMask, queryBool, seededUuid, wantsIntEnums } from '../../core/helpers.js';
import { EmuError, type Collection, type EmuRequest, type EmuResponse, type EmulatorContext, type OperationRecord } from '../../core/types.js';
import {
  CALLER, IAM, REVISIONS, SERVICES, OUTPUT_ONLY, allocation, applyDefaults, condition, defaultUrls, newEtag, parseName,
  revisionName, specOf, stable, validateServiceId, validateSpec, type Revision, type Service,
} from './model.js';
import { iamRoutes } from './iam.js';
import { lastSegment } from '../../../util/resource-name.js';

const PKG = '@google-cloud/run';
const BASE = '/v2/projects/{project}/locations/{location}';
/** GCP time for a Cloud Run deploy (scaled by --latency-scale). */
const DEPLOY_MS = 20_000;
const DELETE_MS = 8_000;

const serviceCodec = () => enumCodec(PKG, 'google.cloud.run.v2.Service');
const revisionCodec = () => enumCodec(PKG, 'google.cloud.run.v2.Revision');

/** The writable part of a request's Service, once the transcoder's type checks pass. */
function copySpec(body: unknown): Service {
  checkProtoJson(PKG, 'google.cloud.run.v2.Service', body, 'service');
  const src = withoutNulls((body ?? {}) as Record<string, unknown>);
  const out: Record<string, unknown> = { ...serviceCodec().toNames(src) };
  for (const k of OUTPUT_ONLY) delete out[k];
  return out as Service;
}

function getPath(o: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = o;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

function setPath(o: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = o;
  for (const p of path.slice(0, -1)) {
    if (!cur[p] || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = structuredClone(value);
}

const svcName = (p: Record<string, string>) => `projects/${p.project}/locations/${p.location}/services/${p.service}`;

/** The Run API's state in one emulator: services and revisions, and how its operations render and finish. */
class RunApi {
  readonly services: Collection<Service>;
  readonly revisions: Collection<Revision>;

  constructor(readonly ctx: EmulatorContext) {
    this.services = ctx.store.collection<Service>(SERVICES);
    this.revisions = ctx.store.collection<Revision>(REVISIONS);
    ctx.ops.registerCompleter?.('run.reconcile', (op) => this.finishReconcile(op));
    ctx.ops.registerCompleter?.('run.delete', (op) => this.finishDelete(op));
    ctx.ops.registerCompleter?.('run.revision.delete', (op) => this.finishRevisionDelete(op));
  }

  /** Output form: data-plane URI override, and enums in the encoding the caller asked for. */
  renderService(s: Service, req?: EmuRequest): Service {
    const uri = this.ctx.dataPlane?.serviceUri?.(s.name);
    // A tag's URL, locally: the service's router reaches the tagged revision for a Host of
    // TAG---anything (run/router.ts); SERVICE.localhost resolves to loopback in curl and browsers.
    const tagUri = (tag: string) => `http://${tag}---${lastSegment(s.name)}.localhost:${new URL(uri!).port}`;
    const out = uri
      ? { ...s, uri, urls: [uri, ...(s.urls ?? []).filter((u) => u !== uri)], ...(s.trafficStatuses ? { trafficStatuses: s.trafficStatuses.map((t) => (t.tag ? { ...t, uri: tagUri(t.tag) } : t)) } : {}) }
      : s;
    return req ? serviceCodec().forWire(out, wantsIntEnums(req)) : out;
  }

  renderOp(rec: OperationRecord, req: EmuRequest): Record<string, unknown> {
    const kind = (rec.meta.responseType as string | undefined) ?? 'google.cloud.run.v2.Service';
    const target = rec.meta.target as string;
    const codec = kind.endsWith('Revision') ? revisionCodec() : serviceCodec();
    const live = kind.endsWith('Revision') ? this.revisions.peek(target) : this.services.peek(target);
    const snapshot = (live ?? rec.meta.snapshot ?? { name: target }) as Service;
    const metadata = codec.forWire(kind.endsWith('Revision') ? snapshot : this.renderService(snapshot), wantsIntEnums(req)) as Record<string, unknown>;
    const done = rec.done && rec.response ? { ...rec, response: codec.forWire(rec.response, wantsIntEnums(req)) } : rec;
    return gaxOperation(done, { metadataType: kind, metadata, responseType: kind });
  }

  opName(project: string, location: string): string {
    return `projects/${project}/locations/${location}/operations/${seededUuid(() => this.ctx.random())}`;
  }

  /** A finished operation that never touched state (validateOnly). */
  previewOp(project: string, location: string, s: Service): OperationRecord {
    return {
      name: this.opName(project, location),
      api: 'run',
      createdAt: this.ctx.now().toISOString(),
      doneAt: Date.now(),
      done: true,
      meta: { target: s.name, snapshot: s },
      response: s,
    };
  }

  checkTrafficRevisions(s: Service, pendingRevision?: string): void {
    for (const t of s.traffic ?? []) {
      if (t.type !== 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION') continue;
      if (!t.revision || (t.revision !== pendingRevision && !this.revisions.has(`${s.name}/revisions/${t.revision}`))) {
        throw new EmuError(400, 'INVALID_ARGUMENT', `Revision named '${t.revision ?? ''}' with traffic percent ${t.percent ?? 0} does not exist.`, undefined, {
          fieldViolations: [{ field: 'service.traffic', description: `revision ${t.revision ?? ''} does not exist` }],
        });
      }
    }
  }

  /** Cloud Run refuses a revision whose Serverless VPC Access connector does not exist. */
  checkConnector(s: Service): void {
    const ref = (s.template?.vpcAccess as { connector?: string } | undefined)?.connector;
    if (!ref) return;
    const { project, location } = parseName(s.name);
    const key = ref.includes('/') ? ref : `projects/${project}/locations/${location}/connectors/${ref}`;
    if (!this.ctx.store.collection('vpcaccess.connectors').has(key)) {
      throw new EmuError(400, 'FAILED_PRECONDITION', `VPC connector ${key} does not exist, or Cloud Run does not have permission to use it.`, undefined, {
        fieldViolations: [{ field: 'service.template.vpc_access.connector', description: 'connector not found' }],
      });
    }
  }

  /** Charges the region's CPU and memory quotas for the change in what the service can claim. */
  chargeQuota(location: string, before: Service | undefined, after: Service | undefined, commit: boolean): void {
    const quotas = this.ctx.quotas;
    const a = allocation(before);
    const b = allocation(after);
    const dCpu = b.cpu - a.cpu;
    const dMem = b.memGiB - a.memGiB;
    if (dCpu > 0) quotas.ensure('gax', { scope: location, metric: 'CpuAllocPerProjectRegion', amount: dCpu });
    if (dMem > 0) quotas.ensure('gax', { scope: location, metric: 'MemAllocPerProjectRegion', amount: dMem });
    if (!commit) return;
    if (dCpu !== 0) quotas.use(location, 'CpuAllocPerProjectRegion', dCpu);
    if (dMem !== 0) quotas.use(location, 'MemAllocPerProjectRegion', dMem);
  }

  makeRevision(s: Service, shortName: string, now: string): Revision {
    const ctx = this.ctx;
    const t = { ...(s.template ?? {}) };
    delete t.revision;
    const labels = t.labels;
    const annotations = t.annotations;
    delete t.labels;
    delete t.annotations;
    return {
      ...t,
      name: `${s.name}/revisions/${shortName}`,
      uid: seededUuid(() => ctx.random()),
      generation: '1',
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
      createTime: now,
      updateTime: now,
      launchStage: s.launchStage ?? 'GA',
      service: s.name,
      reconciling: true,
      conditions: [condition('Ready', 'CONDITION_RECONCILING', now)],
      observedGeneration: '1',
      logUri: `https://console.cloud.google.com/logs/viewer?project=${parseName(s.name).project}`,
      creator: CALLER,
      etag: `"${seededUuid(() => ctx.random()).replace(/-/g, '')}"`,
    };
  }

  /** Reconcile finished: the latest revision serves; traffic statuses resolve. */
  finishReconcile(op: OperationRecord): unknown {
    const { ctx, services, revisions } = this;
    const name = op.meta.target as string;
    const s = services.peek(name);
    if (!s) return undefined;
    const now = ctx.now().toISOString();
    const latest = s.latestCreatedRevision ? revisions.peek(s.latestCreatedRevision) : undefined;
    const failed = latest?.conditions?.find((c) => c.type === 'Ready' && c.state === 'CONDITION_FAILED');
    // Only the operation that rolled the revision out fails with it: an update that makes no
    // revision (traffic only: what a rollback pins first) still moves the traffic.
    if (latest && failed && op.meta.revision === latest.name) {
      // The data plane found the revision cannot run (an image it cannot run, no container;
      // dataplane/run reportFailure). Cloud Run's operation fails with the revision's message
      // (code 9), the service is Ready=False, and traffic stays with the last ready revision.
      // A failure found only after the operation (a startup probe that runs out) is reported on
      // the revision and service later, as before: the operation does not wait for instances.
      const message = `Revision '${lastSegment(latest.name)}' is not ready and cannot serve traffic. ${failed.message ?? ''}`.trim();
      s.reconciling = false;
      s.observedGeneration = s.generation;
      s.terminalCondition = { ...condition('Ready', 'CONDITION_FAILED', now, message), severity: 'ERROR', reason: 'REVISION_FAILED' };
      s.conditions = [
        condition('RoutesReady', s.latestReadyRevision ? 'CONDITION_SUCCEEDED' : 'CONDITION_FAILED', now, s.latestReadyRevision ? undefined : message),
        condition('ConfigurationsReady', 'CONDITION_FAILED', now, message),
      ];
      s.etag = newEtag(s);
      services.put(name, s);
      ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: s, change: 'updated' });
      throw new EmuError(400, 'FAILED_PRECONDITION', message);
    }
    if (s.latestCreatedRevision) {
      const rev = revisions.peek(s.latestCreatedRevision);
      if (rev && rev.reconciling) {
        rev.reconciling = false;
        rev.conditions = [condition('Ready', 'CONDITION_SUCCEEDED', now), condition('ContainerHealthy', 'CONDITION_SUCCEEDED', now), condition('ResourcesAvailable', 'CONDITION_SUCCEEDED', now)];
        revisions.put(rev.name, rev);
      }
    }
    s.reconciling = false;
    s.observedGeneration = s.generation;
    // A failed latest revision is not the latest ready one (a traffic-only update after it).
    if (!failed) s.latestReadyRevision = s.latestCreatedRevision;
    s.terminalCondition = condition('Ready', 'CONDITION_SUCCEEDED', now);
    s.conditions = [condition('RoutesReady', 'CONDITION_SUCCEEDED', now), condition('ConfigurationsReady', 'CONDITION_SUCCEEDED', now)];
    s.trafficStatuses = (s.traffic ?? []).map((t) => {
      const rev = t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' ? trafficRevision(s, t) : undefined;
      return { type: t.type, ...(rev ? { revision: rev } : {}), percent: t.percent, ...(t.tag ? { tag: t.tag, uri: `https://${t.tag}---${(s.uri ?? '').replace(/^https:\/\//, '')}` } : {}) };
    });
    s.etag = newEtag(s);
    services.put(name, s);
    ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: s, change: 'updated' });
    return this.renderService(s);
  }

  finishDelete(op: OperationRecord): unknown {
    const { ctx, services, revisions } = this;
    const name = op.meta.target as string;
    const s = services.peek(name);
    if (!s) return op.meta.snapshot;
    this.chargeQuota(parseName(name).location, s, undefined, true);
    ctx.quotas.use(parseName(name).location, 'ServicesPerProjectRegion', -1);
    for (const r of revisions.peekAll(`${name}/revisions/`)) revisions.delete(r.name);
    ctx.store.collection(IAM).delete(name);
    services.delete(name);
    ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: s, change: 'deleted' });
    return this.renderService(s);
  }

  finishRevisionDelete(op: OperationRecord): unknown {
    const name = op.meta.target as string;
    const r = this.revisions.peek(name);
    this.revisions.delete(name);
    return r ?? op.meta.snapshot;
  }

  startOp(project: string, location: string, kind: string, target: string, baseMs: number, complete: (op: OperationRecord) => unknown, extra: Record<string, unknown> = {}): OperationRecord {
    const name = this.opName(project, location);
    const rec = this.ctx.ops.start({ name, api: 'run', baseMs, kind, meta: { target, ...extra }, complete: () => complete(rec) });
    return rec;
  }

  /** Create, shared by POST and PATCH ?allowMissing=true. */
  create(req: EmuRequest, project: string, location: string, serviceId: string, body: unknown): Record<string, unknown> {
    const { ctx, services, revisions } = this;
    const name = `projects/${project}/locations/${location}/services/${serviceId}`;
    const now = ctx.now().toISOString();
    const s: Service = { ...copySpec(body), name };
    applyDefaults(s, ctx, project);
    validateSpec(s, true);
    if (services.has(name)) throw new EmuError(409, 'ALREADY_EXISTS', `Resource '${serviceId}' already exists.`);
    Object.assign(s, { uid: seededUuid(() => ctx.random()), generation: '1', createTime: now, updateTime: now, creator: CALLER, lastModifier: CALLER });
    const rev = revisionName(ctx, s);
    this.checkTrafficRevisions(s, rev);
    this.checkConnector(s);
    const urls = defaultUrls(ctx, name);
    Object.assign(s, {
      latestCreatedRevision: `${name}/revisions/${rev}`,
      uri: urls[1],
      urls,
      reconciling: true,
      terminalCondition: condition('Ready', 'CONDITION_RECONCILING', now),
      conditions: [condition('RoutesReady', 'CONDITION_PENDING', now), condition('ConfigurationsReady', 'CONDITION_PENDING', now)],
    });
    s.etag = newEtag(s);
    ctx.quotas.ensure('gax', { scope: location, metric: 'ServicesPerProjectRegion', amount: 1 });
    if (queryBool(req, 'validateOnly')) {
      this.chargeQuota(location, undefined, s, false);
      return this.renderOp(this.previewOp(project, location, s), req);
    }
    this.chargeQuota(location, undefined, s, true);
    ctx.quotas.use(location, 'ServicesPerProjectRegion', 1);
    services.insert(name, s);
    revisions.insert(`${name}/revisions/${rev}`, this.makeRevision(s, rev, now));
    ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: s, change: 'created' });
    return this.renderOp(this.startOp(project, location, 'run.reconcile', name, DEPLOY_MS, (op) => this.finishReconcile(op), { revision: `${name}/revisions/${rev}` }), req);
  }

  mustGet(name: string): Service {
    const s = this.services.get(name);
    if (!s) throw new EmuError(404, 'NOT_FOUND', `Resource '${lastSegment(name)}' of kind 'SERVICE' in region '${parseName(name).location}' in project '${parseName(name).project}' does not exist.`);
    return s;
  }
}

function trafficRevision(s: Service, t: { type?: string; revision?: string }): string | undefined {
  return t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' ? t.revision : (s.latestReadyRevision === undefined ? undefined : lastSegment(s.latestReadyRevision));
}

function createService(req: EmuRequest, r: RunApi): EmuResponse {
  return { body: r.create(req, req.params.project!, req.params.location!, validateServiceId(req.query.get('serviceId')), req.body) };
}

function getService(req: EmuRequest, r: RunApi): EmuResponse {
  return { body: r.renderService(r.mustGet(svcName(req.params)), req) };
}

function listServices(req: EmuRequest, r: RunApi): EmuResponse {
  const { project, location } = req.params;
  const all = r.services
    .list(`projects/${project}/locations/${location === '-' ? '' : `${location}/`}`)
    .filter((s) => location !== '-' || /\/services\/[^/]+$/.test(s.name));
  return listPage(req, all, 'services', (s) => r.renderService(s, req), 100);
}

function updateService(req: EmuRequest, r: RunApi): EmuResponse {
  const { ctx, services, revisions } = r;
  const { project, location, service } = req.params as { project: string; location: string; service: string };
  const name = svcName(req.params);
  const before = services.get(name);
  if (!before) {
    if (queryBool(req, 'allowMissing')) return { body: r.create(req, project, location, validateServiceId(service), req.body) };
    r.mustGet(name);
  }
  const prev = before!;
  const bodyEtag = (req.body as { etag?: string } | undefined)?.etag;
  if (bodyEtag && bodyEtag !== prev.etag) throw new EmuError(409, 'ABORTED', `The etag '${bodyEtag}' does not match the current etag of '${name}'; re-read and retry.`);
  const incoming = copySpec(req.body);
  const mask = parseUpdateMask(req);
  let next: Service;
  if (mask.length === 0) {
    next = { ...incoming, name } as Service;
    for (const k of OUTPUT_ONLY) if (prev[k] !== undefined) (next as Record<string, unknown>)[k] = prev[k];
  } else {
    next = structuredClone(prev);
    for (const path of mask) {
      const parts = path.split('.');
      if ((OUTPUT_ONLY as readonly string[]).includes(parts[0]!)) continue;
      setPath(next as Record<string, unknown>, parts, getPath(incoming as Record<string, unknown>, parts));
    }
  }
  applyDefaults(next, ctx, project);
  validateSpec(next);
  const strip = (t: Service['template']) => ({ ...(t ?? {}), revision: undefined });
  const templateChanged = stable(strip(next.template)) !== stable(strip(prev.template)) || (!!next.template?.revision && `${name}/revisions/${next.template.revision}` !== prev.latestCreatedRevision);
  const specChanged = stable(specOf(next)) !== stable(specOf(prev));
  const now = ctx.now().toISOString();
  let rev: string | undefined;
  if (specChanged) {
    next.generation = String(Number(prev.generation ?? '1') + 1);
    next.updateTime = now;
    next.lastModifier = CALLER;
  }
  if (templateChanged) {
    rev = revisionName(ctx, next);
    if (revisions.has(`${name}/revisions/${rev}`)) throw new EmuError(409, 'ALREADY_EXISTS', `Revision '${rev}' already exists.`);
    next.latestCreatedRevision = `${name}/revisions/${rev}`;
  }
  r.checkTrafficRevisions(next, rev);
  if (templateChanged) r.checkConnector(next);
  next.reconciling = true;
  next.terminalCondition = condition('Ready', 'CONDITION_RECONCILING', now);
  next.etag = newEtag(next);
  if (queryBool(req, 'validateOnly')) {
    r.chargeQuota(location, prev, next, false);
    return { body: r.renderOp(r.previewOp(project, location, next), req) };
  }
  r.chargeQuota(location, prev, next, true);
  services.put(name, next);
  if (rev) revisions.insert(`${name}/revisions/${rev}`, r.makeRevision(next, rev, now));
  ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: next, change: 'updated' });
  return { body: r.renderOp(r.startOp(project, location, 'run.reconcile', name, specChanged ? DEPLOY_MS : DEPLOY_MS / 10, (op) => r.finishReconcile(op), rev ? { revision: `${name}/revisions/${rev}` } : {}), req) };
}

function deleteService(req: EmuRequest, r: RunApi): EmuResponse {
  const { project, location } = req.params as { project: string; location: string };
  const name = svcName(req.params);
  const s = r.mustGet(name);
  const etag = req.query.get('etag');
  if (etag && etag !== s.etag) throw new EmuError(409, 'ABORTED', `The etag '${etag}' does not match the current etag of '${name}'; re-read and retry.`);
  if (queryBool(req, 'validateOnly')) return { body: r.renderOp(r.previewOp(project, location, s), req) };
  const now = r.ctx.now().toISOString();
  s.deleteTime = now;
  s.reconciling = true;
  s.etag = newEtag(s);
  r.services.put(name, s);
  return { body: r.renderOp(r.startOp(project, location, 'run.delete', name, DELETE_MS, (op) => r.finishDelete(op), { snapshot: s }), req) };
}

function getRevision(req: EmuRequest, r: RunApi): EmuResponse {
  r.mustGet(svcName(req.params));
  const rev = r.revisions.get(`${svcName(req.params)}/revisions/${req.params.revision}`);
  if (!rev) throw new EmuError(404, 'NOT_FOUND', `Revision '${req.params.revision}' does not exist.`);
  return { body: revisionCodec().forWire(rev, wantsIntEnums(req)) };
}

function listRevisions(req: EmuRequest, r: RunApi): EmuResponse {
  const name = svcName(req.params);
  if (req.params.service !== '-') r.mustGet(name);
  const all = r.revisions.list(`${name}/revisions/`).reverse();
  return listPage(req, all, 'revisions', (rev) => revisionCodec().forWire(rev, wantsIntEnums(req)), 100);
}

function deleteRevision(req: EmuRequest, r: RunApi): EmuResponse {
  const { project, location, revision } = req.params as { project: string; location: string; revision: string };
  const s = r.mustGet(svcName(req.params));
  const name = `${s.name}/revisions/${revision}`;
  const rev = r.revisions.get(name);
  if (!rev) throw new EmuError(404, 'NOT_FOUND', `Revision '${revision}' does not exist.`);
  const serving = (s.traffic ?? []).some((t) => trafficRevision(s, t) === revision && (t.percent ?? 0) > 0) || s.latestCreatedRevision === name;
  if (serving) throw new EmuError(400, 'FAILED_PRECONDITION', `Revision '${revision}' is receiving traffic or is the latest revision and cannot be deleted.`);
  return { body: r.renderOp(r.startOp(project, location, 'run.revision.delete', name, 2_000, (op) => r.finishRevisionDelete(op), { snapshot: rev, responseType: 'google.cloud.run.v2.Revision' }), req) };
}

const operationName = (p: Record<string, string>) => `projects/${p.project}/locations/${p.location}/operations/${p.operation}`;

async function getOperation(req: EmuRequest, r: RunApi): Promise<EmuResponse> {
  const rec = await r.ctx.ops.get(operationName(req.params));
  if (!rec || rec.api !== 'run') throw new EmuError(404, 'NOT_FOUND', `Operation ${req.params.operation} not found.`);
  return { body: r.renderOp(rec, req) };
}

async function listOperations(req: EmuRequest, r: RunApi): Promise<EmuResponse> {
  const all = (await r.ctx.ops.list(`projects/${req.params.project}/locations/${req.params.location}/operations/`)).filter((o) => o.api === 'run');
  return listPage(req, all, 'operations', (o) => r.renderOp(o, req), 100);
}

async function waitOperation(req: EmuRequest, r: RunApi): Promise<EmuResponse> {
  const t = /^(\d+(?:\.\d+)?)s$/.exec(String((req.body as { timeout?: string } | undefined)?.timeout ?? ''));
  const rec = await r.ctx.ops.wait(operationName(req.params), t ? Number(t[1]) * 1000 : 60_000);
  if (!rec || rec.api !== 'run') throw new EmuError(404, 'NOT_FOUND', `Operation ${req.params.operation} not found.`);
  return { body: r.renderOp(rec, req) };
}

function deleteOperation(req: EmuRequest, r: RunApi): EmuResponse {
  if (!r.ctx.ops.delete(operationName(req.params))) throw new EmuError(404, 'NOT_FOUND', `Operation ${req.params.operation} not found.`);
  return { body: {} };
}

export default defineApi({
  name: 'run',
  base: BASE,
  setup: (ctx) => new RunApi(ctx),
  routes: [
    post('/services', createService),
    get('/services/{service}', getService),
    get('/services', listServices),
    patch('/services/{service}', updateService),
    del('/services/{service}', deleteService),
    get('/services/{service}/revisions/{revision}', getRevision),
    get('/services/{service}/revisions', listRevisions),
    del('/services/{service}/revisions/{revision}', deleteRevision),
    get('/operations/{operation}', getOperation),
    get('/operations', listOperations),
    post('/operations/{operation}:wait', waitOperation),
    del('/operations/{operation}', deleteOperation),
  ],
  more: (ctx, r) => iamRoutes(ctx, BASE, (p) => r.mustGet(svcName(p)).name),
});
