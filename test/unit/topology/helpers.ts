import { parseSpec, type Spec } from '../../../src/spec/index.js';
import { expandTopology, type Resource, type ResourceGraph } from '../../../src/topology/index.js';
import { MINIMAL, template } from '../spec/helpers.js';

export function specOf(text: string): Spec {
  return parseSpec(text, 'spec.yaml').spec;
}

export function production(): { spec: Spec; graph: ResourceGraph } {
  const spec = specOf(template('production'));
  return { spec, graph: expandTopology(spec) };
}

export function minimal(): ResourceGraph {
  return expandTopology(specOf(MINIMAL));
}

/** A resource by name (fails loudly when absent). */
export function get(g: ResourceGraph, name: string): Resource {
  const r = g.byName.get(name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
}

export const P = 'projects/ruvector-prod';
