import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ServicesClient } from '@google-cloud/run';
import { gaxOptions, errorBody } from './helpers.js';
import { isProcessAlive, readRecord } from '../../../src/emulator/discovery.js';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/run.js');
let home: string;

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, RUVECTOR_HOME: home };
  delete env.RUVECTOR_EMULATOR_HOST;
  Object.assign(env, extraEnv);
  try {
    const r = await exec(process.execPath, [bin, ...args], { env, cwd: root, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ruvector-home-'));
  // The commands run compiled, as a user runs them.
  if (!existsSync(join(root, 'dist/commands/emulator/start.js')) || !existsSync(join(root, 'dist/src/emulator/daemon.js'))) {
    await exec(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root }).catch(() => undefined);
  }
});

/** Daemons started for this test's unique home dir, found by their command line (by pid, never by name). */
async function ourDaemons(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('daemon.js') && cmd.includes(home)) pids.push(Number(entry));
  }
  return pids;
}

afterAll(async () => {
  // Never leave a daemon behind, whatever failed above (even a start cut short by a timeout).
  const rec = await readRecord({ RUVECTOR_HOME: home });
  if (rec && isProcessAlive(rec.pid)) process.kill(rec.pid, 'SIGKILL');
  for (const pid of await ourDaemons()) process.kill(pid, 'SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe('ruvector emulator start|status|reset|stop as a child process', () => {
  it('runs the daemon, keeps the world across a restart, resets it and leaves nothing behind', async () => {
    const started = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001']);
    expect(started.code, started.stderr).toBe(0);
    const rec = JSON.parse(started.stdout) as { pid: number; host: string; port: number; stateDir: string };
    expect(isProcessAlive(rec.pid)).toBe(true);
    expect(rec.stateDir).toBe(join(home, 'emulator-state'));
    expect(await readRecord({ RUVECTOR_HOME: home })).toMatchObject({ pid: rec.pid, port: rec.port });

    const again = await cli(['emulator', 'start']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already running');
    expect(again.stderr).not.toMatch(/\n\s+at /);

    const status = JSON.parse((await cli(['emulator', 'status', '--json'])).stdout) as { running: boolean; pid: number; health: { modules: string[] } };
    expect(status).toMatchObject({ running: true, pid: rec.pid });
    expect(status.health.modules).toContain('run');

    const parent = 'projects/daemon-test/locations/us-central1';
    const client = new (ServicesClient as unknown as new (o: unknown) => ServicesClient)(gaxOptions(rec));
    const [op] = await client.createService({ parent, serviceId: 'kept', service: { template: { containers: [{ image: 'gcr.io/x/y:1' }] } } });
    // The daemon's data plane runs only the ruvector image: the operation fails as Cloud Run's
    // does for an image it cannot run, and the service stays (not ready) to be kept.
    await expect(op.promise()).rejects.toThrow(/is not ready and cannot serve traffic/);
    await client.close();

    const stopped = await cli(['emulator', 'stop', '--json']);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ wasRunning: true, pid: rec.pid, forced: false });
    expect(isProcessAlive(rec.pid)).toBe(false);
    expect(existsSync(join(home, 'emulator.json'))).toBe(false);
    expect(JSON.parse((await cli(['emulator', 'status', '--json'])).stdout)).toEqual({ running: false });

    const restarted = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001']);
    const rec2 = JSON.parse(restarted.stdout) as { pid: number; host: string; port: number };
    const client2 = new (ServicesClient as unknown as new (o: unknown) => ServicesClient)(gaxOptions(rec2));
    const [kept] = await client2.getService({ name: `${parent}/services/kept` });
    expect(kept.template?.containers?.[0]?.image).toBe('gcr.io/x/y:1');

    // RUVECTOR_EMULATOR_HOST wins over the record.
    const viaEnv = JSON.parse((await cli(['emulator', 'status', '--json'], { RUVECTOR_EMULATOR_HOST: '127.0.0.1:1' })).stdout) as { running: boolean; source: string };
    expect(viaEnv).toMatchObject({ running: false, source: 'env' });

    expect((await cli(['emulator', 'reset'])).code).toBe(0);
    const gone = await client2.getService({ name: `${parent}/services/kept` }).then(() => undefined, (e: unknown) => e);
    expect(errorBody(gone).code).toBe(404);
    await client2.close();

    expect((await cli(['emulator', 'stop'])).code).toBe(0);
    expect(isProcessAlive(rec2.pid)).toBe(false);
    expect(await ourDaemons()).toEqual([]);
    const none = await cli(['emulator', 'stop']);
    expect(none.stdout).toContain('No emulator was running');
    const noReset = await cli(['emulator', 'reset']);
    expect(noReset.code).not.toBe(0);
    expect(noReset.stderr).toContain('No emulator is running');
  }, 240_000);

  it('loads a data plane module given with --data-plane and lets it set service URIs', async () => {
    const dp = join(home, 'dp.mjs');
    await writeFile(dp, `export default { attach(ctx) { ctx.events.on('resource.changed', () => {}); }, serviceUri: (name) => 'http://127.0.0.1:9/' + name.split('/').pop() };\n`);
    const started = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', '--state', join(home, 'dp-state'), '--data-plane', dp]);
    expect(started.code, started.stderr).toBe(0);
    const rec = JSON.parse(started.stdout) as { pid: number; host: string; port: number };
    try {
      const status = JSON.parse((await cli(['emulator', 'status', '--json'])).stdout) as { health: { dataPlane: boolean } };
      expect(status.health.dataPlane).toBe(true);
      const client = new (ServicesClient as unknown as new (o: unknown) => ServicesClient)(gaxOptions(rec));
      await (await client.createService({ parent: 'projects/dp/locations/us-central1', serviceId: 'web', service: { template: { containers: [{ image: 'x' }] } } }))[0].promise();
      const [s] = await client.getService({ name: 'projects/dp/locations/us-central1/services/web' });
      expect(s.uri).toBe('http://127.0.0.1:9/web');
      await client.close();
    } finally {
      await cli(['emulator', 'stop']);
    }
    expect(isProcessAlive(rec.pid)).toBe(false);
  }, 120_000);

  it('refuses bad flags with a clear message', async () => {
    const r = await cli(['emulator', 'start', '--fault-rate', '2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--fault-rate');
    expect(existsSync(join(home, 'emulator.json'))).toBe(false);

    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as AddressInfo).port;
      const busy = await cli(['emulator', 'start', '--port', String(port)]);
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(existsSync(join(home, 'emulator.json'))).toBe(false);
    } finally {
      taken.close();
    }
  }, 120_000);
});

