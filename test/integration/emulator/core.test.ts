import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTemplate, Router } from '../../../src/emulator/core/router.js';
import { gaxOperation } from '../../../src/emulator/core/helpers.js';
import { EmuError, type ApiModule, type EmulatorContext, type OperationRecord, type Route } from '../../../src/emulator/core/types.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/server.js';

/** A small API written against the contract, exercising the core the way real modules do. */
function widgets(style: 'gax' | 'compute'): ApiModule {
  const base = style === 'gax' ? '/v1/projects/{project}/locations/{location}/widgets' : '/compute/v1/projects/{project}/global/widgets';
  const complete = (ctx: EmulatorContext) => (op: OperationRecord) => {
    const col = ctx.store.collection<Record<string, unknown>>('widgets');
    const w = col.peek(op.meta.target as string)!;
    w.state = 'READY';
    col.put(op.meta.target as string, w);
    return w;
  };
  return {
    name: `widgets-${style}`,
    routes(ctx): Route[] {
      ctx.ops.registerCompleter?.('widget.create', complete(ctx));
      const col = ctx.store.collection<Record<string, unknown>>('widgets');
      const key = (p: Record<string, string>) => `projects/${p.project}/widgets/${p.widget}`;
      return [
        {
          method: 'POST', path: base, style, api: 'widgets', write: true,
          handler(req) {
            const id = req.query.get('widgetId') ?? String((req.body as { name?: string }).name);
            const name = key({ ...req.params, widget: id });
            if (col.has(name)) throw new EmuError(409, 'ALREADY_EXISTS', `Widget ${name} already exists`, 'alreadyExists');
            ctx.quotas.ensure(style, { scope: 'global', metric: 'NETWORKS', amount: 1 });
            ctx.quotas.use('global', 'NETWORKS', 1);
            col.insert(name, { name, state: 'CREATING', size: ctx.random() });
            const rec = ctx.ops.start({ name: `projects/${req.params.project}/operations/op-${id}`, api: 'widgets', baseMs: 60_000, meta: { target: name }, kind: 'widget.create', complete: () => complete(ctx)({ meta: { target: name } } as unknown as OperationRecord) });
            return { body: gaxOperation(rec, { metadataType: 'test.Meta', metadata: {}, responseType: 'test.Widget' }) };
          },
        },
        {
          method: 'GET', path: `${base}/{widget}`, style, api: 'widgets',
          handler(req) {
            const w = col.get(key(req.params));
            if (!w) throw new EmuError(404, 'NOT_FOUND', `Widget ${key(req.params)} not found`, 'notFound');
            return { body: w };
          },
        },
        {
          method: 'POST', path: `${base}/{widget}:frob`, style, api: 'widgets', write: true,
          handler: (req) => ({ body: { frobbed: req.params.widget } }),
        },
        {
          method: 'GET', path: '/v1/projects/{project}/operations/{operation}', style, api: 'widgets',
          async handler(req) {
            const rec = await ctx.ops.get(`projects/${req.params.project}/operations/${req.params.operation}`);
            if (!rec) throw new EmuError(404, 'NOT_FOUND', 'no such operation', 'notFound');
            return { body: rec };
          },
        },
        {
          method: 'POST', path: '/v1/projects/{project}/operations/{operation}:wait', style, api: 'widgets',
          async handler(req) {
            const rec = await ctx.ops.wait(`projects/${req.params.project}/operations/${req.params.operation}`, 30_000);
            return { body: rec };
          },
        },
        {
          method: 'GET', path: '/blobs/{bucket}/o/{object=**}', style, api: 'widgets',
          handler: (req) => ({ raw: Buffer.from(`${req.params.bucket}|${req.params.object}`), headers: { 'Content-Type': 'text/plain' } }),
        },
      ];
    },
  };
}

