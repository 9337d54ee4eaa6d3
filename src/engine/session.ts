/**
 * The engine as commands and tests use it: a spec and a target in, a plan out, a plan applied.
 * Holds the clients for one command run.
 */
import type { Spec } from '../spec/index.js';
import { expandTopology } from '../topology/index.js';
import { Clients, timingFor, type Target, type Timing } from '../gcp/clients.js';
import { registry as defaultRegistry } from '../providers/index.js';
import type { ProviderContext } from '../providers/types.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, TOPOLOGY_LABEL } from '../topology/kinds.js';
import { applyPlan, type ApplyEvent, type ApplyResult } from './apply.js';
import { Journal } from './journal.js';
import { computePlan, deferOutOfSelection, fingerprint, observeAll, type ReadRetryHook, type Registry } from './plan.js';
import { reroutedGlobals, specWithout } from './retire.js';
import type { Observed, Plan, Resource } from './types.js';

export interface SessionOptions {
  /** Only these regions (plus the global resources they need). */
  regions?: string[];
  /** Overrides for waits and retries (tests). */
  timing?: Partial<Timing>;
  registry?: Registry;
  /** $RUVECTOR_HOME override for the journal. */
  home?: string;
  /** Told of each retried read while observing and planning (a throttled API can take minutes). */
  onReadRetry?: ReadRetryHook;
}

const regionOf = (r: Resource): string | undefined => r.region ?? r.homeRegion;

export class PlanStaleError extends Error {
  constructor() {
    super('live state changed since the plan was saved: run `ruvector plan` again');
    this.name = 'PlanStaleError';
  }
}

export class Session {
  readonly clients: Clients;
  readonly ctx: ProviderContext;
  readonly registry: Registry;
  readonly timing: Timing;
  /** Told of each retried read (SessionOptions.onReadRetry). */
  readonly onReadRetry?: ReadRetryHook;
  readonly topology: string;
  /** The full desired graph (all regions). */
  readonly all: Resource[];
  /** The desired graph for the selected regions. */
  readonly desired: Resource[];
  /** Regions to observe. */
  readonly regions: string[];
  readonly selected?: string[];
  readonly journal: Journal;

  constructor(
    readonly spec: Spec,
    readonly target: Target,
    o: SessionOptions = {},
  ) {
    this.onReadRetry = o.onReadRetry;
    this.topology = spec.metadata.name;
    const full = expandTopology(spec);
    this.all = full.resources;
    this.selected = o.regions;
    this.desired = o.regions ? expandTopology(spec, { regions: o.regions }).resources : full.resources;
    const specRegions = [...new Set(full.resources.map((r) => regionOf(r)).filter((r): r is string => !!r))];
    if (o.regions) {
      const unknown = o.regions.filter((r) => !specRegions.includes(r));
      if (unknown.length) throw new Error(`--regions: ${unknown.join(', ')} not in the spec (it has ${specRegions.join(', ')})`);
    }
    this.regions = o.regions ?? specRegions;
    this.clients = new Clients(target);
    const base = timingFor(target);
    this.timing = { ...base, ...o.timing };
    this.registry = o.registry ?? defaultRegistry();
    this.ctx = {
      project: target.project,
      topology: this.topology,
      clients: this.clients,
      ownerLabels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [TOPOLOGY_LABEL]: this.topology },
      poll: this.timing.poll,
    };
    this.journal = Journal.forTopology(this.topology, this.clients.capabilities.journalKey, o.home);
  }

  async observe(): Promise<Map<string, Observed>> {
    return observeAll(this.ctx, this.registry, this.all, { regions: this.regions, backoff: this.timing.backoff, onRetry: this.onReadRetry });
  }

  /** What every plan of this session shares: whose resources, where, and how to retry. */
  private planBasics() {
    return {
      topology: this.topology,
      project: this.target.project,
      target: this.clients.capabilities.name,
      allDesiredNames: new Set(this.all.map((r) => r.name)),
      backoff: this.timing.backoff,
      onRetry: this.onReadRetry,
    };
  }

  async plan(o: { destroy?: boolean; allowDestroyProtected?: boolean; destroyReplicas?: boolean } = {}): Promise<{ plan: Plan; observed: Map<string, Observed> }> {
    const observed = await this.observe();
    let keep: Set<string> | undefined;
    if (o.destroy && this.selected) {
      const rest = this.regions.length ? [...new Set(this.all.map((r) => regionOf(r)).filter((r): r is string => !!r && !this.selected!.includes(r)))] : [];
      keep = new Set(rest.length ? expandTopology(this.spec, { regions: rest }).resources.map((r) => r.name) : []);
    }
    const plan = await computePlan(this.desired, observed, this.registry, this.ctx, {
      ...this.planBasics(),
      regions: this.selected,
      allowDestroyProtected: o.allowDestroyProtected,
      destroyReplicas: o.destroyReplicas,
      destroy: o.destroy,
      keep,
    });
    if (this.selected && !o.destroy) deferOutOfSelection(plan, this.desired, this.all, observed);
    if (o.destroy && this.selected) await this.rerouteBeforeRetiring(plan, observed);
    return { plan, observed };
  }

  /**
   * destroy --regions: the URL map still routes to the retiring regions' backends, and GCP
   * refuses to delete a backend in use. Plan the URL map as the remaining topology has it;
   * apply runs every update before any delete.
   */
  private async rerouteBeforeRetiring(plan: Plan, observed: Map<string, Observed>): Promise<void> {
    const rest = specWithout(this.spec, this.all, this.selected!);
    if (!rest) return;
    const globals = reroutedGlobals(rest).filter((r) => observed.get(r.name)?.owner === this.topology);
    if (globals.length === 0) return;
    const upd = await computePlan(globals, observed, this.registry, this.ctx, this.planBasics());
    const updates = upd.items.filter((i) => i.action === 'update' && globals.some((g) => g.name === i.name));
    if (updates.length === 0) return;
    const names = new Set(updates.map((i) => i.name));
    plan.items = [...plan.items.filter((i) => !names.has(i.name)), ...updates.map((i) => ({ ...i, dependsOn: [] }))];
    plan.resources = [...plan.resources.filter((r) => !names.has(r.name)), ...globals.filter((g) => names.has(g.name))];
    plan.fingerprint = fingerprint(plan.items);
  }

  /** Re-plan and refuse when the saved plan no longer matches live state. */
  async checkSaved(saved: Plan, o: { destroy?: boolean; allowDestroyProtected?: boolean } = {}): Promise<{ plan: Plan; observed: Map<string, Observed> }> {
    if (saved.topology !== this.topology || saved.project !== this.target.project) {
      throw new Error(`the saved plan is for ${saved.topology} in ${saved.project}, not ${this.topology} in ${this.target.project}`);
    }
    const fresh = await this.plan(o);
    if (fresh.plan.fingerprint !== saved.fingerprint) throw new PlanStaleError();
    return fresh;
  }

  async apply(plan: Plan, observed: Map<string, Observed>, o: { concurrency?: number; onEvent?: (e: ApplyEvent) => void } = {}): Promise<ApplyResult> {
    return applyPlan(plan, this.registry, this.ctx, {
      journal: this.journal,
      concurrency: o.concurrency,
      backoff: this.timing.backoff,
      consistencyWaitMs: this.timing.consistencyWaitMs,
      observed,
      onEvent: o.onEvent,
    });
  }

  async close(): Promise<void> {
    await this.clients.close();
  }
}
