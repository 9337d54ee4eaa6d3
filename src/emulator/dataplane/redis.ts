/**
 * Memorystore, locally: a redis-server process of its own per instance when the binary is
 * on this machine, otherwise a key prefix on the local Redis (127.0.0.1:6379; the vector
 * service namespaces its keys with REDIS_KEY_PREFIX). With neither, the part says how to get
 * Redis and the services run with their cache off.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnChild, type Child } from './child.js';
import { canConnect, freePort } from './ports.js';
import type { DataPlaneHost, DataPlanePart, RedisResolver } from './types.js';
import { lastSegment } from '../../util/resource-name.js';

interface Instance {
  name: string;
  state?: string;
  host?: string;
  memorySizeGb?: number;
  authEnabled?: boolean;
  redisConfigs?: Record<string, string>;
}

interface Served {
  name: string;
  mode: 'process' | 'shared';
  host: string;
  port: number;
  keyPrefix?: string;
  password?: string;
  child?: Child;
  dir?: string;
  restarts: number;
  stopping: boolean;
}

export interface RedisPartOptions {
  /** redis-server binary (default: found on PATH). `false` forces the shared-Redis fallback. */
  binary?: string | false;
  /** The local Redis the fallback shares (default 127.0.0.1:6379). */
  shared?: { host: string; port: number };
  /** Memory cap per local redis-server (default 64mb: a laptop, not a Memorystore node). */
  maxmemory?: string;
}

/** redisConfigs Memorystore accepts that a plain redis-server takes as-is. */
const PASS_THROUGH = new Set(['maxmemory-policy', 'timeout', 'tcp-keepalive', 'maxmemory-samples', 'lfu-log-factor', 'lfu-decay-time', 'notify-keyspace-events', 'stream-node-max-bytes', 'stream-node-max-entries']);

const COLLECTION = 'redis.instances';
const AUTH = 'redis.authStrings';

function findBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const HOW_TO_GET_REDIS = 'install Redis (apt-get install redis-server, brew install redis, or docker run -p 6379:6379 redis:7) and restart the emulator';

