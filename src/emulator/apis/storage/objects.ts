import { gunzipSync } from 'node:zlib';
import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { mergePatch, getBucketRecord } from './buckets.js';
import { adoptBlob, deleteBlob, readBlob, writeBlob } from './blobs.js';
import { gcsErrors } from './errors.js';
import { hashBuffer, hashFile, type ObjectHashes } from './hashes.js';
import {
  emitChange, liveObjects, nextGeneration, noncurrentObjects, objectEtag, objectKey, renderObject, versionKey,
  type GcsObject,
} from './model.js';
import { pageAfter } from './paging.js';
import { checkObject, readPreconditions, type Preconditions } from './preconditions.js';
import { validateStorageClass } from './validate.js';

type Json = Record<string, unknown>;

/** Metadata fields a client may set on an object at upload or through patch/update. */
const MUTABLE = ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'metadata', 'customTime', 'temporaryHold', 'eventBasedHold'] as const;

export function validateObjectName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw gcsErrors.required('Required');
  if (Buffer.byteLength(name, 'utf8') > 1024) throw gcsErrors.invalid('The maximum object length is 1024 characters, but got a name with more characters.');
  if (/[\r\n]/.test(name) || name === '.' || name === '..' || name.startsWith('.well-known/acme-challenge/')) {
    throw gcsErrors.invalid(`Invalid object name: '${name}'`);
  }
  return name;
}

function pickMutable(meta: Json): Partial<GcsObject> {
  const out: Json = {};
  for (const k of MUTABLE) {
    const v = meta[k];
    if (v === undefined || v === null) continue;
    if (k === 'metadata') {
      if (typeof v !== 'object' || Array.isArray(v)) throw gcsErrors.invalid('Invalid argument: metadata must be a map.');
      const clean = Object.fromEntries(Object.entries(v as Json).filter(([, x]) => x !== null).map(([mk, x]) => [mk, String(x)]));
      if (Object.keys(clean).length) out.metadata = clean;
    } else {
      out[k] = v;
    }
  }
  return out as Partial<GcsObject>;
}

export interface CommitSource {
  data?: Buffer;
  /** Set for compose: the new object is composite (componentCount, no md5Hash). */
  componentCount?: number;
  /** Path of a spool file to move into place (resumable uploads). */
  spool?: string;
}

/**
 * Creates a new live generation of an object: hashes and stores the bytes first, then,
 * with no await in between, re-checks the preconditions against the live generation and
 * swaps it in (the old one becomes noncurrent when the bucket keeps versions).
 */
export async function commitObject(
  ctx: EmulatorContext,
  bucketName: string,
  nameIn: unknown,
  meta: Json,
  source: CommitSource,
  preconds: Preconditions,
  kmsKeyName?: string,
): Promise<GcsObject> {
  const bucketRec = getBucketRecord(ctx, bucketName);
  const name = validateObjectName(nameIn);
  const hashes: ObjectHashes = source.data ? hashBuffer(source.data) : await hashFile(source.spool!);
  if (typeof meta.md5Hash === 'string' && meta.md5Hash !== hashes.md5Hash) {
    throw gcsErrors.invalid(`Provided MD5 hash "${meta.md5Hash}" doesn't match calculated MD5 hash "${hashes.md5Hash}".`);
  }
  if (typeof meta.crc32c === 'string' && meta.crc32c !== hashes.crc32c) {
    throw gcsErrors.invalid(`Provided CRC32C "${meta.crc32c}" doesn't match calculated CRC32C "${hashes.crc32c}".`);
  }
  checkObject(preconds, liveObjects(ctx).get(objectKey(bucketName, name)), 'write');
  const generation = nextGeneration(ctx);
  if (source.data) await writeBlob(ctx, bucketName, generation, source.data);
  else await adoptBlob(ctx, bucketName, generation, source.spool!);

  const current = liveObjects(ctx).get(objectKey(bucketName, name));
  try {
    checkObject(preconds, current, 'write');
    if (!bucketExists(ctx, bucketName)) throw gcsErrors.bucketNotFound();
  } catch (e) {
    await deleteBlob(ctx, bucketName, generation);
    throw e;
  }
  const now = ctx.now().toISOString();
  const kms = kmsKeyName ?? (typeof meta.kmsKeyName === 'string' ? meta.kmsKeyName : undefined) ?? bucketRec.bucket.encryption?.defaultKmsKeyName;
  const obj: GcsObject = {
    kind: 'storage#object',
    id: `${bucketName}/${name}/${generation}`,
    name,
    bucket: bucketName,
    generation,
    metageneration: '1',
    contentType: 'application/octet-stream',
    storageClass: meta.storageClass ? validateStorageClass(meta.storageClass) : bucketRec.bucket.storageClass,
    size: String(hashes.size),
    ...(source.componentCount ? {} : { md5Hash: hashes.md5Hash }),
    crc32c: hashes.crc32c,
    ...(source.componentCount ? { componentCount: source.componentCount } : {}),
    etag: objectEtag(generation, '1'),
    timeCreated: now,
    updated: now,
    timeStorageClassUpdated: now,
    ...pickMutable(meta),
    ...(kms ? { kmsKeyName: kms.includes('/cryptoKeyVersions/') ? kms : `${kms}/cryptoKeyVersions/1` } : {}),
  };
  if (current) retire(ctx, current, bucketRec.bucket.versioning?.enabled === true, now);
  liveObjects(ctx).put(objectKey(bucketName, name), obj);
  emitChange(ctx, 'object', `${bucketName}/${name}`, obj, 'created');
  return obj;
}

