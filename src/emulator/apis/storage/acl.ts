import { EmuError, type EmulatorContext, type EmuRequest, type EmuResponse } from '../../core/types.js';
import { getBucketRecord } from './buckets.js';
import { gcsErrors } from './errors.js';

const UBLA_READ = 'Cannot get legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access';
const UBLA_WRITE = 'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access';

export function ublaEnabled(ctx: EmulatorContext, bucket: string): boolean {
  return getBucketRecord(ctx, bucket).bucket.iamConfiguration.uniformBucketLevelAccess.enabled;
}

/** predefinedAcl / predefinedDefaultObjectAcl on a uniform-access bucket is refused, as GCS does. */
export function refuseLegacyAcl(ctx: EmulatorContext, bucket: string, q: URLSearchParams): void {
  if ((q.get('predefinedAcl') || q.get('predefinedDefaultObjectAcl')) && ublaEnabled(ctx, bucket)) throw gcsErrors.invalid(UBLA_WRITE);
}

/**
 * Bucket/object ACL endpoints (acl, defaultObjectAcl). On a uniform-access bucket (every
 * bucket the seed makes that holds data) GCS answers 400; legacy ACLs are not emulated
 * otherwise, and the answer says so rather than pretending.
 */
export function aclEndpoint(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  if (ublaEnabled(ctx, req.params.bucket!)) throw gcsErrors.invalid(req.method === 'GET' ? UBLA_READ : UBLA_WRITE);
  throw new EmuError(501, 'UNIMPLEMENTED', 'Legacy ACLs are not emulated; enable uniform bucket-level access and use IAM.', 'notImplemented');
}
