export { expandTopology, selectRegions, regionOf } from './expand.js';
export { makeGraph, graphProblems, findCycle, topoWaves } from './graph.js';
export { ref, findRefs, resolveRefs, type RefUse } from './refs.js';
export { KIND_DOCS, RESOURCE_KINDS, MANAGED_BY_LABEL, MANAGED_BY_VALUE, TOPOLOGY_LABEL, ownershipMarker } from './kinds.js';
export type { Resource, ResourceGraph, ResourceKind } from './types.js';
export { renderGraphTable, countByKind, shortName } from './render.js';