let running: RunningEmulator[] = [];
const dirs: string[] = [];
async function start(opts: Parameters<typeof startEmulator>[0] = {}): Promise<RunningEmulator> {
  const emu = await startEmulator({ latencyScale: 0.001, modules: [widgets('gax'), widgets('compute')], ...opts });
  running.push(emu);
  return emu;
}
afterEach(async () => {
  for (const e of running) await e.stop();
  running = [];
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function call(emu: RunningEmulator, method: string, path: string, body?: unknown) {
  const r = await fetch(`${emu.url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, any>) : {}, text };
}

describe('router', () => {
  it('stops a placeholder at / and :, and lets {x=**} take the rest', () => {
    const r = new Router();
    const mk = (method: Route['method'], path: string): Route => ({ method, path, style: 'gax', api: 't', handler: () => ({}) });
    r.add([mk('GET', '/v2/projects/{p}/services/{s}'), mk('GET', '/v2/projects/{p}/services/{s}:getIamPolicy'), mk('GET', '/b/{b}/o/{o=**}')]);
    const iam = r.match('GET', '/v2/projects/p1/services/svc:getIamPolicy');
    expect(iam.route?.path).toBe('/v2/projects/{p}/services/{s}:getIamPolicy');
    expect(iam.route && 'params' in iam ? iam.params : {}).toEqual({ p: 'p1', s: 'svc' });
    const plain = r.match('GET', '/v2/projects/p1/services/svc');
    expect(plain.route?.path).toBe('/v2/projects/{p}/services/{s}');
    const obj = r.match('GET', '/b/bk/o/a%2Fb/c%3Ad');
    expect(obj.route && 'params' in obj ? obj.params.o : '').toBe('a/b/c:d');
    expect(r.match('GET', '/v2/projects/p1/services/svc/extra').route).toBeUndefined();
    expect(r.match('POST', '/v2/projects/p1/services/svc')).toMatchObject({ pathMatched: { path: '/v2/projects/{p}/services/{s}' } });
    expect(compileTemplate('/v1/{name=projects/*/locations/*}/x').names).toEqual(['name']);
  });
});

describe('http server', () => {
  it('routes custom verbs, serves raw bytes and renders errors per dialect', async () => {
    const emu = await start();
    expect((await call(emu, 'POST', '/v1/projects/p/locations/l/widgets/w1:frob')).body).toEqual({ frobbed: 'w1' });
    const raw = await fetch(`${emu.url}/blobs/b1/o/dir%2Ffile.txt`);
    expect(await raw.text()).toBe('b1|dir/file.txt');

    const gax = await call(emu, 'GET', '/v1/projects/p/locations/l/widgets/nope');
    expect(gax.status).toBe(404);
    expect(gax.body.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(gax.body.error.details[0]['@type']).toBe('type.googleapis.com/google.rpc.ErrorInfo');

    const legacy = await call(emu, 'GET', '/compute/v1/projects/p/global/widgets/nope');
    expect(legacy.status).toBe(404);
    expect(legacy.body.error.errors[0]).toMatchObject({ reason: 'notFound', domain: 'global' });
    expect(legacy.body.error.status).toBeUndefined();

    const unknown = await call(emu, 'GET', '/compute/v1/projects/p/global/gizmos');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.errors[0].reason).toBe('notFound');

    const bad = await fetch(`${emu.url}/v1/projects/p/locations/l/widgets?widgetId=x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(400);
  });

  it('keeps a request log of reads and writes, queryable over HTTP', async () => {
    const emu = await start();
    await call(emu, 'POST', '/v1/projects/p/locations/l/widgets?widgetId=a', {});
    await call(emu, 'GET', '/v1/projects/p/locations/l/widgets/a');
    await call(emu, 'GET', '/v1/projects/p/locations/l/widgets/a');
    expect(emu.requestLog.count({ api: 'widgets', write: true })).toBe(1);
    expect(emu.requestLog.count({ api: 'widgets', write: false })).toBe(2);
    const log = await call(emu, 'GET', '/__emulator/requests?api=widgets');
    expect(log.body).toMatchObject({ count: 3, writes: 1, reads: 2 });
    expect(log.body.entries[0]).toMatchObject({ method: 'POST', status: 200, api: 'widgets', write: true });
    expect(typeof log.body.entries[0].latencyMs).toBe('number');
    const health = await call(emu, 'GET', '/__emulator/health');
    expect(health.body.ok).toBe(true);
  });
});

