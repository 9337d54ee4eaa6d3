/**
 * Cloud Run, locally. Every service gets a router on a stable local port (its status.uri);
 * every revision that takes traffic (or is being rolled out) runs as 1..cap instances of the
 * vector service with the revision's env filled from the emulator's world. The traffic
 * split, probes and restarts behave as Cloud Run's do; a revision that cannot run (an image
 * this machine cannot run, a missing secret, a container that never passes its startup
 * probe) is marked failed on the revision and the service, as Cloud Run marks it.
 */
import { newEtag, type Revision, type Service } from '../../apis/run/model.js';
import type { CoreHost, RunSide } from '../index.js';
import type { DataPlaneHost, DataPlanePart, LocalService } from '../types.js';
import { buildEnv, RevisionError } from './env.js';
import { serviceEntry } from './entry.js';
import { isRunnableImage, unrunnableMessage } from './image.js';
import { Instance } from './instance.js';
import type { ProbeSpec } from './probes.js';
import { RouterThread, ServiceRouter, type RouteTable } from './router.js';
import { lastSegment } from '../../../util/resource-name.js';

export interface RunPartOptions {
  /** Most instances per revision locally, whatever minInstanceCount says (default 2). */
  instanceCap?: number;
  /** How long the router holds a request while no instance is ready (default 10 s). */
  holdMs?: number;
}

const SERVICES = 'run.services';
const REVISIONS = 'run.revisions';
const PORTS = 'dataplane.run.ports';

interface RevState {
  name: string;
  instances: Instance[];
  failed?: string;
  /** Cloud Run's reason for the failure on the revision's Ready condition (v2 Condition: reason or revisionReason). */
  why?: { reason: string } | { revisionReason: string };
  /** Failure written to the control plane already. */
  reported?: boolean;
  everReady: boolean;
  wiring: Record<string, string>;
}

interface SvcState {
  name: string;
  project: string;
  location: string;
  service: string;
  router: ServiceRouter;
  listening: Promise<void>;
  revisions: Map<string, RevState>;
  lastGood?: string;
  ready: boolean;
  gone: boolean;
}

const parse = (name: string) => {
  const [, project, , location, , service] = name.split('/');
  return { project: project!, location: location!, service: service! };
};
const short = lastSegment;
const memMiB = (q: string | undefined): number => {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)?$/.exec((q ?? '512Mi').trim());
  if (!m) return 512;
  const n = Number(m[1]);
  return m[2]?.startsWith('G') ? n * 1024 : n;
};

