/**
 * One Cloud Run instance: the vector service as a child process on its own port, gated by
 * its startup probe, taken out of rotation while its readiness probe fails, restarted when
 * its liveness probe fails or it dies.
 */
import { createServer } from 'node:net';
import { spawnChild, type Child } from '../child.js';
import { freePort } from '../ports.js';
import { probeOnce, type ProbeSpec } from './probes.js';

export interface InstanceSpec {
  id: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Env for this instance given its port. */
  env(port: number): Record<string, string>;
  startup: ProbeSpec;
  liveness?: ProbeSpec;
  readiness?: ProbeSpec;
}

export type InstanceState = 'starting' | 'serving' | 'restarting' | 'failed' | 'stopped';

export interface InstanceEvents {
  /** Startup probe passed (again, after a restart). */
  started(i: Instance): void;
  /** Routable or not (startup passed and readiness passing). */
  rotation(i: Instance, inRotation: boolean): void;
  /** Startup never passed within its budget (the revision may be unable to run). */
  startupFailed(i: Instance, why: string): void;
  log(message: string): void;
  /** A process was spawned for this instance. */
  spawned?(child: Child): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Exits before the first successful startup probe after which the revision is failed (and retried slowly). */
const CRASHES_BEFORE_FAILED = 3;

/** True when nothing listens on 127.0.0.1:port (binding it works). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export class Instance {
  state: InstanceState = 'starting';
  port = 0;
  child: Child | undefined;
  restarts = 0;
  /** Set once the startup probe has ever passed. */
  everStarted = false;
  inRotation = false;
  lastExit: string | undefined;
  /** Exits before the startup probe ever passed, in a row. */
  private crashes = 0;
  private stopping = false;
  private timers = new Set<NodeJS.Timeout>();
  private generation = 0;

  constructor(
    readonly spec: InstanceSpec,
    private readonly events: InstanceEvents,
  ) {}

  get pid(): number | undefined {
    return this.child?.alive() ? this.child.pid : undefined;
  }

  tail(): string[] {
    return this.child?.tail() ?? [];
  }

  async start(): Promise<void> {
    const gen = ++this.generation;
    this.clearTimers();
    this.setRotation(false);
    this.state = this.everStarted ? 'restarting' : 'starting';
    // Never two processes for one instance: a start racing a restart replaces, not adds.
    if (this.child?.alive()) await this.child.stop(1000);
    if (this.stopping || gen !== this.generation) return;
    // Keep the port across restarts while it is still free: logs and metrics stay readable.
    // Taken meanwhile (freePort's answer is only true until someone else binds it: another
    // listener of this emulator may have), a new one: else the instance would fail to bind
    // on every restart while its probes pass against whatever holds the port.
    if (this.port && !(await portFree(this.port))) {
      this.events.log(`instance ${this.spec.id}: port ${this.port} is taken by another listener; moving to a new port`);
      this.port = 0;
    }
    this.port ||= await freePort();
    if (this.stopping || gen !== this.generation) return;
    const child = spawnChild(this.spec.command, this.spec.args, { env: this.spec.env(this.port), cwd: this.spec.cwd, keepLines: 100 });
    this.child = child;
    this.events.spawned?.(child);
    void child.exited.then((code) => this.onExit(gen, child, code));
    void this.runStartup(gen);
  }

  private onExit(gen: number, child: Child, code: number | string): void {
    if (this.stopping || gen !== this.generation || this.child !== child) return;
    this.lastExit = String(code);
    this.setRotation(false);
    if (!this.everStarted && this.state === 'failed') return;
    this.restarts++;
    if (!this.everStarted && ++this.crashes >= CRASHES_BEFORE_FAILED) {
      // A container that exits at start (bad config, a missing file) never listens: Cloud Run
      // fails the revision rather than retrying it for the whole startup budget. It is still
      // retried, slowly: what made it exit (a database user, a secret) may yet change.
      this.state = 'failed';
      this.events.startupFailed(this, `the container exited (${code}) ${this.crashes} times without listening`);
      const slow = Math.min(2000 * this.restarts, 15_000);
      this.events.log(`instance ${this.spec.id} (pid ${child.pid}) exited (${code}) before it ever listened; retrying in ${slow} ms`);
      this.later(() => void this.start().catch((e: Error) => this.events.log(`instance ${this.spec.id} restart failed: ${e.message}`)), slow);
      return;
    }
    const wait = Math.min(250 * 2 ** Math.min(this.restarts - 1, 5), 8000);
    this.events.log(`instance ${this.spec.id} (pid ${child.pid}) exited (${code}); restarting in ${wait} ms`);
    this.state = 'restarting';
    this.later(() => void this.start().catch((e: Error) => this.events.log(`instance ${this.spec.id} restart failed: ${e.message}`)), wait);
  }