describe('fault injection', () => {
  async function statuses(seed: number): Promise<number[]> {
    const emu = await start({ faultRate: 0.3, seed });
    const out: number[] = [];
    for (let i = 0; i < 40; i++) out.push((await call(emu, 'POST', '/v1/projects/p/locations/l/widgets/w:frob')).status);
    return out;
  }

  it('answers a seeded fraction of calls 429/503, the same calls for the same seed', async () => {
    const a = await statuses(7);
    const b = await statuses(7);
    const c = await statuses(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(20);
  });

  it('renders faults in the route dialect and logs them', async () => {
    const emu = await start({ faultRate: 1, seed: 3 });
    const g = await call(emu, 'GET', '/v1/projects/p/locations/l/widgets/x');
    expect(['RESOURCE_EXHAUSTED', 'UNAVAILABLE']).toContain(g.body.error.status);
    const c = await call(emu, 'GET', '/compute/v1/projects/p/global/widgets/x');
    expect(['rateLimitExceeded', 'backendError']).toContain(c.body.error.errors[0].reason);
    expect(emu.requestLog.entries({ api: 'widgets' }).every((e) => e.fault === '429' || e.fault === '503')).toBe(true);
    // Control endpoints are never faulted.
    expect((await call(emu, 'GET', '/__emulator/health')).status).toBe(200);
  });

  it('delays a seeded fraction of calls without failing them', async () => {
    const emu = await start({ faultDelayRate: 0.5, faultDelayMs: 5, seed: 21 });
    for (let i = 0; i < 20; i++) expect((await call(emu, 'POST', '/v1/projects/p/locations/l/widgets/w:frob')).status).toBe(200);
    const delayed = emu.requestLog.entries({ api: 'widgets' }).filter((e) => e.fault === 'delay').length;
    expect(delayed).toBeGreaterThan(0);
    expect(delayed).toBeLessThan(20);
    const stats = await call(emu, 'GET', '/__emulator/requests?api=widgets&limit=0');
    expect(stats.body).toMatchObject({ count: 20, faults: delayed, entries: [] });
  });
});

describe('eventual consistency', () => {
  it('hides a new resource from get until its seeded delay passes', async () => {
    const emu = await start({ consistencyDelayMs: 400, seed: 11 });
    await call(emu, 'POST', '/v1/projects/p/locations/l/widgets?widgetId=late', {});
    const col = emu.ctx.store.collection<{ name: string }>('widgets');
    expect(col.peek('projects/p/widgets/late')).toBeDefined();
    let first404 = 0;
    let visible = false;
    for (let i = 0; i < 200 && !visible; i++) {
      const r = await call(emu, 'GET', '/v1/projects/p/locations/l/widgets/late');
      if (r.status === 404) first404++;
      else visible = r.status === 200;
      if (!visible) await new Promise((res) => setTimeout(res, 10));
    }
    expect(visible).toBe(true);
    // Seed 11 draws a non-trivial delay: at least the first read missed it.
    expect(first404).toBeGreaterThan(0);
  });
});

describe('operations, quotas and persistence', () => {
  it('completes operations once, and :wait returns the done record', async () => {
    const emu = await start();
    const created = await call(emu, 'POST', '/v1/projects/p/locations/l/widgets?widgetId=op1', {});
    expect(created.body.done).toBe(false);
    const waited = await call(emu, 'POST', '/v1/projects/p/operations/op-op1:wait');
    expect(waited.body.done).toBe(true);
    expect(waited.body.response.state).toBe('READY');
    expect((await call(emu, 'GET', '/v1/projects/p/locations/l/widgets/op1')).body.state).toBe('READY');
  });

  it('refuses past the quota in each dialect; unlimited lifts it', async () => {
    const emu = await start();
    emu.ctx.quotas.setLimit('global', 'NETWORKS', 1);
    expect((await call(emu, 'POST', '/v1/projects/p/locations/l/widgets?widgetId=q1', {})).status).toBe(200);
    const gax = await call(emu, 'POST', '/v1/projects/p/locations/l/widgets?widgetId=q2', {});
    expect(gax.status).toBe(429);
    expect(gax.body.error.status).toBe('RESOURCE_EXHAUSTED');
    const gce = await call(emu, 'POST', '/compute/v1/projects/p/global/widgets', { name: 'q3' });
    expect(gce.status).toBe(403);
    expect(gce.body.error.errors[0]).toMatchObject({ reason: 'quotaExceeded', domain: 'usageLimits', message: "Quota 'NETWORKS' exceeded.  Limit: 1.0 globally." });

    const free = await start({ quotas: 'unlimited' });
    for (let i = 0; i < 20; i++) expect((await call(free, 'POST', `/v1/projects/p/locations/l/widgets?widgetId=u${i}`, {})).status).toBe(200);
    const q = await call(emu, 'GET', '/__emulator/quotas?scope=us-central1');
    expect(q.body.quotas.find((x: { metric: string }) => x.metric === 'CpuAllocPerProjectRegion')).toMatchObject({ limit: 1000, usage: 0 });
  });

  it('restores the world from the state dir, completing operations that fell due while stopped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emu-core-'));
    dirs.push(dir);
    // latencyScale 1: the 60 s operation cannot finish before we stop.
    const a = await start({ stateDir: dir, latencyScale: 1 });
    await call(a, 'POST', '/v1/projects/p/locations/l/widgets?widgetId=keep', {});
    expect((await call(a, 'GET', '/v1/projects/p/operations/op-keep')).body.done).toBe(false);
    await a.stop();

    const b = await start({ stateDir: dir, latencyScale: 1 });
    // A restart draws new ids (no collisions with persisted operations); a fresh world replays the seed.
    const [x, y] = [await start(), await start()];
    const bootOne = x.ctx.random();
    expect(y.ctx.random()).toBe(bootOne);
    expect(b.ctx.random()).not.toBe(bootOne);
    const w = await call(b, 'GET', '/v1/projects/p/locations/l/widgets/keep');
    expect(w.body).toMatchObject({ name: 'projects/p/widgets/keep', state: 'CREATING' });
    expect(b.ctx.quotas.usage('global', 'NETWORKS')).toBe(1);
    await b.stop();

    // Pretend the minute passed while stopped: the op is due on load and finishes via its completer.
    const c = await start({ stateDir: dir, latencyScale: 0 });
    const opCol = c.ctx.store.collection<OperationRecord>('__operations');
    const rec = opCol.peek('projects/p/operations/op-keep')!;
    rec.doneAt = Date.now() - 1;
    opCol.put(rec.name, rec);
    const op = await call(c, 'GET', '/v1/projects/p/operations/op-keep');
    expect(op.body.done).toBe(true);
    expect((await call(c, 'GET', '/v1/projects/p/locations/l/widgets/keep')).body.state).toBe('READY');

    await call(c, 'POST', '/__emulator/reset');
    expect((await call(c, 'GET', '/v1/projects/p/locations/l/widgets/keep')).status).toBe(404);
  });
});
