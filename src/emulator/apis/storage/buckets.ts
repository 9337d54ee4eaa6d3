import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { removeBucketBlobs } from './blobs.js';
import { gcsErrors } from './errors.js';
import {
  bucketEtag, buckets, emitChange, liveObjects, noncurrentObjects, renderBucket,
  type BucketRecord, type GcsBucket,
} from './model.js';
import { pageAfter } from './paging.js';
import { checkBucket } from './preconditions.js';
import {
  locationInfo, validateBucketName, validateCors, validateKmsKey, validateLabels, validateLifecycle,
  validatePublicAccessPrevention, validateStorageClass,
} from './validate.js';

const DAY_MS = 86_400_000;
/** Fields a client may not set; GCS ignores them in request bodies. */
const OUTPUT_ONLY = new Set(['kind', 'id', 'selfLink', 'projectNumber', 'metageneration', 'etag', 'timeCreated', 'updated', 'locationType', 'generation']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON merge patch (RFC 7386), the semantics of the JSON API's PATCH: null deletes, objects merge, arrays replace. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function getBucketRecord(ctx: EmulatorContext, name: string): BucketRecord {
  const rec = buckets(ctx).get(name);
  if (!rec) throw gcsErrors.bucketNotFound();
  return rec;
}

/**
 * Builds the stored bucket from the writable fields a client sent (the whole desired state:
 * the insert body, the update body, or the current bucket with a patch merged in) and the
 * previous version (undefined on insert), filling the server-side fields as GCS does.
 */
function buildBucket(ctx: EmulatorContext, project: string, desired: Json, prev?: GcsBucket): GcsBucket {
  const now = ctx.now();
  const nowIso = now.toISOString();
  const name = prev?.name ?? validateBucketName(desired.name);
  if (prev && desired.location !== undefined && String(desired.location).toUpperCase() !== prev.location) {
    throw gcsErrors.invalid('The location of a bucket cannot be changed.');
  }
  const loc = prev ? { location: prev.location, locationType: prev.locationType, rpo: prev.rpo } : locationInfo(desired.location);
  const metageneration = prev ? (BigInt(prev.metageneration) + 1n).toString() : '1';
  const iamIn = isObject(desired.iamConfiguration) ? desired.iamConfiguration : {};
  const ublaIn = (iamIn.uniformBucketLevelAccess ?? iamIn.bucketPolicyOnly) as { enabled?: unknown } | undefined;
  const ubla = ublaIn?.enabled === true || ublaIn?.enabled === 'true';
  const prevUbla = prev?.iamConfiguration.uniformBucketLevelAccess;
  // Uniform access can be turned off again for 90 days after it was turned on: GCS reports that as lockedTime.
  const lockedTime = ubla ? (prevUbla?.enabled && prevUbla.lockedTime) || new Date(now.getTime() + 90 * DAY_MS).toISOString() : undefined;
  const ublaOut = ubla ? { enabled: true, lockedTime: lockedTime! } : { enabled: false };

  const b: GcsBucket = {
    kind: 'storage#bucket',
    id: name,
    name,
    projectNumber: ctx.projectNumber(project),
    // Bucket generation (soft-delete restores name it): fixed at creation, in microseconds.
    generation: prev?.generation ?? String(now.getTime() * 1000),
    metageneration,
    location: loc.location,
    locationType: loc.locationType,
    storageClass: validateStorageClass(desired.storageClass),
    etag: bucketEtag(metageneration),
    timeCreated: prev?.timeCreated ?? nowIso,
    updated: nowIso,
    ...(loc.rpo ? { rpo: typeof desired.rpo === 'string' && desired.rpo !== '' ? desired.rpo : loc.rpo } : {}),
    iamConfiguration: {
      bucketPolicyOnly: { ...ublaOut },
      uniformBucketLevelAccess: { ...ublaOut },
      publicAccessPrevention: validatePublicAccessPrevention(iamIn.publicAccessPrevention),
    },
    softDeletePolicy: prev?.softDeletePolicy ?? { retentionDurationSeconds: '604800', effectiveTime: nowIso },
  };
  if (isObject(desired.versioning)) b.versioning = { enabled: desired.versioning.enabled === true || desired.versioning.enabled === 'true' };
  const lifecycle = validateLifecycle(desired.lifecycle);
  if (lifecycle) b.lifecycle = lifecycle;
  const cors = validateCors(desired.cors);
  if (cors) b.cors = cors;
  if (isObject(desired.encryption) && desired.encryption.defaultKmsKeyName !== undefined) {
    b.encryption = { defaultKmsKeyName: validateKmsKey(desired.encryption.defaultKmsKeyName) };
  }
  if (isObject(desired.logging)) {
    const logBucket = desired.logging.logBucket;
    if (typeof logBucket !== 'string' || logBucket === '') throw gcsErrors.invalid('Invalid argument: logging.logBucket is required.');
    b.logging = { logBucket, ...(typeof desired.logging.logObjectPrefix === 'string' ? { logObjectPrefix: desired.logging.logObjectPrefix } : {}) };
  }
  const labels = validateLabels(desired.labels);
  if (labels && Object.keys(labels).length > 0) b.labels = { ...labels };
  // Settings this emulator stores but does not interpret (website, retentionPolicy, autoclass, ...).
  for (const k of ['website', 'retentionPolicy', 'defaultEventBasedHold', 'billing', 'autoclass', 'customPlacementConfig', 'hierarchicalNamespace', 'objectRetention']) {
    if (desired[k] !== undefined) b[k] = desired[k];
  }
  return b;
}

