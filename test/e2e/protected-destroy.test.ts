/**
 * Protected data survives destroy, as a user would find out: templates/local.yaml with
 * sql.preventDestroy, sql.deletionProtection and redis.preventDestroy on, deployed with
 * `deploy --local` (real Postgres behind every Cloud SQL instance, the real service in every
 * Cloud Run service), vectors written through the front door, `destroy --yes` without
 * --allow-destroy-protected, `deploy` again, and the same vectors read back with the SAME API
 * key. Then --allow-destroy-protected takes everything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, templateYaml } from '../integration/engine/helpers.js';

interface Reply { status: number; body: string }
interface Kept { kind: string; name: string; kept: string }

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

function call(url: string, o: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers = { ...(body ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) };
    const req = request(url, { method: body ? 'POST' : 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const POINTS = [
  { id: 'a', vector: [1, 0, 0], metadata: { doc: 'first' } },
  { id: 'b', vector: [0.8, 0.2, 0], metadata: { doc: 'second' } },
  { id: 'c', vector: [0, 1, 0], metadata: { doc: 'third' } },
];

describe('destroy with protection on keeps the data and the key; a redeploy serves them again', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let emulator: string;
  let key = '';

  const frontDoor = (out: string): string => {
    const m = /Front door \(the global load balancer, locally\): (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    expect(m, out.slice(-2000)).toBeTruthy();
    return m![1]!;
  };
  const apiKey = async (): Promise<string> => {
    const r = await call(`${emulator}/v1/projects/ruvector-local/secrets/ruvector-api-key/versions/latest:access`);
    expect(r.status, r.body).toBe(200);
    return Buffer.from((JSON.parse(r.body) as { payload: { data: string } }).payload.data, 'base64').toString('utf8');
  };
  const services = async () => (JSON.parse((await call(`${emulator}/__emulator/dataplane`)).body) as { services: { location: string }[] }).services;
  const deploy = async (): Promise<string> => {
    const d = await ruvector(['deploy', '--local', '--yes'], env, home);
    expect(d.code, d.stdout.slice(-3000) + d.stderr).toBe(0);
    return frontDoor(d.stdout);
  };

  let door = '';
  beforeAll(async () => {
    ensureBuilt();
    home = mkdtempSync(join(tmpdir(), 'rv-protected-destroy-'));
    env = { ...process.env, RUVECTOR_HOME: home, NO_COLOR: '1', RUVECTOR_DEBUG: '' };
    delete env.RUVECTOR_EMULATOR_HOST;
    writeFileSync(join(home, 'ruvector.yaml'), templateYaml('local', (d) => {
      Object.assign(d.sql as object, { deletionProtection: true, preventDestroy: true });
      Object.assign(d.redis as object, { preventDestroy: true });
    }));
    door = await deploy();
    const rec = JSON.parse(readFileSync(join(home, 'emulator.json'), 'utf8')) as { host: string; port: number };
    emulator = `http://${rec.host}:${rec.port}`;
    key = await apiKey();
    expect(key).toHaveLength(32);
  }, 300_000);

  afterAll(async () => {
    if (home) {
      await ruvector(['emulator', 'stop'], env, home).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('writes vectors through the front door', async () => {
    const auth = { 'api-key': key, 'X-Client-Region': 'us' };
    const made = await call(`${door}/api/v1/collections`, { headers: auth, body: { name: 'kept', dimension: 3, metric: 'cosine' } });
    expect(made.status, made.body).toBe(201);
    const up = await call(`${door}/api/v1/collections/kept/points`, { headers: auth, body: { points: POINTS } });
    expect(up.status, up.body).toBe(200);
  });

  it('destroy --yes keeps the protected instances with their databases, users, replica, passwords and API key', async () => {
    const d = await ruvector(['destroy', '--local', '--yes'], env, home);
    expect(d.code, d.stdout.slice(-3000) + d.stderr).toBe(0);
    const out = d.stdout;
    for (const region of ['us-central1', 'europe-west1']) {
      const inst = `ruvector-db-${region}`;
      expect(out).toMatch(new RegExp(`keep +sql\\.Database +instances/${inst}/databases/ruvector +\\[kept: inside protected sql\\.Instance ${inst}\\]`));
      expect(out).toMatch(new RegExp(`keep +sql\\.User +instances/${inst}/users/ruvector +\\[kept: inside protected sql\\.Instance ${inst}\\]`));
      expect(out).toMatch(new RegExp(`keep +secretmanager\\.Secret +secrets/ruvector-db-password-${region} +\\[kept: needed by kept sql\\.User ${inst}/users/ruvector\\]`));
    }
    expect(out).toMatch(/keep +sql\.Instance +instances\/ruvector-db-asia-northeast1-replica +\[kept: replica of protected sql\.Instance ruvector-db-us-central1/);
    expect(out).toMatch(/keep +secretmanager\.Secret +secrets\/ruvector-api-key +\[kept: read by run\.Service ruvector-streaming, a client of protected/);
    expect(out).toMatch(/Plan: 0 to create, 0 to update, 0 to replace, \d+ to delete, 0 unchanged, 17 kept\./);
    expect(out).toContain('kept 17 that protection covers');
    // What protection does not cover went: no service serves any more.
    expect(await services()).toEqual([]);

    // Again, as JSON: nothing left to delete, and the plan event names every keep and why.
    const again = await ruvector(['destroy', '--local', '--yes', '--json'], env, home);
    expect(again.code, again.stderr).toBe(0);
    const event = JSON.parse(again.stdout.split('\n')[0]!) as { event: string; summary: { delete: number; kept: number }; kept: Kept[] };
    expect(event).toMatchObject({ event: 'plan', summary: { delete: 0, kept: 17 } });
    const byKind: Record<string, number> = {};
    for (const k of event.kept) byKind[k.kind] = (byKind[k.kind] ?? 0) + 1;
    expect(byKind).toEqual({ 'sql.Instance': 3, 'sql.Database': 2, 'sql.User': 2, 'redis.Instance': 3, 'secretmanager.Secret': 3, 'compute.Network': 1, 'servicenetworking.Connection': 1, 'compute.GlobalAddress': 2 });
    expect(event.kept.every((k) => k.kept.length > 0)).toBe(true);
  }, 120_000);

  it('a redeploy serves the same vectors under the same API key, in the writer region and its replica', async () => {
    door = await deploy();
    // Compared, never printed: a failure message must not carry the key.
    expect(await apiKey() === key, 'the API key after the redeploy is the one clients already hold').toBe(true);
    const got = await call(`${door}/api/v1/collections/kept/points/get`, { headers: { 'api-key': key, 'X-Client-Region': 'us' }, body: { ids: POINTS.map((p) => p.id) } });
    expect(got.status, got.body).toBe(200);
    const points = (JSON.parse(got.body) as { points: { id: string; vector: number[]; metadata: unknown }[] }).points;
    expect(points.map((p) => [p.id, p.vector.map((x) => Math.round(x * 1000) / 1000), p.metadata])).toEqual(POINTS.map((p) => [p.id, p.vector, p.metadata]));
    // asia-northeast1 reads through the kept read replica of us-central1's primary.
    const search = await call(`${door}/api/v1/collections/kept/search`, { headers: { 'api-key': key, 'X-Client-Region': 'asia' }, body: { vector: [1, 0, 0], k: 2 } });
    expect(search.status, search.body).toBe(200);
    expect((JSON.parse(search.body) as { results: { id: string }[] }).results.map((r) => r.id)).toEqual(['a', 'b']);
    // The old key still writes.
    const up = await call(`${door}/api/v1/collections/kept/points`, { headers: { 'api-key': key, 'X-Client-Region': 'us' }, body: { points: [{ id: 'd', vector: [0, 0, 1] }] } });
    expect(up.status, up.body).toBe(200);
  }, 300_000);

  it('--allow-destroy-protected deletes everything', async () => {
    const d = await ruvector(['destroy', '--local', '--yes', '--allow-destroy-protected'], env, home);
    expect(d.code, d.stdout.slice(-3000) + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/! delete sql\.Database instances\/ruvector-db-us-central1\/databases\/ruvector: inside protected sql\.Instance ruvector-db-us-central1/);
    expect(d.stdout).not.toContain('[kept:');
    expect(d.stdout).toMatch(/Plan: 0 to create, 0 to update, 0 to replace, \d+ to delete, 0 unchanged\./);
    // Asked of the APIs directly (one CLI run less): no instance, no secret is left.
    const sql = JSON.parse((await call(`${emulator}/v1/projects/ruvector-local/instances`)).body) as { items?: unknown[] };
    expect(sql.items ?? []).toEqual([]);
    const secrets = JSON.parse((await call(`${emulator}/v1/projects/ruvector-local/secrets`)).body) as { secrets?: unknown[] };
    expect(secrets.secrets ?? []).toEqual([]);
  }, 120_000);
});