function bucketExists(ctx: EmulatorContext, bucket: string): boolean {
  try {
    getBucketRecord(ctx, bucket);
    return true;
  } catch {
    return false;
  }
}

/** Takes a live generation out of service: kept as noncurrent in a versioned bucket, else gone. */
function retire(ctx: EmulatorContext, obj: GcsObject, keep: boolean, now: string): void {
  liveObjects(ctx).delete(objectKey(obj.bucket, obj.name));
  if (keep) {
    noncurrentObjects(ctx).put(versionKey(obj.bucket, obj.name, obj.generation), { ...obj, timeDeleted: now });
  } else {
    void deleteBlob(ctx, obj.bucket, obj.generation);
  }
}

/** The live generation, or the one `?generation=` names (live or noncurrent). */
export function findObject(ctx: EmulatorContext, bucket: string, name: string, generation: string | null): GcsObject {
  getBucketRecord(ctx, bucket);
  const live = liveObjects(ctx).get(objectKey(bucket, name));
  if (!generation) {
    if (!live) throw gcsErrors.objectNotFound(bucket, name);
    return live;
  }
  if (live && live.generation === generation) return live;
  const old = noncurrentObjects(ctx).get(versionKey(bucket, name, generation));
  if (!old) throw gcsErrors.objectNotFound(bucket, name);
  return old;
}

export async function getObject(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const { bucket, object } = req.params as { bucket: string; object: string };
  const obj = findObject(ctx, bucket, object, req.query.get('generation'));
  checkObject(readPreconditions(req.query), obj, 'read');
  if (req.query.get('alt') === 'media') return media(req, ctx, obj);
  return { body: renderObject(ctx, obj) };
}

/** `alt=media`: the bytes, with the x-goog-hash header the client checks them against. */
export async function media(req: EmuRequest, ctx: EmulatorContext, obj: GcsObject): Promise<EmuResponse> {
  let data = await readBlob(ctx, obj.bucket, obj.generation);
  const headers: Record<string, string> = {
    'content-type': obj.contentType,
    'x-goog-generation': obj.generation,
    'x-goog-metageneration': obj.metageneration,
    'x-goog-stored-content-encoding': obj.contentEncoding ?? 'identity',
    'x-goog-stored-content-length': obj.size,
    'x-goog-storage-class': obj.storageClass,
    'x-goog-hash': obj.md5Hash ? `crc32c=${obj.crc32c},md5=${obj.md5Hash}` : `crc32c=${obj.crc32c}`,
    etag: obj.etag,
    'last-modified': new Date(obj.updated).toUTCString(),
    'accept-ranges': 'bytes',
  };
  if (obj.cacheControl) headers['cache-control'] = obj.cacheControl;
  if (obj.contentDisposition) headers['content-disposition'] = obj.contentDisposition;
  if (obj.contentLanguage) headers['content-language'] = obj.contentLanguage;
  if (obj.contentEncoding === 'gzip') {
    const accept = String(req.headers['accept-encoding'] ?? '');
    if (/\bgzip\b/.test(accept)) {
      headers['content-encoding'] = 'gzip';
    } else {
      // Decompressive transcoding: the stored hashes no longer describe what is sent.
      data = gunzipSync(data);
      delete headers['x-goog-hash'];
      headers.warning = '214 UploadServer gunzipped';
    }
  }
  const range = req.headers.range;
  if (typeof range === 'string' && range.startsWith('bytes=')) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (m) {
      const total = data.length;
      let start: number;
      let end: number;
      if (m[1] === '') {
        const n = Number(m[2]);
        start = Math.max(0, total - n);
        end = total - 1;
      } else {
        start = Number(m[1]);
        end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
      }
      if (start >= total || start > end) {
        if (total === 0 && start === 0) return { status: 200, headers, raw: data };
        throw gcsErrors.rangeNotSatisfiable();
      }
      headers['content-range'] = `bytes ${start}-${end}/${total}`;
      return { status: 206, headers, raw: data.subarray(start, end + 1) };
    }
  }
  return { status: 200, headers, raw: data };
}

