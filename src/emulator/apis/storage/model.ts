import type { EmulatorContext } from '../../core/types.js';

/** A bucket exactly as the JSON API returns it (minus selfLink, added when rendered). */
export interface GcsBucket {
  kind: 'storage#bucket';
  id: string;
  name: string;
  projectNumber: string;
  metageneration: string;
  location: string;
  locationType: string;
  storageClass: string;
  etag: string;
  timeCreated: string;
  updated: string;
  rpo?: string;
  versioning?: { enabled: boolean };
  lifecycle?: { rule: LifecycleRule[] };
  cors?: CorsRule[];
  encryption?: { defaultKmsKeyName?: string };
  logging?: { logBucket?: string; logObjectPrefix?: string };
  iamConfiguration: {
    bucketPolicyOnly: { enabled: boolean; lockedTime?: string };
    uniformBucketLevelAccess: { enabled: boolean; lockedTime?: string };
    publicAccessPrevention: string;
  };
  labels?: Record<string, string>;
  softDeletePolicy?: { retentionDurationSeconds: string; effectiveTime: string };
  [extra: string]: unknown;
}

export interface LifecycleRule {
  action: { type: string; storageClass?: string };
  condition: Record<string, unknown>;
}

export interface CorsRule {
  origin?: string[];
  method?: string[];
  responseHeader?: string[];
  maxAgeSeconds?: number;
}

export interface IamBinding {
  role: string;
  members: string[];
  condition?: { title?: string; description?: string; expression: string };
}

export interface BucketRecord {
  project: string;
  bucket: GcsBucket;
  iam: { version: number; bindings: IamBinding[]; revision: number };
}

/** An object generation as the JSON API returns it (minus selfLink/mediaLink). */
export interface GcsObject {
  kind: 'storage#object';
  id: string;
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  contentType: string;
  storageClass: string;
  size: string;
  /** Absent on composite objects, as in GCS. */
  md5Hash?: string;
  crc32c: string;
  componentCount?: number;
  etag: string;
  timeCreated: string;
  updated: string;
  timeStorageClassUpdated: string;
  timeDeleted?: string;
  metadata?: Record<string, string>;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  kmsKeyName?: string;
  temporaryHold?: boolean;
  eventBasedHold?: boolean;
}

export const COLLECTIONS = {
  buckets: 'storage.buckets',
  /** Live generation of each object, keyed `${bucket}/${name}`. */
  objects: 'storage.objects',
  /** Noncurrent generations (versioned buckets), keyed `${bucket}/${name}\0${generation}`. */
  versions: 'storage.objectVersions',
  uploads: 'storage.uploads',
} as const;

export const objectKey = (bucket: string, name: string): string => `${bucket}/${name}`;
export const versionKey = (bucket: string, name: string, generation: string): string =>
  `${bucket}/${name}\u0000${generation.padStart(20, '0')}`;

export function buckets(ctx: EmulatorContext) {
  return ctx.store.collection<BucketRecord>(COLLECTIONS.buckets);
}
export function liveObjects(ctx: EmulatorContext) {
  return ctx.store.collection<GcsObject>(COLLECTIONS.objects);
}
export function noncurrentObjects(ctx: EmulatorContext) {
  return ctx.store.collection<GcsObject>(COLLECTIONS.versions);
}

/** Protobuf varint, as in the bytes GCS base64s into its etags. */
function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = n;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** Bucket etag: field 1 = metageneration ("CAE=" for 1), as GCS derives it. */
export function bucketEtag(metageneration: string): string {
  return Buffer.from([0x08, ...varint(BigInt(metageneration))]).toString('base64');
}

/** Object etag: field 1 = generation, field 2 = metageneration (e.g. "CKih16GjycICEAE="). */
export function objectEtag(generation: string, metageneration: string): string {
  return Buffer.from([0x08, ...varint(BigInt(generation)), 0x10, ...varint(BigInt(metageneration))]).toString('base64');
}

let lastGeneration = 0n;
/** Generations are microsecond timestamps, strictly increasing (two writes never share one). */
export function nextGeneration(ctx: EmulatorContext): string {
  const now = BigInt(ctx.now().getTime()) * 1000n;
  lastGeneration = now > lastGeneration ? now : lastGeneration + 1n;
  return lastGeneration.toString();
}

export function bucketSelfLink(ctx: EmulatorContext, bucket: string): string {
  return `${ctx.baseUrl()}/storage/v1/b/${encodeURIComponent(bucket)}`;
}

export function renderBucket(ctx: EmulatorContext, b: GcsBucket): Record<string, unknown> {
  const { kind, id, ...rest } = b;
  return { kind, selfLink: bucketSelfLink(ctx, b.name), id, ...rest };
}

export function renderObject(ctx: EmulatorContext, o: GcsObject): Record<string, unknown> {
  const enc = encodeURIComponent(o.name);
  const { kind, id, ...rest } = o;
  return {
    kind,
    id,
    selfLink: `${ctx.baseUrl()}/storage/v1/b/${encodeURIComponent(o.bucket)}/o/${enc}`,
    mediaLink: `${ctx.baseUrl()}/download/storage/v1/b/${encodeURIComponent(o.bucket)}/o/${enc}?generation=${o.generation}&alt=media`,
    ...rest,
  };
}

export function emitChange(ctx: EmulatorContext, kind: 'bucket' | 'object', name: string, resource: unknown, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: 'storage', kind, name, resource, change });
}
