import { enumCodec } from '../../core/enums.js';
import { checkProtoJson, withoutNulls } from '../../core/proto-shape.js';
import { gaxOperation, paginate, parseUpdateMask, queryBool, seededUuid, wantsIntEnums } from '../../core/helpers.js';
import { EmuError, type ApiModule, type EmuRequest, type EmulatorContext, type OperationRecord, type Route } from '../../core/types.js';
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

export default {
  name: 'run',
  routes(ctx: EmulatorContext): Route[] {
    const services = ctx.store.collection<Service>(SERVICES);
    const revisions = ctx.store.collection<Revision>(REVISIONS);

    /** Output form: data-plane URI override, and enums in the encoding the caller asked for. */
    const renderService = (s: Service, req?: EmuRequest): Service => {
      const uri = ctx.dataPlane?.serviceUri?.(s.name);
      // A tag's URL, locally: the service's router reaches the tagged revision for a Host of
      // TAG---anything (run/router.ts); SERVICE.localhost resolves to loopback in curl and browsers.
      const tagUri = (tag: string) => `http://${tag}---${lastSegment(s.name)}.localhost:${new URL(uri!).port}`;
      const out = uri
        ? { ...s, uri, urls: [uri, ...(s.urls ?? []).filter((u) => u !== uri)], ...(s.trafficStatuses ? { trafficStatuses: s.trafficStatuses.map((t) => (t.tag ? { ...t, uri: tagUri(t.tag) } : t)) } : {}) }
        : s;
      return req ? serviceCodec().forWire(out, wantsIntEnums(req)) : out;
    };

    const renderOp = (rec: OperationRecord, req: EmuRequest): Record<string, unknown> => {
      const kind = (rec.meta.responseType as string | undefined) ?? 'google.cloud.run.v2.Service';
      const target = rec.meta.target as string;
      const codec = kind.endsWith('Revision') ? revisionCodec() : serviceCodec();
      const live = kind.endsWith('Revision') ? revisions.peek(target) : services.peek(target);
      const snapshot = (live ?? rec.meta.snapshot ?? { name: target }) as Service;
      const metadata = codec.forWire(kind.endsWith('Revision') ? snapshot : renderService(snapshot), wantsIntEnums(req)) as Record<string, unknown>;
      const done = rec.done && rec.response ? { ...rec, response: codec.forWire(rec.response, wantsIntEnums(req)) } : rec;
      return gaxOperation(done, { metadataType: kind, metadata, responseType: kind });
    };

    const opName = (project: string, location: string) => `projects/${project}/locations/${location}/operations/${seededUuid(() => ctx.random())}`;

    /** A finished operation that never touched state (validateOnly). */
    const previewOp = (project: string, location: string, s: Service): OperationRecord => ({
      name: opName(project, location),
      api: 'run',
      createdAt: ctx.now().toISOString(),
      doneAt: Date.now(),
      done: true,
      meta: { target: s.name, snapshot: s },
      response: s,
    });

    const trafficRevision = (s: Service, t: { type?: string; revision?: string }): string | undefined =>
      t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' ? t.revision : (s.latestReadyRevision === undefined ? undefined : lastSegment(s.latestReadyRevision));

    const checkTrafficRevisions = (s: Service, pendingRevision?: string) => {
      for (const t of s.traffic ?? []) {
        if (t.type !== 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION') continue;
        if (!t.revision || (t.revision !== pendingRevision && !revisions.has(`${s.name}/revisions/${t.revision}`))) {
          throw new EmuError(400, 'INVALID_ARGUMENT', `Revision named '${t.revision ?? ''}' with traffic percent ${t.percent ?? 0} does not exist.`, undefined, {
            fieldViolations: [{ field: 'service.traffic', description: `revision ${t.revision ?? ''} does not exist` }],
          });
        }
      }
    };

    /** Cloud Run refuses a revision whose Serverless VPC Access connector does not exist. */
    const checkConnector = (s: Service) => {
      const ref = (s.template?.vpcAccess as { connector?: string } | undefined)?.connector;
      if (!ref) return;
      const { project, location } = parseName(s.name);
      const key = ref.includes('/') ? ref : `projects/${project}/locations/${location}/connectors/${ref}`;
      if (!ctx.store.collection('vpcaccess.connectors').has(key)) {
        throw new EmuError(400, 'FAILED_PRECONDITION', `VPC connector ${key} does not exist, or Cloud Run does not have permission to use it.`, undefined, {
          fieldViolations: [{ field: 'service.template.vpc_access.connector', description: 'connector not found' }],
        });
      }
    };

    /** Charges the region's CPU and memory quotas for the change in what the service can claim. */
    const chargeQuota = (location: string, before: Service | undefined, after: Service | undefined, commit: boolean) => {
      const a = allocation(before);
      const b = allocation(after);
      const dCpu = b.cpu - a.cpu;
      const dMem = b.memGiB - a.memGiB;
      if (dCpu > 0) ctx.quotas.ensure('gax', { scope: location, metric: 'CpuAllocPerProjectRegion', amount: dCpu });
      if (dMem > 0) ctx.quotas.ensure('gax', { scope: location, metric: 'MemAllocPerProjectRegion', amount: dMem });
      if (!commit) return;
      if (dCpu !== 0) ctx.quotas.use(location, 'CpuAllocPerProjectRegion', dCpu);
      if (dMem !== 0) ctx.quotas.use(location, 'MemAllocPerProjectRegion', dMem);
    };

    const makeRevision = (s: Service, shortName: string, now: string): Revision => {
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
    };

    /** Reconcile finished: the latest revision serves; traffic statuses resolve. */
    const finishReconcile = (op: OperationRecord): unknown => {
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
      return renderService(s);
    };

    const finishDelete = (op: OperationRecord): unknown => {
      const name = op.meta.target as string;
      const s = services.peek(name);
      if (!s) return op.meta.snapshot;
      chargeQuota(parseName(name).location, s, undefined, true);
      ctx.quotas.use(parseName(name).location, 'ServicesPerProjectRegion', -1);
      for (const r of revisions.peekAll(`${name}/revisions/`)) revisions.delete(r.name);
      ctx.store.collection(IAM).delete(name);
      services.delete(name);
      ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: s, change: 'deleted' });
      return renderService(s);
    };

    const finishRevisionDelete = (op: OperationRecord): unknown => {
      const name = op.meta.target as string;
      const r = revisions.peek(name);
      revisions.delete(name);
      return r ?? op.meta.snapshot;
    };

    ctx.ops.registerCompleter?.('run.reconcile', finishReconcile);
    ctx.ops.registerCompleter?.('run.delete', finishDelete);
    ctx.ops.registerCompleter?.('run.revision.delete', finishRevisionDelete);

    const startOp = (project: string, location: string, kind: string, target: string, baseMs: number, complete: (op: OperationRecord) => unknown, extra: Record<string, unknown> = {}): OperationRecord => {
      const name = opName(project, location);
      const rec = ctx.ops.start({ name, api: 'run', baseMs, kind, meta: { target, ...extra }, complete: () => complete(rec) });
      return rec;
    };

    /** Create, shared by POST and PATCH ?allowMissing=true. */
    const create = (req: EmuRequest, project: string, location: string, serviceId: string, body: unknown): Record<string, unknown> => {
      const name = `projects/${project}/locations/${location}/services/${serviceId}`;
      const now = ctx.now().toISOString();
      const s: Service = { ...copySpec(body), name };
      applyDefaults(s, ctx, project);
      validateSpec(s, true);
      if (services.has(name)) throw new EmuError(409, 'ALREADY_EXISTS', `Resource '${serviceId}' already exists.`);
      Object.assign(s, { uid: seededUuid(() => ctx.random()), generation: '1', createTime: now, updateTime: now, creator: CALLER, lastModifier: CALLER });
      const rev = revisionName(ctx, s);
      checkTrafficRevisions(s, rev);
      checkConnector(s);
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
        chargeQuota(location, undefined, s, false);
        return renderOp(previewOp(project, location, s), req);
      }
      chargeQuota(location, undefined, s, true);
      ctx.quotas.use(location, 'ServicesPerProjectRegion', 1);
      services.insert(name, s);
      revisions.insert(`${name}/revisions/${rev}`, makeRevision(s, rev, now));
      ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: s, change: 'created' });
      return renderOp(startOp(project, location, 'run.reconcile', name, DEPLOY_MS, finishReconcile, { revision: `${name}/revisions/${rev}` }), req);
    };

    const svcName = (p: Record<string, string>) => `projects/${p.project}/locations/${p.location}/services/${p.service}`;
    const mustGet = (name: string): Service => {
      const s = services.get(name);
      if (!s) throw new EmuError(404, 'NOT_FOUND', `Resource '${lastSegment(name)}' of kind 'SERVICE' in region '${parseName(name).location}' in project '${parseName(name).project}' does not exist.`);
      return s;
    };

    const routes: Route[] = [
      {
        method: 'POST', path: `${BASE}/services`, style: 'gax', api: 'run', write: true,
        handler: (req) => ({ body: create(req, req.params.project!, req.params.location!, validateServiceId(req.query.get('serviceId')), req.body) }),
      },
      {
        method: 'GET', path: `${BASE}/services/{service}`, style: 'gax', api: 'run',
        handler: (req) => ({ body: renderService(mustGet(svcName(req.params)), req) }),
      },
      {
        method: 'GET', path: `${BASE}/services`, style: 'gax', api: 'run',
        handler(req) {
          const { project, location } = req.params;
          const all = services
            .list(`projects/${project}/locations/${location === '-' ? '' : `${location}/`}`)
            .filter((s) => location !== '-' || /\/services\/[^/]+$/.test(s.name));
          const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'), 100);
          return { body: { services: page.map((s) => renderService(s, req)), ...(nextPageToken ? { nextPageToken } : {}) } };
        },
      },
      {
        method: 'PATCH', path: `${BASE}/services/{service}`, style: 'gax', api: 'run', write: true,
        handler(req) {
          const { project, location, service } = req.params as { project: string; location: string; service: string };
          const name = svcName(req.params);
          const before = services.get(name);
          if (!before) {
            if (queryBool(req, 'allowMissing')) return { body: create(req, project, location, validateServiceId(service), req.body) };
            mustGet(name);
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
          checkTrafficRevisions(next, rev);
          if (templateChanged) checkConnector(next);
          next.reconciling = true;
          next.terminalCondition = condition('Ready', 'CONDITION_RECONCILING', now);
          next.etag = newEtag(next);
          if (queryBool(req, 'validateOnly')) {
            chargeQuota(location, prev, next, false);
            return { body: renderOp(previewOp(project, location, next), req) };
          }
          chargeQuota(location, prev, next, true);
          services.put(name, next);
          if (rev) revisions.insert(`${name}/revisions/${rev}`, makeRevision(next, rev, now));
          ctx.events.emit('resource.changed', { api: 'run', kind: 'Service', name, resource: next, change: 'updated' });
          return { body: renderOp(startOp(project, location, 'run.reconcile', name, specChanged ? DEPLOY_MS : DEPLOY_MS / 10, finishReconcile, rev ? { revision: `${name}/revisions/${rev}` } : {}), req) };
        },
      },
      {
        method: 'DELETE', path: `${BASE}/services/{service}`, style: 'gax', api: 'run', write: true,
        handler(req) {
          const { project, location } = req.params as { project: string; location: string };
          const name = svcName(req.params);
          const s = mustGet(name);
          const etag = req.query.get('etag');
          if (etag && etag !== s.etag) throw new EmuError(409, 'ABORTED', `The etag '${etag}' does not match the current etag of '${name}'; re-read and retry.`);
          if (queryBool(req, 'validateOnly')) return { body: renderOp(previewOp(project, location, s), req) };
          const now = ctx.now().toISOString();
          s.deleteTime = now;
          s.reconciling = true;
          s.etag = newEtag(s);
          services.put(name, s);
          return { body: renderOp(startOp(project, location, 'run.delete', name, DELETE_MS, finishDelete, { snapshot: s }), req) };
        },
      },
      {
        method: 'GET', path: `${BASE}/services/{service}/revisions/{revision}`, style: 'gax', api: 'run',
        handler(req) {
          mustGet(svcName(req.params));
          const r = revisions.get(`${svcName(req.params)}/revisions/${req.params.revision}`);
          if (!r) throw new EmuError(404, 'NOT_FOUND', `Revision '${req.params.revision}' does not exist.`);
          return { body: revisionCodec().forWire(r, wantsIntEnums(req)) };
        },
      },
      {
        method: 'GET', path: `${BASE}/services/{service}/revisions`, style: 'gax', api: 'run',
        handler(req) {
          const name = svcName(req.params);
          if (req.params.service !== '-') mustGet(name);
          const all = revisions.list(`${name}/revisions/`).reverse();
          const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'), 100);
          return { body: { revisions: page.map((r) => revisionCodec().forWire(r, wantsIntEnums(req))), ...(nextPageToken ? { nextPageToken } : {}) } };
        },
      },
      {
        method: 'DELETE', path: `${BASE}/services/{service}/revisions/{revision}`, style: 'gax', api: 'run', write: true,
        handler(req) {
          const { project, location, revision } = req.params as { project: string; location: string; revision: string };
          const s = mustGet(svcName(req.params));
          const name = `${s.name}/revisions/${revision}`;
          const r = revisions.get(name);
          if (!r) throw new EmuError(404, 'NOT_FOUND', `Revision '${revision}' does not exist.`);
          const serving = (s.traffic ?? []).some((t) => trafficRevision(s, t) === revision && (t.percent ?? 0) > 0) || s.latestCreatedRevision === name;
          if (serving) throw new EmuError(400, 'FAILED_PRECONDITION', `Revision '${revision}' is receiving traffic or is the latest revision and cannot be deleted.`);
          return { body: renderOp(startOp(project, location, 'run.revision.delete', name, 2_000, finishRevisionDelete, { snapshot: r, responseType: 'google.cloud.run.v2.Revision' }), req) };
        },
      },
      ...iamRoutes(ctx, BASE, (p) => mustGet(svcName(p)).name),
      {
        method: 'GET', path: `${BASE}/operations/{operation}`, style: 'gax', api: 'run',
        async handler(req) {
          const rec = await ctx.ops.get(`projects/${req.params.project}/locations/${req.params.location}/operations/${req.params.operation}`);
          if (!rec || rec.api !== 'run') throw new EmuError(404, 'NOT_FOUND', `Operation ${req.params.operation} not found.`);
          return { body: renderOp(rec, req) };
        },
      },
      {
        method: 'GET', path: `${BASE}/operations`, style: 'gax', api: 'run',
        async handler(req) {
          const all = (await ctx.ops.list(`projects/${req.params.project}/locations/${req.params.location}/operations/`)).filter((o) => o.api === 'run');
          const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'), 100);
          return { body: { operations: page.map((o) => renderOp(o, req)), ...(nextPageToken ? { nextPageToken } : {}) } };
        },
      },
      {
        method: 'POST', path: `${BASE}/operations/{operation}:wait`, style: 'gax', api: 'run',
        async handler(req) {
          const t = /^(\d+(?:\.\d+)?)s$/.exec(String((req.body as { timeout?: string } | undefined)?.timeout ?? ''));
          const rec = await ctx.ops.wait(`projects/${req.params.project}/locations/${req.params.location}/operations/${req.params.operation}`, t ? Number(t[1]) * 1000 : 60_000);
          if (!rec || rec.api !== 'run') throw new EmuError(404, 'NOT_FOUND', `Operation ${req.params.operation} not found.`);
          return { body: renderOp(rec, req) };
        },
      },
      {
        method: 'DELETE', path: `${BASE}/operations/{operation}`, style: 'gax', api: 'run', write: true,
        handler(req) {
          if (!ctx.ops.delete(`projects/${req.params.project}/locations/${req.params.location}/operations/${req.params.operation}`)) {
            throw new EmuError(404, 'NOT_FOUND', `Operation ${req.params.operation} not found.`);
          }
          return { body: {} };
        },
      },
    ];
    return routes;
  },
} satisfies ApiModule;
