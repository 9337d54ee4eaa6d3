/** Every resource kind the engine can reconcile, by kind. */
import type { Registry } from '../engine/plan.js';
import { computeProviders } from './compute.js';
import { lroProviders } from './gax-lro.js';
import { iamProviders } from './iam.js';
import { pubsubProviders } from './pubsub.js';
import { secretProviders } from './secrets.js';
import { serviceNetworkingProviders } from './servicenetworking.js';
import { sqlProviders } from './sql.js';
import { storageProviders } from './storage.js';
import type { Provider } from './types.js';

export const ALL_PROVIDERS: Provider[] = [
  ...computeProviders,
  ...lroProviders,
  ...sqlProviders,
  ...storageProviders,
  ...pubsubProviders,
  ...secretProviders,
  ...iamProviders,
  ...serviceNetworkingProviders,
];

export function registry(providers: Provider[] = ALL_PROVIDERS, only?: (p: Provider) => boolean): Registry {
  const list = only ? providers.filter(only) : providers;
  const byKind = new Map(list.map((p) => [p.kind, p]));
  return { get: (k) => byKind.get(k), all: () => list };
}