function writable(b: GcsBucket): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(b)) if (!OUTPUT_ONLY.has(k)) out[k] = v;
  return out;
}

export function insertBucket(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const project = req.query.get('project');
  if (!project) throw gcsErrors.required('Required parameter: project');
  const body = isObject(req.body) ? req.body : {};
  const name = validateBucketName(body.name);
  if (buckets(ctx).peek(name)) throw gcsErrors.bucketExists();
  const bucket = buildBucket(ctx, project, body);
  if ((req.query.get('predefinedAcl') || req.query.get('predefinedDefaultObjectAcl')) && bucket.iamConfiguration.uniformBucketLevelAccess.enabled) {
    throw gcsErrors.invalid('Cannot use ACL API to set bucket policy when uniform bucket-level access is enabled.');
  }
  const rec: BucketRecord = {
    project,
    bucket,
    iam: {
      version: 1,
      revision: 1,
      // The convenience bindings every new bucket carries.
      bindings: [
        { role: 'roles/storage.legacyBucketOwner', members: [`projectEditor:${project}`, `projectOwner:${project}`] },
        { role: 'roles/storage.legacyBucketReader', members: [`projectViewer:${project}`] },
        { role: 'roles/storage.legacyObjectOwner', members: [`projectEditor:${project}`, `projectOwner:${project}`] },
        { role: 'roles/storage.legacyObjectReader', members: [`projectViewer:${project}`] },
      ],
    },
  };
  // GCS bucket metadata is strongly consistent: a new bucket is readable at once.
  buckets(ctx).put(name, rec);
  emitChange(ctx, 'bucket', name, bucket, 'created');
  return { body: renderBucket(ctx, bucket) };
}

export function getBucket(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const rec = getBucketRecord(ctx, req.params.bucket!);
  checkBucket(req.query, rec.bucket.metageneration, 'read');
  return { body: renderBucket(ctx, rec.bucket) };
}

export function listBuckets(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const project = req.query.get('project');
  if (!project) throw gcsErrors.required('Required parameter: project');
  const prefix = req.query.get('prefix') ?? '';
  const all = buckets(ctx).list().filter((r) => r.project === project && r.bucket.name.startsWith(prefix));
  const { page, nextPageToken } = pageAfter(all, (r) => r.bucket.name, req.query);
  return {
    body: {
      kind: 'storage#buckets',
      ...(nextPageToken ? { nextPageToken } : {}),
      ...(page.length ? { items: page.map((r) => renderBucket(ctx, r.bucket)) } : {}),
    },
  };
}

function change(req: EmuRequest, ctx: EmulatorContext, mode: 'patch' | 'update'): EmuResponse {
  const rec = getBucketRecord(ctx, req.params.bucket!);
  checkBucket(req.query, rec.bucket.metageneration, 'write');
  const body = isObject(req.body) ? req.body : {};
  const desired = mode === 'patch' ? (mergePatch(writable(rec.bucket), body) as Json) : { ...body };
  const bucket = buildBucket(ctx, rec.project, desired, rec.bucket);
  buckets(ctx).put(bucket.name, { ...rec, bucket });
  emitChange(ctx, 'bucket', bucket.name, bucket, 'updated');
  return { body: renderBucket(ctx, bucket) };
}

export const patchBucket = (req: EmuRequest, ctx: EmulatorContext): EmuResponse => change(req, ctx, 'patch');
export const updateBucket = (req: EmuRequest, ctx: EmulatorContext): EmuResponse => change(req, ctx, 'update');

export async function deleteBucket(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const name = req.params.bucket!;
  const rec = getBucketRecord(ctx, name);
  checkBucket(req.query, rec.bucket.metageneration, 'write');
  // Noncurrent generations count: a versioned bucket must be emptied of them too.
  if (liveObjects(ctx).peekAll(`${name}/`).length > 0 || noncurrentObjects(ctx).peekAll(`${name}/`).length > 0) {
    throw gcsErrors.bucketNotEmpty();
  }
  buckets(ctx).delete(name);
  await removeBucketBlobs(ctx, name);
  emitChange(ctx, 'bucket', name, rec.bucket, 'deleted');
  return { status: 204 };
}
