/**
 * The local world as a new user meets it: `ruvector deploy --local --yes` (which starts
 * the emulator daemon with its data plane) in a fresh RUVECTOR_HOME, then curl-like requests
 * through the printed front door, then `destroy --local --yes` and `emulator stop`, after
 * which nothing it started may still run. One deploy, all assertions, one destroy.
 *
 * The spec is templates/local.yaml as shipped (three regions, one a tier-2 read replica).
 * The write key is read the way the deploy output says: from the emulator's Secret Manager.
 * Replication between the two tier-1 regions (each with its own Cloud SQL primary, as the
 * seed has it) goes through the writer's bucket and a Pub/Sub push to the other region.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { canConnect } from '../../src/emulator/dataplane/ports.js';
import { CLI, ensureBuilt, ROOT } from '../integration/engine/helpers.js';

let KEY = '';
const REGIONS = ['us-central1', 'europe-west1', 'asia-northeast1'];
/** A point written in one region is searchable in the others within this time (Pub/Sub push replication). */
const REPLICATION_MS = 20_000;

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }
interface RunInstance { pid?: number; port: number; state: string }
interface DataPlaneStatus {
  services: { name: string; location: string; uri: string; ready: boolean }[];
  parts: {
    run: { services: { name: string; location: string; revisions: { instances: RunInstance[] }[] }[] };
    redis?: { instances: { pid?: number }[] };
    'pubsub-push': { subscriptions: Record<string, { delivered: number; acked: number; nacked: number; lastStatus?: number }> };
  };
}

