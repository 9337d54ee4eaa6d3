/**
 * The emulator's local data plane: real processes behind the emulated resources, so a local
 * deploy runs the whole system on one machine.
 * It composes parts — Memorystore (redis.ts), Cloud SQL (sql.ts), Cloud Run (run/) and any
 * extra parts (parts.ts: Pub/Sub push, the front door) — into the one `DataPlane` the core
 * attaches. The daemon uses `createDataPlane()` unless started with --no-data-plane;
 * `startEmulator({ dataPlane: createLocalDataPlane() })` attaches it in process.
 *
 * Extra parts get a `DataPlaneHost` (types.ts): the emulator context, each Cloud Run
 * service's local URI (by full name or project/location/service), service ready/unready
 * notifications, env every service instance also gets, and extra /__emulator/ routes.
 * Parts register env and routes in prepare(), which runs for every part before any attach().
 */
import type { DataPlane, EmuResponse, EmulatorContext } from '../core/types.js';
import type { Child } from './child.js';
import { ChildLedger } from './orphans.js';
import { extraParts } from './parts.js';
import { createRedisPart } from './redis.js';
import { createRunPart } from './run/index.js';
import { createSqlPart } from './sql.js';
import type { ControlRoute, DataPlaneHost, DataPlanePart, EnvContribution, LocalService, RedisResolver, SqlResolver } from './types.js';

export type { ControlRoute, DataPlaneHost, DataPlanePart, EnvContribution, LocalService } from './types.js';

/** What the core parts expose to the composition (beyond DataPlanePart). */
export interface RunSide {
  serviceUri(name: string): string | undefined;
  services(): LocalService[];
}

export interface CoreParts {
  redis?: DataPlanePart & RedisResolver;
  sql?: DataPlanePart & SqlResolver;
  run?: DataPlanePart & RunSide;
}

/** Handed to the core parts: the host plus what only they may do. */
export interface CoreHost extends DataPlaneHost {
  redis?: RedisResolver;
  sql?: SqlResolver;
  envContributions(): readonly EnvContribution[];
  /** Note a started child so a later emulator start can reap it if this one dies without stopping it. */
  trackChild(child: Child, tag: string): void;
  emitServiceChange(s: LocalService, change: 'ready' | 'unready' | 'started' | 'stopped'): void;
}

export interface LocalDataPlaneOptions {
  /** Parts attached after the core ones (default: none; createDataPlane() passes parts.ts's list). */
  parts?: DataPlanePart[];
  /** Core parts; createDataPlane() builds all three. Tests pass only what they exercise. */
  core?: CoreParts;
  /** Where part log lines go (default: stdout, which the daemon writes to its log file). */
  log?: (message: string) => void;
}

export interface LocalDataPlane extends DataPlane {
  /** The host the parts were attached to (undefined before attach). */
  readonly host: DataPlaneHost | undefined;
  services(): LocalService[];
  /** Resolves when every named service (default: all served) is ready, or rejects after timeoutMs. */
  waitReady(opts?: { names?: string[]; timeoutMs?: number }): Promise<LocalService[]>;
  status(): Record<string, unknown>;
  /** Stops what every part started and stays attached (optional on DataPlane, always here). */
  reset(): Promise<void>;
  /** Stops every part, services before what they use; rejects with the first failure (optional on DataPlane, always here). */
  stop(): Promise<void>;
}

