import { createHash } from 'node:crypto';
import type { EmulatorContext } from '../../../core/types.js';

/** A uint64 id as Compute prints it: a decimal string of up to 19 digits. */
export function newId(ctx: EmulatorContext): string {
  let s = String(1 + Math.floor(ctx.random() * 9));
  for (let i = 0; i < 18; i++) s += String(Math.floor(ctx.random() * 10));
  return s;
}

export function hex(ctx: EmulatorContext, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(ctx.random() * 16).toString(16);
  return s;
}

function hash8(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, 8).toString('base64');
}

/** A new fingerprint for a new version of a resource: base64 of 8 bytes of a hash, like GCE's. */
export function fingerprint(ctx: EmulatorContext, content: unknown): string {
  return hash8(`${JSON.stringify(content)}|${ctx.random()}`);
}

/** GCE derives labelFingerprint from the labels alone; this is its value for no labels. */
const EMPTY_LABELS_FINGERPRINT = '42WmSpB8rSM=';

export function labelFingerprint(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? EMPTY_LABELS_FINGERPRINT : hash8(JSON.stringify(entries));
}

export function timestamp(d: Date): string {
  return d.toISOString();
}

export function operationName(ctx: EmulatorContext): string {
  return `operation-${ctx.now().getTime()}-${hex(ctx, 13)}-${hex(ctx, 8)}-${hex(ctx, 8)}`;
}