function ruvector(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function call(url: string, o: { method?: string; headers?: Record<string, string>; body?: unknown; from?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers = { ...(body ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) };
    const req = request(url, { method: o.method ?? (body ? 'POST' : 'GET'), headers, localAddress: o.from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ruvector deploy --local: a multi-region world on this machine', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let emulator: string;
  let door: string;
  let project: string;
  let failing: Server | undefined;
  let deployOut = '';

  const dataplane = async () => JSON.parse((await call(`${emulator}/__emulator/dataplane`)).body) as DataPlaneStatus;
  const serviceUri = async (region: string) => (await dataplane()).services.find((s) => s.location === region)!.uri;
  const pubsub = (method: string, path: string, body?: unknown) => call(`${emulator}/v1/${path}`, { method, body: body ?? (method === 'POST' ? {} : undefined) });

  beforeAll(async () => {
    ensureBuilt();
    home = mkdtempSync(join(tmpdir(), 'rv-local-world-'));
    env = { ...process.env, RUVECTOR_HOME: home, NO_COLOR: '1', RUVECTOR_DEBUG: '' };
    delete env.RUVECTOR_EMULATOR_HOST;
    const doc = parse(readFileSync(join(ROOT, 'templates', 'local.yaml'), 'utf8')) as {
      project: string;
      regions: Record<string, unknown>;
      service: { env: Record<string, string> };
      loadBalancer: { clientRegionRoutes: { value: string; region: string }[] };
    };
    project = doc.project;
    writeFileSync(join(home, 'ruvector.yaml'), stringify(doc));

    const deploy = await ruvector(['deploy', '--local', '--yes'], env, home);
    deployOut = deploy.stdout + deploy.stderr;
    expect(deploy.code, deployOut.slice(-3000)).toBe(0);
    const rec = JSON.parse(readFileSync(join(home, 'emulator.json'), 'utf8')) as { host: string; port: number };
    emulator = `http://${rec.host}:${rec.port}`;
    const secret = JSON.parse((await call(`${emulator}/v1/projects/${project}/secrets/ruvector-api-key/versions/latest:access`)).body) as { payload: { data: string } };
    KEY = Buffer.from(secret.payload.data, 'base64').toString('utf8');
    expect(KEY).toHaveLength(32);
    expect(deployOut).not.toContain(KEY); // the deploy says how to read it, never the key itself
  }, 300_000);

  afterAll(async () => {
    failing?.close();
    // Whatever happened above: no daemon may outlive the test.
    if (home) {
      await ruvector(['emulator', 'stop'], env, home).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints the front door URL and the commands to try once every region serves', async () => {
    const m = /Front door \(the global load balancer, locally\): (http:\/\/127\.0\.0\.1:\d+)/.exec(deployOut);
    expect(m, deployOut.slice(-2000)).toBeTruthy();
    door = m![1]!;
    expect(deployOut.match(/^ {2}curl /gm)).toHaveLength(4);
    expect(deployOut).toMatch(/^ {2}KEY=\$\(curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/projects\/ruvector-local\/secrets\/ruvector-api-key\/versions\/latest:access/m);
    for (const r of REGIONS) expect(deployOut).toMatch(new RegExp(`^ {2}${r} +http://127\\.0\\.0\\.1:\\d+$`, 'm'));
    const status = await dataplane();
    expect(status.services.filter((s) => REGIONS.includes(s.location)).every((s) => s.ready)).toBe(true);
    const ready = await call(`${door}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers.via).toBe('1.1 google');
  });

  it('writes through the front door into one region, routed by X-Client-Region, and replicates by push with OIDC', async () => {
    const auth = { 'api-key': KEY, 'X-Client-Region': 'us' };
    // Made in one region only: the others learn it from the first replicated point.
    const made = await call(`${door}/api/v1/collections`, { headers: auth, body: { name: 'default', dimension: 3, metric: 'cosine' } });
    expect(made.status, made.body).toBe(201);
    const up = await call(`${door}/api/v1/collections/default/points`, { headers: auth, body: { points: [{ id: '1', vector: [1, 0, 0] }, { id: '2', vector: [0.9, 0.1, 0] }, { id: '3', vector: [0, 1, 0] }] } });
    expect(up.status, up.body).toBe(200);
    expect((await call(`${door}/api/v1/collections/default/points`, { body: { points: [{ id: '4', vector: [0, 0, 1] }] } })).status).toBe(401);
    // The region the header named holds the points.
    const usUri = await serviceUri('us-central1');
    const got = await call(`${usUri}/api/v1/collections/default/points/get`, { body: { ids: ['1', '2', '3'] } });
    expect(got.status, got.body).toBe(200);
    for (const id of ['1', '2', '3']) expect(got.body).toContain(`"${id}"`);
    // Every write is pushed to every region's service. Its own region acks it (an echo): the
    // real service verified the emulator-signed OIDC token (it answers 401 otherwise).
    const own = `projects/${project}/subscriptions/vector-updates-us-central1`;
    const acked = await until('push to us-central1', async () => {
      const s = (await dataplane()).parts['pubsub-push'].subscriptions[own];
      return s && s.acked >= 3 ? s : undefined;
    });
    expect(acked.lastStatus).toBe(204);
    const other = `projects/${project}/subscriptions/vector-updates-europe-west1`;
    const delivered = await until('push to europe-west1', async () => {
      const s = (await dataplane()).parts['pubsub-push'].subscriptions[other];
      return s && s.delivered >= 3 ? s : undefined;
    });
    expect([401, 403]).not.toContain(delivered.lastStatus);
  });

  it('makes the points written in one region searchable in every region within a bounded time', async () => {
    for (const region of REGIONS) {
      const uri = await serviceUri(region);
      await until(`points in ${region}`, async () => {
        const r = await call(`${uri}/api/v1/collections/default/search`, { body: { vector: [1, 0, 0], k: 3 } });
        if (r.status !== 200) return undefined;
        const ids = (JSON.parse(r.body) as { results: { id: string }[] }).results.map((x) => x.id);
        return ids.join() === '1,2,3' ? ids : undefined;
      }, REPLICATION_MS);
    }
  });

  it('serves the same search twice, the second time from the CDN cache', async () => {
    const q = `${door}/api/v1/search?collection=default&query_vector_id=1&k=2&metric=cosine`;
    const first = await call(q, { headers: { 'X-Client-Region': 'us' } });
    expect(first.status, first.body).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(JSON.parse(first.body).results[0].id).toBe('2');
    const second = await call(`${q}&utm=ignored`, { headers: { 'X-Client-Region': 'us' } });
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.age).toBeDefined();
    expect(second.body).toBe(first.body);
  });

  it('answers an sqli-looking query 403 and a flood from one client 429 (Cloud Armor)', async () => {
    const sqli = await call(`${door}/api/v1/search?collection=default&query_vector_id=${encodeURIComponent("1' OR '1'='1")}&k=2`);
    expect(sqli.status).toBe(403);
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await call(`${door}/health/live`, { from: '127.0.0.9' })).status);
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(100).every((s) => s === 429)).toBe(true);
    expect((await call(`${door}/health/live`, { from: '127.0.0.9' })).status).toBe(429); // banned
    expect((await call(`${door}/health/live`)).status).toBe(200); // other clients are not
  });

  it('restarts a region\'s service killed with SIGKILL; it comes back ready with its data', async () => {
    const instances = async () => (await dataplane()).parts.run.services.find((s) => s.location === 'us-central1')!.revisions.flatMap((r) => r.instances);
    const victim = (await instances()).find((i) => i.state === 'serving' && i.pid)!;
    process.kill(victim.pid!, 'SIGKILL');
    await until('a restarted instance', async () => (await instances()).some((i) => i.state === 'serving' && i.pid && i.pid !== victim.pid), 60_000);
    await until('us-central1 ready again', async () => (await dataplane()).services.find((s) => s.location === 'us-central1')?.ready, 60_000);
    const usUri = await serviceUri('us-central1');
    const got = await call(`${usUri}/api/v1/collections/default/points/get`, { body: { ids: ['1', '2', '3'] } });
    expect(got.status, got.body).toBe(200);
    for (const id of ['1', '2', '3']) expect(got.body).toContain(`"${id}"`);
    expect((await call(`${door}/health/ready`, { headers: { 'X-Client-Region': 'us' } })).status).toBe(200);
  }, 120_000);

  it('retries a push to an endpoint answering 500, then dead-letters it', async () => {
    let hits = 0;
    failing = createServer((req, res) => {
      hits += 1;
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => failing!.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/push`;
    // A topic of our own: vector-updates only takes messages of its Avro schema.
    const topic = `projects/${project}/topics/e2e-work`;
    expect((await pubsub('PUT', topic, {})).status).toBe(200);
    const dead = `projects/${project}/topics/dead-letter`;
    expect((await pubsub('PUT', `projects/${project}/subscriptions/e2e-dead-watch`, { topic: dead })).status).toBe(200);
    const created = await pubsub('PUT', `projects/${project}/subscriptions/e2e-failing-push`, {
      topic,
      pushConfig: { pushEndpoint: endpoint },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      deadLetterPolicy: { deadLetterTopic: dead, maxDeliveryAttempts: 5 },
    });
    expect(created.status, created.body).toBe(200);
    const data = Buffer.from(JSON.stringify({ probe: 'e2e' })).toString('base64');
    expect((await pubsub('POST', `${topic}:publish`, { messages: [{ data }] })).status).toBe(200);
    const msgs = await until('the dead-lettered message', async () => {
      const r = JSON.parse((await pubsub('POST', `projects/${project}/subscriptions/e2e-dead-watch:pull`, { maxMessages: 10 })).body) as { receivedMessages?: { message: { data: string; attributes: Record<string, string> } }[] };
      const mine = (r.receivedMessages ?? []).filter((m) => m.message.data === data);
      return mine.length ? mine : undefined;
    });
    expect(msgs[0]!.message.attributes.CloudPubSubDeadLetterSourceSubscription).toBe('e2e-failing-push');
    expect(msgs[0]!.message.attributes.CloudPubSubDeadLetterSourceDeliveryCount).toBe('5');
    expect(hits).toBe(5);
  });

  it('destroy --local then emulator stop leave nothing running', async () => {
    const status = await dataplane();
    const pids = [
      ...status.parts.run.services.flatMap((s) => s.revisions.flatMap((r) => r.instances.map((i) => i.pid))),
      ...(status.parts.redis?.instances.map((i) => i.pid) ?? []),
    ].filter((p): p is number => typeof p === 'number');
    const ports = [Number(new URL(door).port), ...status.services.map((s) => Number(new URL(s.uri).port))];
    const daemon = (JSON.parse(readFileSync(join(home, 'emulator.json'), 'utf8')) as { pid: number; port: number });

    const destroy = await ruvector(['destroy', '--local', '--yes'], env, home);
    expect(destroy.code, destroy.stdout.slice(-2000) + destroy.stderr).toBe(0);
    const stop = await ruvector(['emulator', 'stop'], env, home);
    expect(stop.code, stop.stderr).toBe(0);

    await until('every process gone', () => !alive(daemon.pid) && pids.every((p) => !alive(p)), 20_000);
    for (const p of [...ports, daemon.port]) expect(await canConnect('127.0.0.1', p)).toBe(false);
  }, 120_000);
});
