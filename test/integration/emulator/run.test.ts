import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { protos } from '@google-cloud/run';
import { errorBody, lro, PROJECT, REGION, startTestEmulator, type TestEmulator } from './helpers.js';

type IService = protos.google.cloud.run.v2.IService;
const parent = `projects/${PROJECT}/locations/${REGION}`;
const svc = (id: string) => `${parent}/services/${id}`;
const spec = (image = 'gcr.io/p/ruvector:v1', extra: IService = {}): IService => ({
  template: { containers: [{ image, resources: { limits: { cpu: '2', memory: '4Gi' } } }], scaling: { maxInstanceCount: 10 } },
  ...extra,
});

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(async () => {
  await t.stop();
});

async function expectError(p: Promise<unknown>, http: number, status: string): Promise<ReturnType<typeof errorBody>> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'call should fail').toBeDefined();
  const body = errorBody(e);
  expect(body.code).toBe(http);
  expect(body.status).toBe(status);
  return body;
}

describe('Cloud Run Admin v2 through @google-cloud/run', () => {
  it('creates a service, waits on the operation, and fills output-only fields', async () => {
    const client = t.clients.runServices();
    const [op] = await client.createService({ parent, serviceId: 'api', service: spec() });
    expect(op.done).toBe(false);
    const [created] = await op.promise();
    expect(created.name).toBe(svc('api'));
    const [s] = await client.getService({ name: svc('api') });
    expect(s.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(s.generation)).toBe('1');
    expect(String(s.observedGeneration)).toBe('1');
    expect(s.reconciling).toBe(false);
    expect(s.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
    expect(s.latestReadyRevision).toMatch(new RegExp(`^${svc('api')}/revisions/api-00001-[a-z]{3}$`));
    expect(s.latestCreatedRevision).toBe(s.latestReadyRevision);
    expect(s.uri).toMatch(/^https:\/\/api-.*\.run\.app$/);
    expect(s.urls?.length).toBe(2);
    expect(s.etag).toMatch(/^".+"$/);
    expect(s.launchStage).toBe('GA');
    expect(s.ingress).toBe('INGRESS_TRAFFIC_ALL');
    expect(s.template?.timeout?.seconds?.toString()).toBe('300');
    expect(s.traffic).toEqual([expect.objectContaining({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 })]);
    expect(s.trafficStatuses?.[0]).toMatchObject({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 });
    expect(s.createTime?.seconds).toBeTruthy();
    await expectError(client.createService({ parent, serviceId: 'api', service: spec() }), 409, 'ALREADY_EXISTS');
  });

  it('rejects invalid ids and bodies with field violations', async () => {
    const client = t.clients.runServices();
    const bad = await expectError(client.createService({ parent, serviceId: 'Bad_Name', service: spec() }), 400, 'INVALID_ARGUMENT');
    expect(JSON.stringify(bad.details)).toContain('service_id');
    const noImage = await expectError(client.createService({ parent, serviceId: 'noimg', service: { template: { containers: [{}] } } }), 400, 'INVALID_ARGUMENT');
    expect(JSON.stringify(noImage.details)).toContain('google.rpc.BadRequest');
    await expectError(client.getService({ name: svc('missing') }), 404, 'NOT_FOUND');
    const v1Style = await expectError(client.createService({ parent, serviceId: 'knative', service: spec('gcr.io/p/x:1', { template: { containers: [{ image: 'gcr.io/p/x:1' }], annotations: { 'autoscaling.knative.dev/maxScale': '5000' } } }) }), 400, 'INVALID_ARGUMENT');
    expect(v1Style.message).toContain('autoscaling.knative.dev/maxScale');
    await expectError(client.createService({ parent, serviceId: 'lbl', service: spec('gcr.io/p/x:1', { labels: { Team: 'x' } }) }), 400, 'INVALID_ARGUMENT');
    const noConn = await expectError(client.createService({ parent, serviceId: 'noconn', service: spec('gcr.io/p/x:1', { template: { containers: [{ image: 'gcr.io/p/x:1' }], vpcAccess: { connector: 'missing-connector' } } }) }), 400, 'FAILED_PRECONDITION');
    expect(noConn.message).toContain('missing-connector');
    // Limits are Kubernetes quantities: "16GB" is not one (G or Gi, no B), and a CPU of 0 is not a limit.
    const badMemory = await expectError(client.createService({ parent, serviceId: 'badmem', service: { template: { containers: [{ image: 'gcr.io/p/x:1', resources: { limits: { cpu: '1', memory: '16GB' } } }] } } }), 400, 'INVALID_ARGUMENT');
    expect(badMemory.message).toBe("Invalid value for memory limit: '16GB'");
    expect(JSON.stringify(badMemory.details)).toContain('service.template.containers[0].resources.limits.memory');
    await expectError(client.createService({ parent, serviceId: 'zerocpu', service: { template: { containers: [{ image: 'gcr.io/p/x:1', resources: { limits: { cpu: '0', memory: '1Gi' } } }] } } }), 400, 'INVALID_ARGUMENT');
  });

  it('type-checks JSON bodies as the transcoder does: wrong types and unknown fields are 400s naming where', async () => {
    // The client libraries cannot send these; a hand-written request can (found by fuzzing: they were 500s).
    type Answer = { error?: { status: string; message: string; details: { fieldViolations?: { field: string }[] }[] }; done?: boolean; response?: IService };
    const post = async (body: unknown) => {
      const r = await fetch(`${t.url}/v2/${parent}/services?serviceId=typed&validateOnly=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Answer };
    };
    const cases: [unknown, string, string][] = [
      [{ template: -1 }, 'service.template', "Invalid value at 'service.template' (type.googleapis.com/google.cloud.run.v2.RevisionTemplate), -1"],
      [{ template: { containers: [{ image: 'a' }, '-1'] } }, 'service.template.containers[1]', "Invalid value at 'service.template.containers[1]'"],
      [{ ...spec(), traffic: 5 }, 'service.traffic', "Invalid value at 'service.traffic' (repeated type.googleapis.com/google.cloud.run.v2.TrafficTarget), 5"],
      [{ template: { containers: [{ image: 'a' }], scaling: { maxInstanceCount: 'ten' } } }, 'service.template.scaling.max_instance_count', '(TYPE_INT32), "ten"'],
      [{ template: { containers: [{ image: 'a' }], timeout: 'soon' } }, 'service.template.timeout', 'google.protobuf.Duration'],
      [{ ...spec(), ingress: 'EVERYWHERE' }, 'service.ingress', 'google.cloud.run.v2.IngressTraffic'],
      [{ ...spec(), extra: 1 }, 'service', 'Unknown name "extra" at \'service\': Cannot find field.'],
    ];
    for (const [body, field, message] of cases) {
      const r = await post(body);
      expect(r.status, message).toBe(400);
      expect(r.body.error?.status).toBe('INVALID_ARGUMENT');
      expect(r.body.error?.message).toContain(message);
      expect(r.body.error?.details.flatMap((d) => d.fieldViolations ?? []).map((v) => v.field)).toEqual([field]);
    }
    // Proto3 JSON's other forms still pass: an enum as its number, null for unset.
    const ok = await post({ template: { containers: [{ image: 'a' }] }, ingress: 3, description: null });
    expect(ok.status).toBe(200);
    expect(ok.body.response).toMatchObject({ ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER', template: { containers: [{ image: 'a' }] } });
    expect(ok.body.response).not.toHaveProperty('description');
  });

  it('validateOnly returns the defaulted service and stores nothing', async () => {
    const client = t.clients.runServices();
    const [op] = await client.createService({ parent, serviceId: 'dry', service: spec(), validateOnly: true });
    expect(op.done).toBe(true);
    const [preview] = await op.promise();
    expect(preview.template?.maxInstanceRequestConcurrency).toBe(80);
    expect(preview.template?.containers?.[0]?.ports?.[0]?.containerPort).toBe(8080);
    await expectError(client.getService({ name: svc('dry') }), 404, 'NOT_FOUND');
  });

  it('patches: same spec keeps the revision, a template change makes a new one, stale etag is ABORTED', async () => {
    const client = t.clients.runServices();
    const [s1] = await client.getService({ name: svc('api') });
    // Re-sending the same spec is not a change.
    const [same] = await client.updateService({ service: { ...spec(), name: svc('api') } });
    const [afterSame] = await same.promise();
    expect(String(afterSame.generation)).toBe('1');
    expect(afterSame.latestCreatedRevision).toBe(s1.latestCreatedRevision);

    // validateOnly PATCH previews the change and stores nothing.
    const [dry] = await client.updateService({ service: { ...spec('gcr.io/p/ruvector:dry'), name: svc('api') }, validateOnly: true });
    expect(dry.done).toBe(true);
    expect(String((await dry.promise())[0].generation)).toBe('2');
    const [still] = await client.getService({ name: svc('api') });
    expect(String(still.generation)).toBe('1');
    expect(still.template?.containers?.[0]?.image).toBe('gcr.io/p/ruvector:v1');

    const [op] = await client.updateService({ service: { ...spec('gcr.io/p/ruvector:v2'), name: svc('api') } });
    const [s2] = await op.promise();
    expect(String(s2.generation)).toBe('2');
    expect(s2.latestReadyRevision).toMatch(/\/revisions\/api-00002-[a-z]{3}$/);
    expect(s2.etag).not.toBe(s1.etag);

    await expectError(client.updateService({ service: { ...spec('gcr.io/p/ruvector:v3'), name: svc('api'), etag: s1.etag } }), 409, 'ABORTED');

    // updateMask touches only what it names.
    const [lop] = await client.updateService({ service: { name: svc('api'), labels: { team: 'search' } }, updateMask: { paths: ['labels'] } });
    const [s3] = await lop.promise();
    expect(s3.labels).toEqual({ team: 'search' });
    expect(s3.template?.containers?.[0]?.image).toBe('gcr.io/p/ruvector:v2');
    expect(s3.latestCreatedRevision).toBe(s2.latestCreatedRevision);

    const revs = t.clients.runRevisions();
    const [list] = await revs.listRevisions({ parent: svc('api') });
    expect(list.map((r) => r.name?.split('/').pop())).toHaveLength(2);
    const [rev] = await revs.getRevision({ name: s2.latestReadyRevision! });
    expect(rev.containers?.[0]?.image).toBe('gcr.io/p/ruvector:v2');
    expect(rev.service).toBe(svc('api'));
  });

  it('honours revision traffic splits and refuses unknown revisions', async () => {
    const client = t.clients.runServices();
    const [s] = await client.getService({ name: svc('api') });
    const [list] = await t.clients.runRevisions().listRevisions({ parent: svc('api') });
    const [newer, older] = list.map((r) => r.name!.split('/').pop()!);
    const traffic = [
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' as const, revision: older, percent: 10 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' as const, revision: newer, percent: 90, tag: 'canary' },
    ];
    const [op] = await client.updateService({ service: { name: svc('api'), traffic }, updateMask: { paths: ['traffic'] } });
    const [after] = await op.promise();
    expect(after.trafficStatuses?.map((x) => [x.revision, x.percent])).toEqual([
      [older, 10],
      [newer, 90],
    ]);
    expect(after.trafficStatuses?.[1]?.uri).toMatch(/^https:\/\/canary---/);
    expect(after.latestCreatedRevision).toBe(s.latestCreatedRevision);
    await expectError(
      client.updateService({ service: { name: svc('api'), traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'api-09999-zzz', percent: 100 }] }, updateMask: { paths: ['traffic'] } }),
      400,
      'INVALID_ARGUMENT',
    );
  });

  it('allowMissing creates through PATCH; list pages', async () => {
    const client = t.clients.runServices();
    const [op] = await client.updateService({ service: { ...spec(), name: svc('upserted') }, allowMissing: true });
    await op.promise();
    for (const id of ['p1', 'p2']) await (await client.createService({ parent, serviceId: id, service: spec() }))[0].promise();
    const [page, next] = await client.listServices({ parent, pageSize: 2 }, { autoPaginate: false });
    expect(page).toHaveLength(2);
    expect(next?.pageToken).toBeTruthy();
    const [all] = await client.listServices({ parent });
    expect(all.map((s) => s.name!.split('/').pop()).sort()).toEqual(['api', 'p1', 'p2', 'upserted']);
  });

  it('IAM policy round-trips with etags', async () => {
    const client = t.clients.runServices();
    const [empty] = await client.getIamPolicy({ resource: svc('api') });
    const [set] = await client.setIamPolicy({ resource: svc('api'), policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }], etag: empty.etag } });
    expect(set.bindings?.[0]?.members).toEqual(['allUsers']);
    const [got] = await client.getIamPolicy({ resource: svc('api') });
    expect(got.bindings?.[0]?.role).toBe('roles/run.invoker');
    await expectError(client.setIamPolicy({ resource: svc('api'), policy: { bindings: [], etag: empty.etag } }), 409, 'ABORTED');
    await expectError(client.setIamPolicy({ resource: svc('api'), policy: { bindings: [{ role: 'roles/run.invoker', members: ['nobody'] }] } }), 400, 'INVALID_ARGUMENT');
  });

  it('refuses a revision whose max instances x CPU exceed the region quota', async () => {
    const client = t.clients.runServices();
    // The seed's shape: 5000 instances x 4 vCPU against the 1000 vCPU regional default.
    const big = { template: { containers: [{ image: 'gcr.io/p/ruvector:v1', resources: { limits: { cpu: '4', memory: '16Gi' } } }], scaling: { minInstanceCount: 500, maxInstanceCount: 5000 } } };
    const e = await expectError(client.createService({ parent, serviceId: 'huge', service: big }), 429, 'RESOURCE_EXHAUSTED');
    expect(e.message).toContain('CpuAllocPerProjectRegion');
    await expectError(client.getService({ name: svc('huge') }), 404, 'NOT_FOUND');
    expect(t.emu.ctx.quotas.usage(REGION, 'CpuAllocPerProjectRegion')).toBe(4 * 2 * 10);
    expect(t.emu.ctx.quotas.usage(REGION, 'ServicesPerProjectRegion')).toBe(4);
  });

  it('deletes with etag checks; operations are listed and gettable', async () => {
    const client = t.clients.runServices();
    const [s] = await client.getService({ name: svc('p2') });
    await expectError(client.deleteService({ name: svc('p2'), etag: '"stale"' }), 409, 'ABORTED');
    const [op] = await client.deleteService({ name: svc('p2'), etag: s.etag! });
    const [gone] = await op.promise();
    expect(gone.name).toBe(svc('p2'));
    await expectError(client.getService({ name: svc('p2') }), 404, 'NOT_FOUND');
    expect(t.emu.ctx.quotas.usage(REGION, 'ServicesPerProjectRegion')).toBe(3);
    expect(t.emu.ctx.quotas.usage(REGION, 'CpuAllocPerProjectRegion')).toBe(3 * 2 * 10);
    const progress = await client.checkDeleteServiceProgress(op.name!);
    expect(progress.done).toBe(true);
    // :wait is not in gax's OperationsClient; gcloud and REST callers use it directly.
    const [slow] = await client.updateService({ service: { name: svc('p1'), labels: { v: '2' } }, updateMask: { paths: ['labels'] } });
    const waited = (await (await fetch(`${t.url}/v2/${slow.name}:wait`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ timeout: '30s' }) })).json()) as { done: boolean; response: { '@type': string; labels: Record<string, string> } };
    expect(waited.done).toBe(true);
    expect(waited.response['@type']).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    expect(waited.response.labels).toEqual({ v: '2' });
    const ops = await lro(client).list(parent);
    expect(ops.length).toBeGreaterThan(3);
    const reqs = t.emu.requestLog.entries({ api: 'run' });
    expect(reqs.some((r) => r.method === 'GET' && r.path.includes('/operations/'))).toBe(true);
    expect(t.emu.requestLog.count({ api: 'run', write: true })).toBeGreaterThan(5);
  });

  it('emits resource.changed for the data plane and lets it override the URI', async () => {
    const seen: string[] = [];
    const local = await startTestEmulator({
      dataPlane: {
        attach: (ctx) => ctx.events.on('resource.changed', (e) => seen.push(`${e.kind}:${e.change}`)),
        serviceUri: (name) => (name.endsWith('/dp') ? 'http://127.0.0.1:18080' : undefined),
      },
    });
    try {
      const client = local.clients.runServices();
      await (await client.createService({ parent, serviceId: 'dp', service: spec() }))[0].promise();
      const [s] = await client.getService({ name: svc('dp') });
      expect(s.uri).toBe('http://127.0.0.1:18080');
      expect(seen).toEqual(['Service:created', 'Service:updated']);
    } finally {
      await local.stop();
    }
  });

  it('answers injected faults in the gax dialect, and hides new services briefly (seeded)', async () => {
    const local = await startTestEmulator({ consistencyDelayMs: 3000, seed: 4 });
    try {
      const client = local.clients.runServices();
      const [op] = await client.createService({ parent, serviceId: 'late', service: spec() });
      // Right after the create, a read may not see it yet: the engine must wait, not re-create.
      const first = await client.getService({ name: svc('late') }).then(() => 200, (e: unknown) => errorBody(e).code);
      expect(first).toBe(404);
      let seen = false;
      for (let i = 0; i < 100 && !seen; i++) {
        seen = await client.getService({ name: svc('late') }).then(() => true, () => false);
        if (!seen) await new Promise((r) => setTimeout(r, 50));
      }
      expect(seen).toBe(true);
      await op.promise();

      local.emu.faults.configure({ rate: 1, seed: 9 });
      const e = errorBody(await client.getService({ name: svc('late') }).then(() => undefined, (x: unknown) => x));
      expect([429, 503]).toContain(e.code);
      expect(['RESOURCE_EXHAUSTED', 'UNAVAILABLE']).toContain(e.status);
      expect(local.emu.requestLog.entries({ api: 'run' }).at(-1)?.fault).toBe(String(e.code));
    } finally {
      await local.stop();
    }
  });
});