export function createRunPart(opts: RunPartOptions = {}): DataPlanePart & RunSide {
  const cap = Math.max(1, opts.instanceCap ?? 2);
  const svcs = new Map<string, SvcState>();
  let host: CoreHost | undefined;
  /** This part keeps the router thread running while attached. */
  let held = false;

  const store = () => host!.ctx.store;
  const peekService = (name: string) => store().collection<Service>(SERVICES).peek(name);
  const peekRevision = (name: string) => store().collection<Revision>(REVISIONS).peek(name);
  const persistedFailed = (rev: Revision | undefined) => (rev?.conditions ?? []).some((c) => c.type === 'Ready' && c.state === 'CONDITION_FAILED');

  const local = (s: SvcState): LocalService => ({ name: s.name, project: s.project, location: s.location, service: s.service, uri: `http://127.0.0.1:${s.router.port}`, ready: s.ready });

  const readyInstances = (r: RevState | undefined) => (r ? r.instances.filter((i) => i.inRotation) : []);

  /** The revisions traffic goes to now, with weights: LATEST means the newest revision that can serve. */
  function weights(st: SvcState, s: Service): { key: string; weight: number }[] {
    const latest = s.latestCreatedRevision;
    const latestRev = latest ? st.revisions.get(latest) : undefined;
    const fallback = st.lastGood ?? (s.latestReadyRevision && !persistedFailed(peekRevision(s.latestReadyRevision)) ? s.latestReadyRevision : undefined);
    const out = new Map<string, number>();
    for (const t of s.traffic ?? []) {
      const pct = t.percent ?? 0;
      if (pct <= 0) continue;
      let key: string | undefined;
      if (t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' && t.revision) key = `${s.name}/revisions/${t.revision}`;
      else key = latest && readyInstances(latestRev).length > 0 ? latest : (fallback ?? latest);
      if (key) out.set(key, (out.get(key) ?? 0) + pct);
    }
    return [...out].map(([key, weight]) => ({ key, weight }));
  }

  /** What the router needs: the split over revisions, their ready instances' ports, and the traffic tags. */
  function routes(st: SvcState, s: Service | undefined): RouteTable {
    if (!s) return { weights: [], ports: {} };
    const w = weights(st, s);
    const tags = tagged(st, s);
    const ports: Record<string, number[]> = {};
    for (const key of new Set([...w.map((x) => x.key), ...Object.values(tags)])) ports[key] = readyInstances(st.revisions.get(key)).map((i) => i.port);
    return { weights: w, ports, tags };
  }

  /** Traffic tag -> the revision its URL reaches (a LATEST tag: the revision LATEST traffic goes to). */
  function tagged(st: SvcState, s: Service): Record<string, string> {
    const out: Record<string, string> = {};
    const latest = s.latestCreatedRevision;
    const fallback = st.lastGood ?? s.latestReadyRevision;
    for (const t of s.traffic ?? []) {
      if (!t.tag) continue;
      const key = t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' && t.revision ? `${s.name}/revisions/${t.revision}` : latest && readyInstances(st.revisions.get(latest)).length > 0 ? latest : (fallback ?? latest);
      if (key) out[t.tag.toLowerCase()] = key;
    }
    return out;
  }

  function refreshReady(st: SvcState): void {
    const s = peekService(st.name);
    st.router.setTable(routes(st, s));
    const now = !!s && weights(st, s).some((w) => readyInstances(st.revisions.get(w.key)).length > 0);
    if (now === st.ready) return;
    st.ready = now;
    host?.log(`service ${st.name} ${now ? 'ready' : 'not ready'} at http://127.0.0.1:${st.router.port}`);
    host?.emitServiceChange(local(st), now ? 'ready' : 'unready');
  }

  /** Cloud Run's verdict on a revision that cannot serve: on the revision, and on the service while it is the latest. */
  function reportFailure(st: SvcState, r: RevState): void {
    const s = peekService(st.name);
    if (!s || r.reported || !r.failed) return;
    const now = host!.ctx.now().toISOString();
    const rev = peekRevision(r.name);
    const ready = rev?.conditions?.find((c) => c.type === 'Ready');
    if (rev && !(ready?.state === 'CONDITION_FAILED' && ready.message === r.failed)) {
      rev.reconciling = false;
      rev.conditions = [
        { type: 'Ready', state: 'CONDITION_FAILED', message: r.failed, lastTransitionTime: now, severity: 'ERROR', ...(r.why ?? { reason: 'REVISION_FAILED' }) },
        { type: 'ContainerHealthy', state: 'CONDITION_FAILED', message: r.failed, lastTransitionTime: now, severity: 'ERROR', ...(r.why ?? {}) },
      ];
      store().collection<Revision>(REVISIONS).put(rev.name, rev);
    }
    // While the rollout's operation runs, the service's conditions are its to write: it finds
    // the revision failed and fails (apis/run finishReconcile), as Cloud Run's operation does.
    if (s.reconciling) return;
    r.reported = true;
    if (s.latestCreatedRevision !== r.name) return;
    const message = `Revision '${short(r.name)}' is not ready and cannot serve traffic. ${r.failed}`;
    // The failed operation wrote this verdict already: writing it again would change the etag under a client that just read it.
    if (s.terminalCondition?.state === 'CONDITION_FAILED' && s.terminalCondition.message === message) return;
    s.terminalCondition = { type: 'Ready', state: 'CONDITION_FAILED', message, lastTransitionTime: now, severity: 'ERROR', reason: 'REVISION_FAILED' };
    s.conditions = [
      { type: 'RoutesReady', state: st.lastGood ? 'CONDITION_SUCCEEDED' : 'CONDITION_FAILED', lastTransitionTime: now, ...(st.lastGood ? {} : { message }) },
      { type: 'ConfigurationsReady', state: 'CONDITION_FAILED', message, lastTransitionTime: now },
    ];
    if (st.lastGood) s.latestReadyRevision = st.lastGood;
    else delete s.latestReadyRevision;
    s.etag = newEtag(s);
    store().collection<Service>(SERVICES).put(s.name, s);
    host!.log(`service ${s.name}: ${message}`);
  }

  /** A revision that failed its startup probe came up after all (what it waited for appeared): it is Ready now. */
  function clearFailure(st: SvcState, r: RevState): void {
    const wasReported = r.reported || persistedFailed(peekRevision(r.name));
    r.failed = undefined;
    r.why = undefined;
    r.reported = false;
    if (!wasReported) return;
    const now = host!.ctx.now().toISOString();
    const rev = peekRevision(r.name);
    if (rev) {
      rev.conditions = [
        { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
        { type: 'ContainerHealthy', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
        { type: 'ResourcesAvailable', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
      ];
      store().collection<Revision>(REVISIONS).put(rev.name, rev);
    }
    const s = peekService(st.name);
    if (!s || s.latestCreatedRevision !== r.name) return;
    s.terminalCondition = { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now };
    s.conditions = [
      { type: 'RoutesReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
      { type: 'ConfigurationsReady', state: 'CONDITION_SUCCEEDED', lastTransitionTime: now },
    ];
    s.latestReadyRevision = r.name;
    s.etag = newEtag(s);
    store().collection<Service>(SERVICES).put(s.name, s);
    host!.log(`service ${s.name}: revision ${short(r.name)} recovered and is ready`);
  }

  function startRevision(st: SvcState, s: Service, name: string): RevState {
    const r: RevState = { name, instances: [], everReady: false, wiring: {} };
    st.revisions.set(name, r);
    const rev = peekRevision(name);
    const c = rev?.containers?.[0];
    if (!rev || !c) {
      r.failed = `Revision '${short(name)}' has no container.`;
      r.why = { reason: 'CONTAINER_MISSING' };
      return r;
    }
    // A failure recorded before a restart is not trusted: the world may have changed since, so try again.
    if (persistedFailed(rev)) r.reported = true;
    if (!isRunnableImage(c.image)) {
      r.failed = unrunnableMessage(c.image);
      r.why = { reason: 'CONTAINER_MISSING' };
      return r;
    }
    const svc = { name: st.name, project: st.project, location: st.location, service: st.service };
    const env = (port: number): Record<string, string> => {
      const built = buildEnv({ ctx: host!.ctx, service: svc, revision: short(name), env: c.env as never, port, redis: host!.redis, sql: host!.sql, contributions: host!.envContributions() });
      r.wiring = built.wiring;
      return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...built.env };
    };
    try {
      env(0);
    } catch (e) {
      if (!(e instanceof RevisionError)) throw e;
      r.failed = e.message;
      // What it names (a secret, an instance still being created) may yet appear: look again soon.
      setTimeout(() => {
        if (st.gone || st.revisions.get(name) !== r) return;
        st.revisions.delete(name);
        reconcile(st.name);
      }, 3000).unref();
      return r;
    }
    const containerPort = c.ports?.[0]?.containerPort ?? 8080;
    const entry = serviceEntry(memMiB(c.resources?.limits?.memory));
    const startup = (c.startupProbe as ProbeSpec | undefined) ?? { tcpSocket: { port: containerPort }, periodSeconds: 240, failureThreshold: 1, timeoutSeconds: 240 };
    const readiness = (c['readinessProbe'] as ProbeSpec | undefined) ?? { httpGet: { path: '/health/ready' }, periodSeconds: 3, failureThreshold: 3, timeoutSeconds: 3 };
    const liveness = c['livenessProbe'] as ProbeSpec | undefined;
    const scaling = rev.scaling ?? s.template?.scaling ?? {};
    // Service-level scaling (v2 `scaling.minInstanceCount`) is a floor across revisions.
    const serviceMin = ((s as { scaling?: { minInstanceCount?: number } }).scaling?.minInstanceCount ?? 0);
    const count = Math.max(1, Math.min(Math.max(scaling.minInstanceCount ?? 0, serviceMin), scaling.maxInstanceCount ?? cap, cap));
    for (let n = 0; n < count; n++) {
      const inst = new Instance(
        { id: `${short(name)}#${n}`, command: entry.command, args: entry.args, cwd: entry.cwd, env, startup, readiness, liveness },
        {
          started: (i) => {
            r.everReady = true;
            host?.log(`instance ${i.spec.id} of ${st.name} started (pid ${i.pid}, port ${i.port})`);
            if (r.failed || r.reported) clearFailure(st, r);
          },
          rotation: (i, inRotation) => {
            if (inRotation && st.revisions.get(name) === r) {
              st.lastGood = pickNewer(s, st.lastGood, name);
              reconcile(st.name);
            }
            refreshReady(st);
          },
          startupFailed: (i, why) => {
            if (r.everReady) return;
            if (r.failed) return;
            const tail = i.tail().slice(-3).join(' | ');
            r.failed = `The user-provided container failed to start and listen on the port defined provided by the PORT=${i.port} environment variable: ${why}.${tail ? ` Last output: ${tail}` : ''}`;
            r.why = { revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR' };
            reportFailure(st, r);
            reconcile(st.name);
          },
          log: (m) => host?.log(`${st.name}: ${m}`),
          spawned: (child) => host?.trackChild(child, entry.args[entry.args.length - 1]!),
        },
      );
      r.instances.push(inst);
      void inst.start().catch((e: Error) => host?.log(`instance ${inst.spec.id} failed to spawn: ${e.message}`));
    }
    host!.log(`revision ${short(name)} of ${st.name}: ${count} instance(s) of ${entry.describe}`);
    return r;
  }

  /** Of two revisions, the one created later (revision names carry the generation, but creation time is what counts). */
  function pickNewer(s: Service, a: string | undefined, b: string): string {
    if (!a) return b;
    const ta = peekRevision(a)?.createTime ?? '';
    const tb = peekRevision(b)?.createTime ?? '';
    return tb >= ta ? b : a;
  }

  async function stopRevision(st: SvcState, r: RevState): Promise<void> {
    st.revisions.delete(r.name);
    await Promise.all(r.instances.map((i) => i.stop()));
  }

  /** Bring the running revisions in line with the service: what traffic needs, plus the one rolling out. */
  function reconcile(name: string): void {
    const st = svcs.get(name);
    const s = peekService(name);
    if (!st || st.gone) return;
    if (!s || s.deleteTime) {
      void teardown(name);
      return;
    }
    const wanted = new Set<string>();
    if (s.latestCreatedRevision) wanted.add(s.latestCreatedRevision);
    for (const w of weights(st, s)) wanted.add(w.key);
    // A tagged revision serves its tag URL even with no share of the traffic.
    for (const key of Object.values(tagged(st, s))) wanted.add(key);
    for (const rev of wanted) if (!st.revisions.has(rev)) startRevision(st, s, rev);
    for (const r of st.revisions.values()) if (r.failed) reportFailure(st, r);
    // A revision no longer wanted stops once something else serves (no gap during a rollout).
    const serving = weights(st, s).some((w) => readyInstances(st.revisions.get(w.key)).length > 0);
    for (const r of [...st.revisions.values()]) {
      if (!wanted.has(r.name) && (serving || r.instances.length === 0)) void stopRevision(st, r);
    }
    refreshReady(st);
  }

  function ensure(name: string): SvcState {
    let st = svcs.get(name);
    if (st) return st;
    const { project, location, service } = parse(name);
    const router = new ServiceRouter(opts.holdMs);
    const ports = store().collection<{ port: number }>(PORTS);
    st = { name, project, location, service, router, revisions: new Map(), ready: false, gone: false, listening: Promise.resolve() };
    const created = st;
    created.listening = router.listen(ports.peek(name)?.port ?? 0).then((port) => {
      ports.put(name, { port });
      host?.log(`service ${name} routed at http://127.0.0.1:${port}`);
      host?.emitServiceChange(local(created), 'started');
    });
    svcs.set(name, st);
    return st;
  }

  async function teardown(name: string): Promise<void> {
    const st = svcs.get(name);
    if (!st) return;
    st.gone = true;
    svcs.delete(name);
    await st.listening.catch(() => {});
    await Promise.all([...st.revisions.values()].map((r) => stopRevision(st, r)));
    await st.router.close();
    st.ready = false;
    host?.emitServiceChange(local(st), 'stopped');
  }

  async function stopAll(): Promise<void> {
    await Promise.all([...svcs.keys()].map((n) => teardown(n)));
  }

  return {
    name: 'run',
    async attach(h: DataPlaneHost) {
      host = h as CoreHost;
      RouterThread.hold();
      held = true;
      h.ctx.events.on('resource.changed', (ev) => {
        // A database user, a Redis, a secret version: what a failing revision may be waiting for.
        if (ev.api === 'sqladmin' || ev.api === 'redis' || ev.api === 'secretmanager') {
          for (const st of svcs.values()) for (const r of st.revisions.values()) for (const i of r.instances) i.retryNow();
          return;
        }
        if (ev.api !== 'run' || ev.kind !== 'Service') return;
        if (ev.change === 'deleted') {
          void teardown(ev.name);
          store().collection(PORTS).delete(ev.name);
          return;
        }
        ensure(ev.name);
        reconcile(ev.name);
      });
      // A promoted replica has its own database now: instances wired to it reconnect to the copy.
      host.sql?.onMoved?.((key) => {
        for (const st of svcs.values()) {
          for (const r of st.revisions.values()) {
            if (!r.wiring.DB_HOST?.startsWith(`${key} ->`)) continue;
            host?.log(`${st.name}: ${key} was promoted; replacing instances of ${short(r.name)}`);
            for (const i of r.instances) i.recycle();
          }
        }
      });
      // Give Redis and SQL a moment to serve what the state dir holds before services need them.
      await (host.redis as { waitStarted?: () => Promise<void> } | undefined)?.waitStarted?.();
      await (host.sql as { settled?: () => Promise<void> } | undefined)?.settled?.();
      for (const s of store().collection<Service>(SERVICES).peekAll()) {
        if (!/\/services\/[^/]+$/.test(s.name) || s.deleteTime) continue;
        ensure(s.name);
        reconcile(s.name);
      }
      await Promise.all([...svcs.values()].map((s) => s.listening));
    },
    serviceUri(name) {
      const st = svcs.get(name);
      return st && st.router.port ? `http://127.0.0.1:${st.router.port}` : undefined;
    },
    services: () => [...svcs.values()].filter((s) => s.router.port).map(local),
    async stop() {
      await stopAll();
      if (held) RouterThread.unhold();
      held = false;
    },
    reset: stopAll,
    status() {
      return {
        instanceCap: cap,
        services: [...svcs.values()].map((st) => ({
          ...local(st),
          requests: st.router.requests,
          revisions: [...st.revisions.values()].map((r) => ({
            name: short(r.name),
            ...(r.failed ? { failed: r.failed } : {}),
            wiring: r.wiring,
            instances: r.instances.map((i) => ({ id: i.spec.id, pid: i.pid, port: i.port, state: i.state, inRotation: i.inRotation, restarts: i.restarts, ...(i.lastExit ? { lastExit: i.lastExit } : {}) })),
          })),
        })),
      };
    },
  };
}