export function createLocalDataPlane(opts: LocalDataPlaneOptions = {}): LocalDataPlane {
  const core = opts.core ?? {};
  const extras = opts.parts ?? [];
  const all: DataPlanePart[] = [core.redis, core.sql, core.run, ...extras].filter((p): p is DataPlanePart => p !== undefined);
  const log = opts.log ?? ((m: string) => console.log(`${new Date().toISOString()} data plane: ${m}`));
  const listeners: ((s: LocalService, change: 'ready' | 'unready' | 'started' | 'stopped') => void)[] = [];
  const env: EnvContribution[] = [];
  const routes: ControlRoute[] = [];
  let host: CoreHost | undefined;
  /** Every part's prepare() has run: env contributions from now on come too late for restored services. */
  let prepared = false;

  const services = (): LocalService[] => core.run?.services() ?? [];

  const plane: LocalDataPlane = {
    get host() {
      return host;
    },
    async attach(ctx: EmulatorContext) {
      prepared = false;
      const ledger = new ChildLedger(ctx.dataDir);
      const reaped = ledger.reapLeftovers();
      if (reaped > 0) log(`reaped ${reaped} process(es) a previous emulator left running`);
      host = {
        trackChild(child, tag) {
          ledger.add(child.pid, tag);
          void child.exited.then(() => ledger.remove(child.pid));
        },
        ctx,
        redis: core.redis,
        sql: core.sql,
        serviceUri: (name) => core.run?.serviceUri(name),
        serviceUriFor: (project, location, service) => core.run?.serviceUri(`projects/${project}/locations/${location}/services/${service}`),
        services,
        onServiceChange: (l) => void listeners.push(l),
        addServiceEnv: (c) => {
          if (prepared) log('a service env contribution was added after prepare: instances started before it lack it until they restart');
          env.push(c);
        },
        addControlRoute: (r) => void routes.push(r),
        log,
        envContributions: () => env,
        emitServiceChange(s, change) {
          for (const l of listeners) {
            try {
              l(s, change);
            } catch (e) {
              log(`service listener failed: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        },
      };
      // Two phases: every part's env and routes are known before the run part starts the
      // services the state dir holds (it does so in its attach), so no instance starts without
      // them (a service restored without the push part's PUBSUB_JWKS_URL rejects every push).
      for (const p of all) await p.prepare?.(host);
      prepared = true;
      for (const p of all) await p.attach(host);
    },
    serviceUri: (name) => core.run?.serviceUri(name),
    redisEndpoint(name) {
      const ep = core.redis?.endpoint(name);
      return ep ? { host: ep.host, port: ep.port } : undefined;
    },
    sqlEndpoint: (key) => core.sql?.endpoint(key),
    async control(method: string, path: string, query: URLSearchParams, body: unknown): Promise<EmuResponse | undefined> {
      if (method === 'GET' && path === '/dataplane') return { body: plane.status() };
      const r = routes.find((x) => x.method === method && x.path === path);
      return r ? await r.handler({ query, body }) : undefined;
    },
    async reset() {
      // Reverse order: services stop before the databases and caches they use.
      for (const p of [...all].reverse()) await (p.reset ? p.reset() : p.stop());
    },
    async stop() {
      const errors: unknown[] = [];
      for (const p of [...all].reverse()) {
        try {
          await p.stop();
        } catch (e) {
          errors.push(e);
          log(`stopping ${p.name} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (errors.length) throw errors[0];
    },
    services,
    async waitReady({ names, timeoutMs = 60_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = services();
        const wanted = names ? current.filter((s) => names.includes(s.name)) : current;
        if ((names ? wanted.length === names.length : true) && wanted.every((s) => s.ready)) return wanted;
        if (Date.now() > deadline) {
          const missing = names ? names.filter((n) => !current.some((s) => s.name === n && s.ready)) : wanted.filter((s) => !s.ready).map((s) => s.name);
          throw new Error(`services not ready after ${timeoutMs} ms: ${missing.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    status() {
      return { parts: Object.fromEntries(all.map((p) => [p.name, p.status?.() ?? {}])), services: services() };
    },
  };
  return plane;
}

/** The daemon's data plane: Memorystore, Cloud SQL, Cloud Run, then the parts in parts.ts. */
export async function createDataPlane(opts: { log?: (m: string) => void } = {}): Promise<LocalDataPlane> {
  const parts = await Promise.all(extraParts.map((f) => f()));
  return createLocalDataPlane({ core: await createCoreParts(), parts, log: opts.log });
}

/** All three core parts wired to each other. */
export async function createCoreParts(): Promise<CoreParts> {
  return { redis: createRedisPart(), sql: createSqlPart(), run: createRunPart() };
}

export default createDataPlane;