describe('one world per start: the daemon the user started, and no other', () => {
  it('a daemon left without a record is found and reported, and deploy --local does not start a second one', async () => {
    const started = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', '--no-data-plane', '--fault-rate', '0.01']);
    expect(started.code, started.stderr).toBe(0);
    const rec = JSON.parse(started.stdout) as { pid: number; port: number };
    try {
      // What a start cut short left behind: a running daemon, no record.
      await rm(join(home, 'emulator.json'));
      const again = await cli(['emulator', 'start', '--no-data-plane']);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain(`An emulator is already running at http://127.0.0.1:${rec.port} (pid ${rec.pid}, state ${join(home, 'emulator-state')}) without a record`);
      expect(await readRecord({ RUVECTOR_HOME: home })).toMatchObject({ pid: rec.pid, port: rec.port });

      await rm(join(home, 'emulator.json'));
      // Not on a terminal and no --yes: it plans, then refuses to apply. Planning needs a target.
      const deploy = await cli(['deploy', '--local']);
      expect(deploy.stderr).toContain(`Found the local emulator at http://127.0.0.1:${rec.port} (pid ${rec.pid}`);
      expect(deploy.stderr).toContain('refusing to deploy without --yes');
      expect(deploy.stdout).toContain(`local emulator at 127.0.0.1:${rec.port}`);
      expect(await ourDaemons()).toEqual([rec.pid]);

      await rm(join(home, 'emulator.json'));
      const status = JSON.parse((await cli(['emulator', 'status', '--json'])).stdout) as { running: boolean; pid: number; restoredRecord: boolean; health: { faults: { rate: number } } };
      expect(status).toMatchObject({ running: true, pid: rec.pid, restoredRecord: true });
      // The user's daemon, with the user's settings: not a fresh one with the defaults.
      expect(status.health.faults.rate).toBe(0.01);

      await rm(join(home, 'emulator.json'));
      const stopped = JSON.parse((await cli(['emulator', 'stop', '--json'])).stdout) as { wasRunning: boolean; unrecorded: boolean };
      expect(stopped).toMatchObject({ wasRunning: true, pid: rec.pid, unrecorded: true });
      expect(isProcessAlive(rec.pid)).toBe(false);
    } finally {
      if (isProcessAlive(rec.pid)) process.kill(rec.pid, 'SIGKILL');
    }
  }, 240_000);

  it('two daemons never serve one state directory', async () => {
    const first = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', '--no-data-plane']);
    expect(first.code, first.stderr).toBe(0);
    const rec = JSON.parse(first.stdout) as { pid: number; port: number };
    const otherHome = join(home, 'other-home');
    try {
      const second = await cli(['emulator', 'start', '--no-data-plane', '--state', join(home, 'emulator-state')], { RUVECTOR_HOME: otherHome });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`state directory ${join(home, 'emulator-state')} is in use by another emulator (pid ${rec.pid} at http://127.0.0.1:${rec.port})`);
      expect(existsSync(join(otherHome, 'emulator.json'))).toBe(false);
      expect(await ourDaemons()).toEqual([rec.pid]);
    } finally {
      await cli(['emulator', 'stop']);
      if (isProcessAlive(rec.pid)) process.kill(rec.pid, 'SIGKILL');
    }
    // A lock left by a killed daemon does not block the next start.
    const killed = JSON.parse((await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', '--no-data-plane'])).stdout) as { pid: number };
    process.kill(killed.pid, 'SIGKILL');
    while (isProcessAlive(killed.pid)) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(home, 'emulator-state', 'emulator.lock'))).toBe(true);
    const after = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', '--no-data-plane']);
    expect(after.code, after.stderr).toBe(0);
    expect((await cli(['emulator', 'stop'])).code).toBe(0);
    expect(await ourDaemons()).toEqual([]);
  }, 240_000);

  it('10 start/stop cycles: each start answers as the daemon its record names, each stop leaves nothing', async () => {
    for (let i = 0; i < 10; i++) {
      const start = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', '--no-data-plane']);
      expect(start.code, `cycle ${i}: ${start.stderr}`).toBe(0);
      const r = JSON.parse(start.stdout) as { pid: number; port: number };
      expect((await readRecord({ RUVECTOR_HOME: home }))?.pid).toBe(r.pid);
      const stop = await cli(['emulator', 'stop', '--json']);
      expect(JSON.parse(stop.stdout)).toMatchObject({ wasRunning: true, pid: r.pid });
      expect(isProcessAlive(r.pid)).toBe(false);
      expect(existsSync(join(home, 'emulator.json'))).toBe(false);
      expect(existsSync(join(home, 'emulator-state', 'emulator.lock'))).toBe(false);
    }
  }, 300_000);
});
