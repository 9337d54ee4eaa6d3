import type { Spec } from './index.js';

/**
 * The Secret Manager secret holding the service's write key (RUVECTOR_API_KEY), when the spec
 * wires one: an explicit secretEnv entry, else the default `ruvector-api-key` secret.
 */
export function writeKeySecret(spec: Spec): string | undefined {
  const explicit = spec.service.secretEnv?.RUVECTOR_API_KEY?.secret;
  if (explicit) return explicit;
  return spec.secrets.some((s) => s.name === 'ruvector-api-key') ? 'ruvector-api-key' : undefined;
}
