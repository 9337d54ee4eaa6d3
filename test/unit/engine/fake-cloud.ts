/**
 * A tiny in-memory cloud for executor tests: one API, objects keyed by name, seeded faults,
 * eventual consistency and "the write landed but the response was lost". It is the thing the
 * engine is tested against here, not a stand-in for a GCP client library.
 */
import { GoogleError } from 'google-gax';
import type { Observed, Resource } from '../../../src/engine/types.js';
import { diffFields } from '../../../src/providers/diff.js';
import { readOnce } from '../../../src/providers/common.js';
import type { Provider, ProviderContext } from '../../../src/providers/types.js';
import type { Registry } from '../../../src/engine/plan.js';
import { createPrng } from '../../../src/emulator/core/prng.js';

/** The emulator's seeded PRNG, so executor faults are reproducible the same way. */
export const prng = createPrng;

function gerr(code: number, status: string, message: string): GoogleError {
  return GoogleError.parseHttpError({ error: { code, status, message } });
}

interface Obj {
  name: string;
  kind: string;
  region?: string;
  spec: Record<string, unknown>;
  labels: Record<string, string>;
  visibleAt: number;
}

export class FakeCloud {
  objects = new Map<string, Obj>();
  inserts: string[] = [];
  deletes: string[] = [];
  updates: string[] = [];
  calls = 0;
  writes = 0;
  requestIds = new Map<string, string>();
  private rand: () => number;

  constructor(
    readonly o: { faultRate?: number; lostResponseRate?: number; consistencyMs?: number; seed?: number; failCreate?: Set<string> } = {},
  ) {
    this.rand = prng(o.seed ?? 1);
  }

  private maybeFault(): void {
    this.calls++;
    if (this.rand() < (this.o.faultRate ?? 0)) throw this.rand() < 0.5 ? gerr(429, 'RESOURCE_EXHAUSTED', 'rate') : gerr(503, 'UNAVAILABLE', 'busy');
  }

  list(): Obj[] {
    this.maybeFault();
    return [...this.objects.values()].filter((x) => x.visibleAt <= Date.now());
  }

  get(name: string): Obj | undefined {
    this.maybeFault();
    const x = this.objects.get(name);
    return x && x.visibleAt <= Date.now() ? x : undefined;
  }

  async insert(r: Resource, labels: Record<string, string>, requestId: string): Promise<void> {
    this.maybeFault();
    this.writes++;
    if (this.o.failCreate?.has(r.name)) throw gerr(400, 'INVALID_ARGUMENT', `bad spec for ${r.name}`);
    if (this.requestIds.get(r.name) === requestId && this.objects.has(r.name)) return; // idempotent re-send
    if (this.objects.has(r.name)) throw gerr(409, 'ALREADY_EXISTS', `${r.name} already exists`);
    for (const d of r.dependsOn) if (!this.objects.has(d)) throw gerr(400, 'FAILED_PRECONDITION', `dependency ${d} missing`);
    this.requestIds.set(r.name, requestId);
    this.inserts.push(r.name);
    this.objects.set(r.name, { name: r.name, kind: r.kind, region: r.region, spec: structuredClone(r.spec), labels, visibleAt: Date.now() + this.rand() * (this.o.consistencyMs ?? 0) });
    await new Promise((res) => setTimeout(res, 1));
    if (this.rand() < (this.o.lostResponseRate ?? 0)) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  }

  update(name: string, spec: Record<string, unknown>): void {
    this.maybeFault();
    this.writes++;
    const x = this.objects.get(name);
    if (!x) throw gerr(404, 'NOT_FOUND', name);
    x.spec = structuredClone(spec);
    this.updates.push(name);
  }

  remove(name: string, dependents: (n: string) => string[]): void {
    this.maybeFault();
    this.writes++;
    if (!this.objects.has(name)) throw gerr(404, 'NOT_FOUND', name);
    const users = dependents(name).filter((d) => this.objects.has(d));
    if (users.length) throw gerr(400, 'FAILED_PRECONDITION', `${name} is still in use by ${users[0]}`);
    this.objects.delete(name);
    this.deletes.push(name);
  }
}

export function fakeProvider(cloud: FakeCloud, kind: string, graph: () => Resource[]): Provider {
  const toObserved = (x: { name: string; kind: string; region?: string; spec: Record<string, unknown>; labels: Record<string, string> }): Observed => ({
    kind: x.kind,
    name: x.name,
    region: x.region,
    raw: x.spec,
    labels: x.labels,
    owner: x.labels['managed-by'] === 'ruvector' ? x.labels['ruvector-topology'] : undefined,
    protect: x.spec.deletionProtection === true,
  });
  return {
    kind,
    api: 'fake',
    scope: 'regional',
    // One list request, retried on its own as a provider's pages are.
    async list(ctx, regions) {
      return (await readOnce(ctx, async () => cloud.list())).filter((x) => x.kind === kind && (x.region === undefined || regions.includes(x.region))).map(toObserved);
    },
    async get(_ctx, r) {
      const x = cloud.get(r.name);
      return x ? toObserved(x) : undefined;
    },
    diff(r, o) {
      return diffFields(r.spec, o.raw);
    },
    immutable: ['zone'],
    async create(ctx, r, requestId) {
      await cloud.insert(r, ctx.ownerLabels, requestId);
    },
    async update(_ctx, r) {
      cloud.update(r.name, r.spec);
    },
    async delete(_ctx, o) {
      // Dependents come from the graph, or from a `uses` field for objects no longer in it.
      cloud.remove(o.name, (n) => [
        ...graph().filter((r) => r.dependsOn.includes(n)).map((r) => r.name),
        ...[...cloud.objects.values()].filter((x) => (x.spec.uses as string[] | undefined)?.includes(n)).map((x) => x.name),
      ]);
    },
  };
}

export function registryOf(providers: Provider[]): Registry {
  const m = new Map(providers.map((p) => [p.kind, p]));
  return { get: (k) => m.get(k), all: () => providers };
}

export function ctxFor(topology = 't1'): ProviderContext {
  return {
    project: 'p',
    topology,
    clients: undefined as never,
    ownerLabels: { 'managed-by': 'ruvector', 'ruvector-topology': topology },
    poll: { initialMs: 1, maxMs: 5, timeoutMs: 2000 },
  };
}
