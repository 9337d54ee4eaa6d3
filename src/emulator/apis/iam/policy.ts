/**
 * google.iam.v1 policies on any resource (secrets, service accounts, projects), with the
 * etag read-modify-write protocol of the real IAM: a setIamPolicy carrying a stale etag is
 * refused with 409 ABORTED; one without an etag overwrites.
 */
import { createHash } from 'node:crypto';
import { EmuError, type EmulatorContext } from '../../core/types.js';

export interface Binding {
  role: string;
  members: string[];
  condition?: Record<string, unknown>;
}

export interface Policy {
  version?: number;
  etag: string;
  bindings?: Binding[];
}

const COLLECTION = 'iam.policies';

const MEMBER_RE = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:serviceAccount|deleted:user|deleted:group):.+)$/;

function etagOf(resource: string, bindings: Binding[], serial: number): string {
  // IAM etags are 8 opaque bytes, base64: "BwY..." in practice.
  return createHash('sha256').update(`${resource}|${serial}|${JSON.stringify(bindings)}`).digest().subarray(0, 8).toString('base64');
}

function stored(ctx: EmulatorContext, resource: string): { policy: Policy; serial: number } {
  const col = ctx.store.collection<{ policy: Policy; serial: number }>(COLLECTION);
  return col.peek(resource) ?? { policy: { version: 1, etag: etagOf(resource, [], 0) }, serial: 0 };
}

export function getPolicy(ctx: EmulatorContext, resource: string): Policy {
  const { policy } = stored(ctx, resource);
  return structuredClone(policy);
}

/** Validate and store a policy; returns what getIamPolicy will answer from now on. */
export function setPolicy(ctx: EmulatorContext, resource: string, incoming: unknown, allowedRoles?: (role: string) => boolean): Policy {
  const cur = stored(ctx, resource);
  const p = (incoming && typeof incoming === 'object' ? incoming : {}) as Partial<Policy>;
  if (p.etag && p.etag !== cur.policy.etag) {
    throw new EmuError(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.', 'ABORTED', { domain: 'iam.googleapis.com' });
  }
  const bindings: Binding[] = [];
  for (const b of Array.isArray(p.bindings) ? p.bindings : []) {
    if (!b || typeof b.role !== 'string' || !b.role.startsWith('roles/') && !/^(projects|organizations)\/[^/]+\/roles\//.test(b.role)) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `Role ${String(b?.role)} is not valid.`, 'INVALID_ARGUMENT', { fieldViolations: [{ field: 'policy.bindings.role', description: 'invalid role' }] });
    }
    if (allowedRoles && !allowedRoles(b.role)) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `Role ${b.role} is not supported for this resource.`, 'INVALID_ARGUMENT');
    }
    const members = Array.isArray(b.members) ? b.members.map(String) : [];
    for (const m of members) {
      if (!MEMBER_RE.test(m)) throw new EmuError(400, 'INVALID_ARGUMENT', `Invalid member: ${m}. Members must be of the form type:identifier.`, 'INVALID_ARGUMENT');
    }
    if (members.length === 0) continue;
    bindings.push({ role: b.role, members: [...new Set(members)].sort(), ...(b.condition ? { condition: b.condition } : {}) });
  }
  const serial = cur.serial + 1;
  const policy: Policy = { version: bindings.some((b) => b.condition) ? 3 : 1, etag: etagOf(resource, bindings, serial), ...(bindings.length ? { bindings } : {}) };
  ctx.store.collection<{ policy: Policy; serial: number }>(COLLECTION).put(resource, { policy, serial });
  ctx.events.emit('resource.changed', { api: 'iam', kind: 'Policy', name: resource, resource: policy, change: 'updated' });
  return structuredClone(policy);
}

export function deletePolicy(ctx: EmulatorContext, resource: string): void {
  ctx.store.collection(COLLECTION).delete(resource);
}
