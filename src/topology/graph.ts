import type { Resource, ResourceGraph } from './types.js';

export function makeGraph(resources: Resource[]): ResourceGraph {
  const byName = new Map<string, Resource>();
  for (const r of resources) {
    if (byName.has(r.name)) throw new Error(`duplicate resource name in graph: ${r.name}`);
    byName.set(r.name, r);
  }
  return { resources, byName };
}

/** Problems with a graph's edges: dangling references and cycles (empty = sound). */
export function graphProblems(g: ResourceGraph): string[] {
  const out: string[] = [];
  for (const r of g.resources) {
    for (const d of r.dependsOn) if (!g.byName.has(d)) out.push(`${r.name} depends on missing ${d}`);
  }
  const cycle = findCycle(g);
  if (cycle) out.push(`cycle: ${cycle.join(' -> ')}`);
  return out;
}

/** A dependency cycle, if any (iterative DFS, so deep graphs cannot overflow the stack). */
export function findCycle(g: ResourceGraph): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
  for (const root of g.resources) {
    if (state.has(root.name)) continue;
    const stack: { name: string; i: number }[] = [{ name: root.name, i: 0 }];
    state.set(root.name, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = g.byName.get(top.name)?.dependsOn ?? [];
      if (top.i >= deps.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const next = deps[top.i++]!;
      const s = state.get(next);
      if (s === 1) return [...stack.slice(stack.findIndex((f) => f.name === next)).map((f) => f.name), next];
      if (s === undefined && g.byName.has(next)) {
        state.set(next, 1);
        stack.push({ name: next, i: 0 });
      }
    }
  }
  return undefined;
}

/**
 * Resources in dependency order, grouped in waves: everything in wave n depends only on
 * waves < n (what can be created at once). Throws on a cycle.
 */
export function topoWaves(g: ResourceGraph): Resource[][] {
  const level = new Map<string, number>();
  const cycle = findCycle(g);
  if (cycle) throw new Error(`dependency cycle: ${cycle.join(' -> ')}`);
  const depth = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    // Iterative post-order to avoid recursion depth issues on long chains.
    const stack = [name];
    while (stack.length > 0) {
      const n = stack[stack.length - 1]!;
      const deps = (g.byName.get(n)?.dependsOn ?? []).filter((d) => g.byName.has(d));
      const pending = deps.filter((d) => !level.has(d));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      level.set(n, deps.length === 0 ? 0 : Math.max(...deps.map((d) => level.get(d)!)) + 1);
    }
    return level.get(name)!;
  };
  const waves: Resource[][] = [];
  for (const r of g.resources) (waves[depth(r.name)] ??= []).push(r);
  return waves;
}
