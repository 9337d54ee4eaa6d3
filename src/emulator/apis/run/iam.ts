import { seededToken } from '../../core/helpers.js';
import { EmuError, type EmulatorContext, type Route } from '../../core/types.js';
import { IAM } from './model.js';

interface Policy {
  version?: number;
  bindings?: { role: string; members: string[]; condition?: unknown }[];
  etag: string;
  [k: string]: unknown;
}

/** IAM etags are base64 of opaque bytes; "ACAB" is the etag of an empty policy. */
const EMPTY_ETAG = 'ACAB';
const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;

export function iamRoutes(ctx: EmulatorContext, base: string, resourceName: (params: Record<string, string>) => string): Route[] {
  const policies = ctx.store.collection<Policy>(IAM);
  return [
    {
      method: 'GET', path: `${base}/services/{service}:getIamPolicy`, style: 'gax', api: 'run',
      handler: (req) => ({ body: policies.get(resourceName(req.params)) ?? { etag: EMPTY_ETAG } }),
    },
    {
      method: 'POST', path: `${base}/services/{service}:setIamPolicy`, style: 'gax', api: 'run', write: true,
      handler(req) {
        const name = resourceName(req.params);
        const policy = (req.body as { policy?: Policy } | undefined)?.policy;
        if (!policy) throw new EmuError(400, 'INVALID_ARGUMENT', 'policy is required', undefined, { fieldViolations: [{ field: 'policy', description: 'Required' }] });
        const current = policies.get(name) ?? { etag: EMPTY_ETAG };
        if (policy.etag && policy.etag !== current.etag) {
          throw new EmuError(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
        }
        for (const [i, b] of (policy.bindings ?? []).entries()) {
          if (!/^roles\/[A-Za-z0-9_.]+$/.test(b.role ?? '')) {
            throw new EmuError(400, 'INVALID_ARGUMENT', `Role ${b.role} is not supported for this resource.`, undefined, { fieldViolations: [{ field: `policy.bindings[${i}].role`, description: 'invalid role' }] });
          }
          for (const m of b.members ?? []) {
            if (!MEMBER.test(m)) throw new EmuError(400, 'INVALID_ARGUMENT', `Invalid member: ${m}`, undefined, { fieldViolations: [{ field: `policy.bindings[${i}].members`, description: `invalid member ${m}` }] });
          }
        }
        const stored: Policy = {
          version: policy.version ?? 1,
          ...(policy.bindings?.length ? { bindings: policy.bindings } : {}),
          etag: Buffer.from(`BwY${seededToken(() => ctx.random(), 9)}`).toString('base64'),
        };
        policies.put(name, stored);
        ctx.events.emit('resource.changed', { api: 'run', kind: 'IamPolicy', name, resource: stored, change: 'updated' });
        return { body: stored };
      },
    },
    {
      method: 'POST', path: `${base}/services/{service}:testIamPermissions`, style: 'gax', api: 'run',
      handler(req) {
        resourceName(req.params);
        // No caller identity here: everything the caller asks about is granted.
        return { body: { permissions: (req.body as { permissions?: string[] } | undefined)?.permissions ?? [] } };
      },
    },
  ];
}
