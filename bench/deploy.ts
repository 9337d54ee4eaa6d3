/**
 * npm run bench:deploy — the production topology on the emulator with GCP's latencies scaled
 * down (default 0.01: a 10-minute Cloud SQL create takes 6 s). Prints:
 *  (a) deploy wall time / the DAG's critical path, where the critical path is the longest
 *      dependency chain of the same run's measured task durations (goal <= 1.15); the DAG
 *      includes the order of the writes GCP serialises (Cloud SQL: one operation per
 *      instance), which the topology states as order-only edges;
 *  (b) API calls for a no-op plan / resource count (goal well under 1; Terraform reads each);
 *  (c) write calls in a second deploy (must be 0).
 * Usage: tsx bench/deploy.ts [--latency-scale 0.01] [--template production]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../src/emulator/server.js';
import { criticalPath } from '../src/engine/dag.js';
import { summarize } from '../src/engine/plan.js';
import { Session } from '../src/engine/session.js';
import { expandTopology } from '../src/topology/index.js';
import { templateSpec } from '../test/integration/engine/helpers.js';

const { values } = parseArgs({ options: { 'latency-scale': { type: 'string', default: '0.01' }, template: { type: 'string', default: 'production' } } });
const scale = Number(values['latency-scale']);
const template = values.template as 'production' | 'local' | 'regional';
const spec = templateSpec(template);
const emu = await startEmulator({ port: 0, latencyScale: scale, quotas: 'unlimited' });
const home = mkdtempSync(join(tmpdir(), 'rv-bench-'));
const session = new Session(spec, { kind: 'emulator', project: spec.project, host: emu.host, port: emu.port, timeScale: scale }, { home });

try {
  const { plan, observed } = await session.plan();
  const count = plan.items.length;
  const durations = new Map<string, number>();
  const result = await session.apply(plan, observed, { concurrency: 8, onEvent: (e) => e.type === 'done' && durations.set(e.name, e.ms) });
  if (!result.ok) {
    const bad = result.results.filter((r) => r.status !== 'done').slice(0, 5);
    throw new Error(`deploy failed: ${JSON.stringify(bad, null, 1)}`);
  }
  const names = new Set(plan.items.map((i) => i.name));
  const graph = plan.items.map((i) => ({ id: i.name, deps: i.dependsOn.filter((d) => names.has(d)), weight: durations.get(i.name) ?? 0 }));
  const path = criticalPath(graph);
  // The same DAG with the API's own serialisation (Cloud SQL: one operation per instance,
  // a replica's create holds its primary): the best schedule any executor could reach.
  const serialOf = (name: string): string | undefined => {
    const item = plan.items.find((i) => i.name === name)!;
    const b = session.registry.get(item.kind)?.bucket?.({ name, region: item.region, spec: plan.resources.find((r) => r.name === name)?.spec });
    return b?.startsWith('serial:') ? b : undefined;
  };
  const bound = simulate(graph, serialOf);
  // The topology states the order of those serialised writes as order-only edges
  // (Resource.orderAfter: replicas, then database, then user on each primary), so the critical
  // path above counts them. Check that the order we chose costs nothing: the same bound with
  // those edges left out, the serial buckets alone deciding the order.
  const desired = expandTopology(spec);
  const free = graph.map((t) => ({ ...t, deps: t.deps.filter((d) => !desired.byName.get(t.id)?.orderAfter?.includes(d)) }));
  const freeBound = simulate(free, serialOf);

  const mark = emu.requestLog.mark();
  const noop = await session.plan();
  const planCalls = emu.requestLog.count({ since: mark });
  if (summarize(noop.plan).noop !== count) throw new Error(`second plan is not a no-op: ${JSON.stringify(summarize(noop.plan))}`);

  const writeMark = emu.requestLog.mark();
  const second = await session.apply(noop.plan, noop.observed);
  const writes = emu.requestLog.count({ since: writeMark, write: true });

  const line = (k: string, v: string) => console.log(`${k.padEnd(52)} ${v}`);
  console.log(`ruvector deploy benchmark: templates/${template}.yaml, ${count} resources, emulator latency scale ${scale}`);
  line('(a) deploy wall time', `${(result.ms / 1000).toFixed(2)} s`);
  line('    DAG critical path (measured task durations)', `${(path / 1000).toFixed(2)} s`);
  line('    wall / critical path', `${(result.ms / path).toFixed(3)}  (goal <= 1.15)`);
  line('    best schedule with per-instance serialisation', `${(bound / 1000).toFixed(2)} s`);
  line('    wall / that bound', `${(result.ms / bound).toFixed(3)}`);
  line('    the same, order of serialised writes left free', `${(freeBound / 1000).toFixed(2)} s`);
  line('(b) API calls for a no-op plan', `${planCalls}`);
  line('    calls per resource', `${(planCalls / count).toFixed(3)}  (goal well under 1)`);
  line('(c) write calls in a second deploy', `${writes}  (must be 0; second deploy ok: ${second.ok})`);
} finally {
  await session.close();
  await emu.stop();
  rmSync(home, { recursive: true, force: true });
}

/** Event simulation: unlimited parallelism except one-at-a-time serial buckets, longest path first. */
function simulate(tasks: { id: string; deps: string[]; weight: number }[], serialOf: (id: string) => string | undefined): number {
  const prio = new Map<string, number>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const rest = (id: string): number => {
    const cached = prio.get(id);
    if (cached !== undefined) return cached;
    const kids = tasks.filter((t) => t.deps.includes(id));
    const v = byId.get(id)!.weight + Math.max(0, ...kids.map((k) => rest(k.id)));
    prio.set(id, v);
    return v;
  };
  tasks.forEach((t) => rest(t.id));
  const finish = new Map<string, number>();
  const busyUntil = new Map<string, number>();
  let remaining = [...tasks];
  let now = 0;
  while (remaining.length) {
    const ready = remaining
      .filter((t) => t.deps.every((d) => (finish.get(d) ?? Infinity) <= now))
      .sort((a, b) => prio.get(b.id)! - prio.get(a.id)!);
    for (const t of ready) {
      const bucket = serialOf(t.id);
      if (bucket && (busyUntil.get(bucket) ?? 0) > now) continue;
      finish.set(t.id, now + t.weight);
      if (bucket) busyUntil.set(bucket, now + t.weight);
      remaining = remaining.filter((x) => x !== t);
    }
    const next = Math.min(...[...finish.values(), ...busyUntil.values()].filter((x) => x > now));
    if (!Number.isFinite(next)) break;
    now = next;
  }
  return Math.max(0, ...finish.values());
}
