import { DEFAULT_ENV, DEFAULT_SECRET_ENV } from '../../spec/schema.js';
import type { Ctx, RegionInfo } from '../context.js';

/** Effective plain env of a region: the seed's defaults, then the spec's; "" removes. */
export function effectiveEnv(ctx: Ctx, r: RegionInfo): { name: string; value: string }[] {
  const merged = { ...DEFAULT_ENV, ...(ctx.spec.service.env ?? {}) };
  return Object.entries(merged)
    .filter(([, v]) => v !== '')
    .map(([name, v]) => ({ name, value: ctx.fill(v, r) }));
}

export function effectiveSecretEnv(ctx: Ctx, r: RegionInfo): { name: string; secret: string; version: string }[] {
  const merged = { ...DEFAULT_SECRET_ENV, ...(ctx.spec.service.secretEnv ?? {}) };
  // A seed default whose secret the spec does not declare is dropped rather than dangling.
  const declared = new Set(ctx.spec.secrets.map((s) => s.name));
  return Object.entries(merged)
    .filter(([name, ref]) => ctx.spec.service.secretEnv?.[name] || declared.has(ref.secret))
    .map(([name, ref]) => ({ name, secret: ctx.fill(ref.secret, r), version: ref.version }));
}