export function listObjects(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const bucket = req.params.bucket!;
  getBucketRecord(ctx, bucket);
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startOffset = q.get('startOffset') ?? '';
  const endOffset = q.get('endOffset') ?? '';
  const versions = q.get('versions') === 'true';
  let objs = liveObjects(ctx).list(`${bucket}/${prefix}`);
  if (versions) objs = objs.concat(noncurrentObjects(ctx).list(`${bucket}/${prefix}`));
  objs = objs.filter((o) => o.name.startsWith(prefix) && (!startOffset || o.name >= startOffset) && (!endOffset || o.name < endOffset));

  // One sorted sequence of entries, objects keyed by name + generation and collapsed
  // prefixes by themselves, so a page boundary can fall anywhere as it does in GCS.
  type Entry = { key: string; obj?: GcsObject; prefix?: string };
  const entries = new Map<string, Entry>();
  const includeTrailing = q.get('includeTrailingDelimiter') === 'true';
  for (const o of objs) {
    const rest = o.name.slice(prefix.length);
    const at = delimiter ? rest.indexOf(delimiter) : -1;
    if (at >= 0) {
      const p = prefix + rest.slice(0, at + delimiter.length);
      entries.set(p, { key: p, prefix: p });
      if (!(includeTrailing && o.name === p)) continue;
    }
    const key = `${o.name}\u0000${o.generation.padStart(20, '0')}`;
    entries.set(key, { key, obj: o });
  }
  const sorted = [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { page, nextPageToken } = pageAfter(sorted, (e) => e.key, q);
  const items = page.filter((e) => e.obj).map((e) => renderObject(ctx, e.obj!));
  const prefixes = page.filter((e) => e.prefix !== undefined).map((e) => e.prefix!);
  return {
    body: {
      kind: 'storage#objects',
      ...(nextPageToken ? { nextPageToken } : {}),
      ...(prefixes.length ? { prefixes } : {}),
      ...(items.length ? { items } : {}),
    },
  };
}

async function changeObject(req: EmuRequest, ctx: EmulatorContext, mode: 'patch' | 'update'): Promise<EmuResponse> {
  const { bucket, object } = req.params as { bucket: string; object: string };
  const obj = findObject(ctx, bucket, object, req.query.get('generation'));
  checkObject(readPreconditions(req.query), obj, 'write');
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Json;
  const current: Json = {};
  for (const k of MUTABLE) if (obj[k] !== undefined) current[k] = obj[k];
  const desired = mode === 'patch' ? (mergePatch(current, body) as Json) : body;
  const metageneration = (BigInt(obj.metageneration) + 1n).toString();
  const base: Json = { ...obj };
  for (const k of MUTABLE) delete base[k];
  const next = {
    ...(base as unknown as GcsObject),
    contentType: 'application/octet-stream',
    ...pickMutable(desired),
    metageneration,
    etag: objectEtag(obj.generation, metageneration),
    updated: ctx.now().toISOString(),
  } as GcsObject;
  if (obj.timeDeleted) noncurrentObjects(ctx).put(versionKey(bucket, obj.name, obj.generation), next);
  else liveObjects(ctx).put(objectKey(bucket, obj.name), next);
  emitChange(ctx, 'object', `${bucket}/${obj.name}`, next, 'updated');
  return { body: renderObject(ctx, next) };
}

export const patchObject = (req: EmuRequest, ctx: EmulatorContext) => changeObject(req, ctx, 'patch');
export const updateObject = (req: EmuRequest, ctx: EmulatorContext) => changeObject(req, ctx, 'update');

export async function deleteObject(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const { bucket, object } = req.params as { bucket: string; object: string };
  const generation = req.query.get('generation');
  const bucketRec = getBucketRecord(ctx, bucket);
  const obj = findObject(ctx, bucket, object, generation);
  checkObject(readPreconditions(req.query), obj, 'write');
  if (generation) {
    // Naming a generation deletes that generation for good, live or not.
    if (obj.timeDeleted) noncurrentObjects(ctx).delete(versionKey(bucket, obj.name, obj.generation));
    else liveObjects(ctx).delete(objectKey(bucket, obj.name));
    await deleteBlob(ctx, bucket, obj.generation);
  } else {
    retire(ctx, obj, bucketRec.bucket.versioning?.enabled === true, ctx.now().toISOString());
  }
  emitChange(ctx, 'object', `${bucket}/${obj.name}`, obj, 'deleted');
  return { status: 204 };
}

/** copyTo and rewriteTo: a new destination generation with the source's bytes. */
export async function copyObject(req: EmuRequest, ctx: EmulatorContext, kind: 'copy' | 'rewrite'): Promise<EmuResponse> {
  const { srcBucket, srcObject, dstBucket, dstObject } = req.params as Record<string, string>;
  const src = findObject(ctx, srcBucket!, srcObject!, req.query.get('sourceGeneration'));
  checkObject(readPreconditions(req.query, 'Source'), src, 'read');
  const data = await readBlob(ctx, src.bucket, src.generation);
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Json;
  const inherited: Json = {};
  for (const k of MUTABLE) if (src[k] !== undefined) inherited[k] = src[k];
  const meta = Object.keys(body).length ? { ...body } : inherited;
  const dstKms = req.query.get('destinationKmsKeyName') ?? undefined;
  const obj = await commitObject(ctx, dstBucket!, dstObject, meta, { data }, readPreconditions(req.query), dstKms);
  if (kind === 'copy') return { body: renderObject(ctx, obj) };
  return {
    body: { kind: 'storage#rewriteResponse', totalBytesRewritten: obj.size, objectSize: obj.size, done: true, resource: renderObject(ctx, obj) },
  };
}

const MAX_COMPOSE_SOURCES = 32;

/** compose: concatenates up to 32 source objects of the bucket into a composite destination. */
export async function composeObject(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const { bucket, object } = req.params as { bucket: string; object: string };
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as {
    sourceObjects?: { name?: string; generation?: string; objectPreconditions?: { ifGenerationMatch?: string } }[];
    destination?: Json;
  };
  const sources = body.sourceObjects ?? [];
  if (sources.length === 0) throw gcsErrors.required('Required: sourceObjects');
  if (sources.length > MAX_COMPOSE_SOURCES) throw gcsErrors.invalid(`The number of source components provided (${sources.length}) exceeds the maximum (${MAX_COMPOSE_SOURCES})`);
  const parts: Buffer[] = [];
  let componentCount = 0;
  for (const src of sources) {
    const o = findObject(ctx, bucket, String(src.name ?? ''), src.generation ? String(src.generation) : null);
    const want = src.objectPreconditions?.ifGenerationMatch;
    if (want !== undefined && String(want) !== o.generation) throw gcsErrors.preconditionFailed();
    parts.push(await readBlob(ctx, bucket, o.generation));
    componentCount += o.componentCount ?? 1;
  }
  if (componentCount > 1024) throw gcsErrors.invalid('The composite object would have more than 1024 components.');
  const meta = { ...(body.destination ?? {}) };
  delete meta.md5Hash;
  delete meta.crc32c;
  const obj = await commitObject(ctx, bucket, object, meta, { data: Buffer.concat(parts), componentCount }, readPreconditions(req.query), req.query.get('kmsKeyName') ?? undefined);
  return { body: renderObject(ctx, obj) };
}
