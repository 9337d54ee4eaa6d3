/**
 * Call options for every client call a provider makes. The engine owns retries (classified,
 * counted, observed-before-resend), so the libraries' own retry loops are switched off; and
 * operation polling follows the target's timing (GCP minutes vs. the emulator's scaled ones).
 */
import { createBackoffSettings } from 'google-gax';
import type { ProviderContext } from './types.js';

export const NO_RETRY = { retry: null, autoPaginate: false } as const;

export function lroOptions(ctx: ProviderContext): Record<string, unknown> {
  const p = ctx.poll;
  return { ...NO_RETRY, longrunning: createBackoffSettings(p.initialMs, 1.5, p.maxMs, null, null, null, p.timeoutMs) };
}