export function createRedisPart(opts: RedisPartOptions = {}): DataPlanePart & RedisResolver {
  const served = new Map<string, Served>();
  const starting = new Map<string, Promise<void>>();
  const shared = opts.shared ?? { host: '127.0.0.1', port: 6379 };
  let host: DataPlaneHost | undefined;
  let binary: string | undefined;
  let sharedUp = false;
  let none = false;

  const world = (): string => {
    const col = host!.ctx.store.collection<{ id: string }>('dataplane.redis');
    let w = col.peek('world');
    if (!w) {
      w = { id: randomBytes(4).toString('hex') };
      col.put('world', w);
    }
    return w.id;
  };
  const peek = (name: string) => host!.ctx.store.collection<Instance>(COLLECTION).peek(name);
  const authString = (name: string) => host!.ctx.store.collection<{ authString: string }>(AUTH).peek(name)?.authString;

  async function startProcess(s: Served, inst: Instance): Promise<void> {
    s.dir ??= await mkdtemp(join(tmpdir(), 'ruvector-redis-'));
    const args = ['--port', String(s.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', s.dir, '--daemonize', 'no', '--maxmemory', opts.maxmemory ?? '64mb', '--protected-mode', 'no'];
    for (const [k, v] of Object.entries(inst.redisConfigs ?? {})) if (PASS_THROUGH.has(k)) args.push(`--${k}`, v);
    if (s.password) args.push('--requirepass', s.password);
    const child = spawnChild(binary!, args, { env: { PATH: process.env.PATH ?? '' }, keepLines: 20 });
    s.child = child;
    (host as { trackChild?: (c: Child, tag: string) => void } | undefined)?.trackChild?.(child, 'redis-server');
    void child.exited.then((code) => {
      if (s.stopping || s.child !== child) return;
      // Memorystore heals itself: a crashed node comes back (empty, as BASIC tier would).
      s.restarts++;
      host?.log(`redis for ${s.name} exited (${code}); restarting on port ${s.port}`);
      setTimeout(() => {
        if (!s.stopping) void startProcess(s, peek(s.name) ?? inst).catch((e: Error) => host?.log(`redis restart for ${s.name} failed: ${e.message}`));
      }, Math.min(250 * 2 ** Math.min(s.restarts, 5), 5000));
    });
    const deadline = Date.now() + 5000;
    while (!(await canConnect('127.0.0.1', s.port, 200))) {
      if (!child.alive()) throw new Error(`redis-server exited at start: ${child.tail().slice(-3).join(' | ')}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${s.port} within 5 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function serve(inst: Instance): Promise<void> {
    if (served.has(inst.name) || none) return;
    const password = inst.authEnabled ? authString(inst.name) : undefined;
    if (binary) {
      for (let attempt = 0; ; attempt++) {
        const s: Served = { name: inst.name, mode: 'process', host: '127.0.0.1', port: await freePort(), password, restarts: 0, stopping: false };
        served.set(inst.name, s);
        try {
          await startProcess(s, inst);
          host?.log(`redis for ${inst.name}: redis-server pid ${s.child!.pid} on 127.0.0.1:${s.port}`);
          return;
        } catch (e) {
          // Another program may have taken the port between probe and bind: try a new one.
          s.stopping = true;
          await s.child?.stop(500);
          served.delete(inst.name);
          if (attempt >= 2) throw e;
        }
      }
    }
    // The world id keeps two emulators on one machine (and one Redis) apart.
    const prefix = `memorystore:${world()}:${inst.name.split('/')[1]}:${inst.name.split('/')[3]}:${lastSegment(inst.name)}:`;
    served.set(inst.name, { name: inst.name, mode: 'shared', host: shared.host, port: shared.port, keyPrefix: prefix, restarts: 0, stopping: false });
    host?.log(`redis for ${inst.name}: key prefix ${prefix} on the local Redis ${shared.host}:${shared.port} (no redis-server binary)`);
  }

  /** AUTH turned on or off (or the string rotated) on a running instance: the server follows, as Memorystore's does. */
  async function applyAuth(s: Served, inst: Instance): Promise<void> {
    const want = inst.authEnabled ? authString(inst.name) : undefined;
    if (want === s.password) return;
    const r = new Redis({ host: s.host, port: s.port, password: s.password, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      await r.config('SET', 'requirepass', want ?? '');
      s.password = want;
    } finally {
      r.disconnect();
    }
  }

  async function unserve(name: string, dropData: boolean): Promise<void> {
    await starting.get(name)?.catch(() => {});
    const s = served.get(name);
    if (!s) return;
    served.delete(name);
    s.stopping = true;
    if (s.child) await s.child.stop(2000);
    if (s.dir) await rm(s.dir, { recursive: true, force: true });
    if (s.mode === 'shared' && dropData && s.keyPrefix) await dropPrefix(s.keyPrefix);
  }

  async function dropPrefix(prefix: string): Promise<void> {
    const r = new Redis({ host: shared.host, port: shared.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await r.connect();
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    } catch (e) {
      host?.log(`could not remove keys ${prefix}* from the local Redis: ${(e as Error).message}`);
    } finally {
      r.disconnect();
    }
  }

  function track(name: string, p: Promise<void>): void {
    const run = p.catch((e: Error) => host?.log(`redis for ${name} failed to start: ${e.message}`)).finally(() => {
      if (starting.get(name) === run) starting.delete(name);
    });
    starting.set(name, run);
  }

  const regionOf = (name: string) => name.split('/')[3];
  const projectOf = (name: string) => name.split('/')[1];

  return {
    name: 'redis',
    async attach(h) {
      host = h;
      binary = opts.binary === false ? undefined : (opts.binary ?? findBinary());
      if (!binary) {
        sharedUp = await canConnect(shared.host, shared.port);
        none = !sharedUp;
        if (none) h.log(`no redis-server binary and no Redis at ${shared.host}:${shared.port}: Cloud Run services run with their cache off; to get one, ${HOW_TO_GET_REDIS}`);
      }
      h.ctx.events.on('resource.changed', (ev) => {
        if (ev.api !== 'redis' || ev.kind !== 'Instance') return;
        const inst = ev.resource as Instance;
        if (ev.change === 'deleted') track(ev.name, unserve(ev.name, true));
        else if (inst.state === 'READY' && !served.has(ev.name) && !starting.has(ev.name)) track(ev.name, serve(inst));
        else if (inst.state === 'READY' && served.get(ev.name)?.mode === 'process') track(ev.name, applyAuth(served.get(ev.name)!, inst));
      });
      // A restarted emulator: bring back what the state dir says exists.
      for (const inst of h.ctx.store.collection<Instance>(COLLECTION).peekAll()) if (inst.state === 'READY') track(inst.name, serve(inst));
      await Promise.all([...starting.values()]);
    },
    endpoint(name) {
      const s = served.get(name);
      return s ? { host: s.host, port: s.port, ...(s.keyPrefix ? { keyPrefix: s.keyPrefix } : {}), ...(s.password ? { password: s.password } : {}) } : undefined;
    },
    resolve(project, location, hostValue) {
      const all = host!.ctx.store.collection<Instance>(COLLECTION).peekAll(`projects/${project}/`);
      if (hostValue) {
        const byAddress = all.find((i) => i.host === hostValue);
        if (byAddress) return byAddress.name;
        const [h, p] = hostValue.split(':');
        const byServed = [...served.values()].filter((s) => s.host === h && (p === undefined || String(s.port) === p) && projectOf(s.name) === project);
        if (byServed.length === 1) return byServed[0]!.name;
      }
      const inRegion = all.filter((i) => regionOf(i.name) === location);
      return inRegion.length === 1 ? inRegion[0]!.name : undefined;
    },
    unavailable: () => none,
    async waitStarted() {
      await Promise.all([...starting.values()]);
    },
    async stop() {
      await Promise.all([...starting.values()]);
      await Promise.all([...served.keys()].map((n) => unserve(n, false)));
    },
    async reset() {
      await Promise.all([...starting.values()]);
      await Promise.all([...served.keys()].map((n) => unserve(n, true)));
    },
    status() {
      return {
        mode: binary ? 'redis-server per instance' : none ? 'unavailable' : `key prefix on ${shared.host}:${shared.port}`,
        instances: [...served.values()].map((s) => ({ name: s.name, mode: s.mode, host: s.host, port: s.port, ...(s.keyPrefix ? { keyPrefix: s.keyPrefix } : {}), pid: s.child?.pid, restarts: s.restarts })),
        ...(none ? { hint: HOW_TO_GET_REDIS } : {}),
      };
    },
  } as DataPlanePart & RedisResolver & { waitStarted(): Promise<void> };
}
