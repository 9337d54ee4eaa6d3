import { createHash } from 'node:crypto';
import { EmuError, type EmulatorContext, type EmuRequest, type EmuResponse } from '../../core/types.js';
import { bodyOf, emit, psErrors } from './common.js';
import { subscriptions, topics } from './model.js';
import { schemas } from './schemas.js';

interface Binding {
  role: string;
  members: string[];
  condition?: { expression: string; title?: string; description?: string };
}

interface StoredPolicy {
  version: number;
  bindings: Binding[];
  revision: number;
}

const policies = (ctx: EmulatorContext) => ctx.store.collection<StoredPolicy>('pubsub.iam');

const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;

/** The etag is opaque bytes (base64 on the wire) that change with every write. */
function etagOf(resource: string, revision: number): string {
  return createHash('sha1').update(`${resource}#${revision}`).digest().subarray(0, 8).toString('base64');
}

function render(resource: string, p: StoredPolicy): Record<string, unknown> {
  return { version: p.version, etag: etagOf(resource, p.revision), ...(p.bindings.length ? { bindings: p.bindings } : {}) };
}

function resourceName(req: EmuRequest, kind: 'topics' | 'subscriptions' | 'schemas'): string {
  return `projects/${req.params.project}/${kind}/${req.params.resource}`;
}

function ensureExists(ctx: EmulatorContext, kind: 'topics' | 'subscriptions' | 'schemas', name: string): void {
  const exists = kind === 'topics' ? topics(ctx).get(name) : kind === 'subscriptions' ? subscriptions(ctx).get(name) : schemas(ctx).get(name);
  if (!exists) throw psErrors.notFound(name);
}

/** IAM policies on topics, subscriptions and schemas (google.iam.v1.IAMPolicy, as the gax mixin sends it). */
export function iamHandlers(kind: 'topics' | 'subscriptions' | 'schemas') {
  return {
    get(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
      const name = resourceName(req, kind);
      ensureExists(ctx, kind, name);
      const p = policies(ctx).get(name) ?? { version: 1, bindings: [], revision: 0 };
      return { body: render(name, p) };
    },
    set(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
      const name = resourceName(req, kind);
      ensureExists(ctx, kind, name);
      const current = policies(ctx).get(name) ?? { version: 1, bindings: [], revision: 0 };
      const policy = bodyOf(bodyOf(req.body).policy);
      if (typeof policy.etag === 'string' && policy.etag !== '' && policy.etag !== etagOf(name, current.revision)) {
        throw new EmuError(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
      }
      const bindings = (Array.isArray(policy.bindings) ? policy.bindings : []) as Binding[];
      for (const b of bindings) {
        if (typeof b.role !== 'string' || !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(b.role)) {
          throw psErrors.invalid(`Role ${String(b.role)} is not valid.`, 'policy.bindings.role');
        }
        for (const m of b.members ?? []) {
          if (!MEMBER.test(m)) throw psErrors.invalid(`Invalid member: ${m}`, 'policy.bindings.members');
        }
      }
      const next: StoredPolicy = { version: bindings.some((b) => b.condition) ? 3 : Number(policy.version ?? 1) || 1, bindings, revision: current.revision + 1 };
      policies(ctx).put(name, next);
      emit(ctx, `${kind.slice(0, -1)}IamPolicy`, name, render(name, next), 'updated');
      return { body: render(name, next) };
    },
    test(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
      const name = resourceName(req, kind);
      ensureExists(ctx, kind, name);
      // The caller is the project owner: it holds every Pub/Sub permission it asks about.
      const asked = bodyOf(req.body).permissions;
      const permissions = (Array.isArray(asked) ? asked : []).filter((p): p is string => typeof p === 'string' && p.startsWith('pubsub.'));
      return { body: permissions.length ? { permissions } : {} };
    },
  };
}

export function dropPolicy(ctx: EmulatorContext, name: string): void {
  policies(ctx).delete(name);
}
