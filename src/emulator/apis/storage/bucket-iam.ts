import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { getBucketRecord } from './buckets.js';
import { gcsErrors } from './errors.js';
import { bucketEtag, buckets, type BucketRecord, type IamBinding } from './model.js';

const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+|(projectOwner|projectEditor|projectViewer):[a-z][a-z0-9-]{4,28}[a-z0-9])$/;

/** Policy etags are shaped like bucket etags (a varint of the policy's revision). */
const etagOf = (revision: number): string => bucketEtag(String(revision));

function render(rec: BucketRecord): Record<string, unknown> {
  return {
    kind: 'storage#policy',
    resourceId: `projects/_/buckets/${rec.bucket.name}`,
    version: rec.iam.version,
    etag: etagOf(rec.iam.revision),
    bindings: rec.iam.bindings,
  };
}

export function getBucketIam(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const rec = getBucketRecord(ctx, req.params.bucket!);
  const requested = Number(req.query.get('optionsRequestedPolicyVersion') ?? '1');
  if (![1, 3].includes(requested)) throw gcsErrors.invalid(`Invalid requested policy version: ${requested}`);
  if (requested < 3 && rec.iam.bindings.some((b) => b.condition)) {
    throw gcsErrors.invalid('The policy has conditional bindings; request policy version 3 to read it.');
  }
  return { body: render(rec) };
}

export function setBucketIam(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const rec = getBucketRecord(ctx, req.params.bucket!);
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as {
    bindings?: IamBinding[];
    etag?: string;
    version?: number;
  };
  // Read-modify-write: a policy built from a stale read is refused.
  if (body.etag && body.etag !== etagOf(rec.iam.revision)) throw gcsErrors.preconditionFailed();
  const bindings = body.bindings ?? [];
  if (!Array.isArray(bindings)) throw gcsErrors.invalid('Invalid argument: bindings must be a list.');
  for (const b of bindings) {
    if (typeof b.role !== 'string' || !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(b.role)) {
      throw gcsErrors.invalid(`Role ${String(b.role)} is not valid.`);
    }
    if (!Array.isArray(b.members) || b.members.length === 0) throw gcsErrors.invalid(`Binding for ${b.role} has no members.`);
    for (const m of b.members) {
      if (typeof m !== 'string' || !MEMBER.test(m)) throw gcsErrors.invalid(`Invalid member: ${String(m)}`);
      if ((m === 'allUsers' || m === 'allAuthenticatedUsers') && rec.bucket.iamConfiguration.publicAccessPrevention === 'enforced') {
        throw gcsErrors.preconditionFailed();
      }
    }
  }
  const version = bindings.some((b) => b.condition) ? 3 : Number(body.version ?? 1) || 1;
  const next: BucketRecord = { ...rec, iam: { version, bindings, revision: rec.iam.revision + 1 } };
  buckets(ctx).put(rec.bucket.name, next);
  ctx.events.emit('resource.changed', { api: 'storage', kind: 'bucketIamPolicy', name: rec.bucket.name, resource: render(next), change: 'updated' });
  return { body: render(next) };
}

export function testBucketIam(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  getBucketRecord(ctx, req.params.bucket!);
  // The emulator's caller is the project owner: every storage permission it asks about is held.
  const permissions = req.query.getAll('permissions').filter((p) => p.startsWith('storage.'));
  return { body: { kind: 'storage#testIamPermissionsResponse', ...(permissions.length ? { permissions } : {}) } };
}