  /** Cloud Run probes the startup probe until it passes or its budget (initial delay + period x threshold) runs out. */
  private async runStartup(gen: number): Promise<void> {
    const p = this.spec.startup;
    const budgetMs = ((p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3)) * 1000;
    const deadline = Date.now() + Math.max(budgetMs, 1000);
    // A local process starts in well under a probe period: poll more often than Cloud Run would, within the same budget.
    const every = Math.min((p.periodSeconds ?? 10) * 1000, 250);
    await sleep((p.initialDelaySeconds ?? 0) * 1000);
    while (!this.stopping && gen === this.generation) {
      if (this.child && !this.child.alive()) return; // onExit handles it
      if (await probeOnce(p, this.port)) {
        if (this.stopping || gen !== this.generation) return;
        this.everStarted = true;
        this.crashes = 0;
        this.state = 'serving';
        this.events.started(this);
        this.watch(gen);
        return;
      }
      if (Date.now() > deadline) {
        const why = `startup probe ${p.httpGet ? `GET ${p.httpGet.path ?? '/'}` : 'TCP'} on port ${this.port} failed for ${Math.round(budgetMs / 1000)} s`;
        if (!this.everStarted) {
          this.state = 'failed';
          this.events.startupFailed(this, why);
          await this.child?.stop(1000);
          // Stopped, or already restarted (retryNow) while that child went down: nothing more to do.
          if (this.stopping || gen !== this.generation) return;
          // Keep trying in the background, slowly: what it waited for (a database user, a
          // secret) may yet appear, and the revision recovers when it does.
          this.restarts++;
          this.later(() => void this.start().catch((e: Error) => this.events.log(`instance ${this.spec.id} restart failed: ${e.message}`)), Math.min(2000 * this.restarts, 15_000));
          return;
        }
        // An instance that served before: Cloud Run replaces it.
        this.events.log(`instance ${this.spec.id}: ${why}; replacing it`);
        await this.child?.stop(1000);
        return;
      }
      await sleep(every);
    }
  }

  /** Liveness restarts, readiness takes out of rotation; both on their own periods. */
  private watch(gen: number): void {
    const readiness = this.spec.readiness;
    if (!readiness) this.setRotation(true);
    else this.loop(gen, readiness, readiness.failureThreshold ?? 3, (ok) => this.setRotation(ok), true);
    const liveness = this.spec.liveness;
    if (liveness) {
      this.loop(gen, liveness, liveness.failureThreshold ?? 3, (ok) => {
        if (ok) return;
        this.events.log(`instance ${this.spec.id}: liveness probe failed ${liveness.failureThreshold ?? 3} times; restarting it`);
        this.setRotation(false);
        // Killed like Cloud Run kills an unhealthy instance; onExit restarts it.
        void this.child?.stop(500);
      });
    }
  }

  private loop(gen: number, spec: ProbeSpec, threshold: number, verdict: (ok: boolean) => void, immediate = false): void {
    let fails = 0;
    const period = Math.max(200, (spec.periodSeconds ?? 10) * 1000);
    const tick = async () => {
      if (this.stopping || gen !== this.generation) return;
      const ok = await probeOnce(spec, this.port);
      if (this.stopping || gen !== this.generation) return;
      fails = ok ? 0 : fails + 1;
      if (ok) verdict(true);
      else if (fails >= threshold) {
        verdict(false);
        fails = 0;
      }
      this.later(() => void tick(), period);
    };
    this.later(() => void tick(), immediate ? 0 : period);
  }

  private setRotation(v: boolean): void {
    if (this.inRotation === v) return;
    this.inRotation = v;
    this.events.rotation(this, v);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Replace the process (it restarts with its env built afresh), as Cloud Run replaces an instance. */
  recycle(): void {
    if (this.stopping) return;
    if (this.state === 'failed') this.retryNow();
    else void this.child?.stop(2000);
  }

  /** Something it may have been waiting for changed: a failed start is retried now rather than after its backoff. */
  retryNow(): void {
    if (this.state !== 'failed' || this.stopping) return;
    this.clearTimers();
    void this.start().catch((e: Error) => this.events.log(`instance ${this.spec.id} restart failed: ${e.message}`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.generation++;
    this.clearTimers();
    this.setRotation(false);
    this.state = 'stopped';
    await this.child?.stop(3000);
  }
}
