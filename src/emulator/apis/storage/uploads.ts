import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import { refuseLegacyAcl } from './acl.js';
import { appendSpool, removeSpool, spoolPath, spoolSize } from './blobs.js';
import { getBucketRecord } from './buckets.js';
import { gcsErrors } from './errors.js';
import { COLLECTIONS, liveObjects, objectKey, renderObject, type GcsObject } from './model.js';
import { parseMultipart } from './multipart.js';
import { commitObject, validateObjectName } from './objects.js';
import { checkObject, readPreconditions, type Preconditions } from './preconditions.js';

type Json = Record<string, unknown>;

/** A resumable upload session: what the initiating POST said, and the finished object once done. */
interface UploadSession {
  id: string;
  bucket: string;
  name: string;
  meta: Json;
  preconds: Preconditions;
  kmsKeyName?: string;
  createdAt: string;
  done?: GcsObject;
}

const sessions = (ctx: EmulatorContext) => ctx.store.collection<UploadSession>(COLLECTIONS.uploads);

function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** POST /upload/storage/v1/b/{bucket}/o?uploadType=media|multipart|resumable */
export async function upload(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const bucket = req.params.bucket!;
  const type = req.query.get('uploadType') ?? (header(req, 'x-goog-resumable') === 'start' ? 'resumable' : 'media');
  refuseLegacyAcl(ctx, bucket, req.query);
  const preconds = readPreconditions(req.query);
  const kmsKeyName = req.query.get('kmsKeyName') ?? undefined;
  switch (type) {
    case 'media': {
      const meta: Json = { contentType: header(req, 'content-type') ?? 'application/octet-stream' };
      const obj = await commitObject(ctx, bucket, req.query.get('name'), meta, { data: req.raw }, preconds, kmsKeyName);
      return { body: renderObject(ctx, obj) };
    }
    case 'multipart': {
      const parts = parseMultipart(req.raw, header(req, 'content-type') ?? '');
      if (parts.length !== 2) throw gcsErrors.invalid(`A multipart upload has 2 parts (metadata, media); got ${parts.length}.`);
      let meta: Json;
      try {
        meta = JSON.parse(parts[0]!.body.toString('utf8')) as Json;
      } catch {
        throw gcsErrors.invalid('Metadata part is not valid JSON.');
      }
      if (!meta.contentType && parts[1]!.headers['content-type']) meta.contentType = parts[1]!.headers['content-type'];
      const name = req.query.get('name') ?? meta.name;
      const obj = await commitObject(ctx, bucket, name, meta, { data: parts[1]!.body }, preconds, kmsKeyName);
      return { body: renderObject(ctx, obj) };
    }
    case 'resumable':
      return startResumable(req, ctx, preconds, kmsKeyName);
    default:
      throw gcsErrors.invalid(`Invalid upload type: ${type}`);
  }
}

function newUploadId(ctx: EmulatorContext): string {
  let s = 'ADPyc';
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  for (let i = 0; i < 40; i++) s += alphabet[Math.floor(ctx.random() * alphabet.length)];
  return s;
}

function requestBase(req: EmuRequest, ctx: EmulatorContext): string {
  const host = header(req, 'host');
  return host ? `http://${host}` : ctx.baseUrl();
}

function startResumable(req: EmuRequest, ctx: EmulatorContext, preconds: Preconditions, kmsKeyName?: string): EmuResponse {
  const bucket = req.params.bucket!;
  getBucketRecord(ctx, bucket);
  const meta: Json = typeof req.body === 'object' && req.body !== null ? { ...(req.body as Json) } : {};
  const name = validateObjectName(req.query.get('name') ?? meta.name);
  const xType = header(req, 'x-upload-content-type');
  if (!meta.contentType && xType) meta.contentType = xType;
  // GCS refuses a session whose precondition already fails, and checks again at the end.
  checkObject(preconds, liveObjects(ctx).get(objectKey(bucket, name)), 'write');
  const id = newUploadId(ctx);
  sessions(ctx).put(id, { id, bucket, name, meta, preconds, kmsKeyName, createdAt: ctx.now().toISOString() });
  const location = `${requestBase(req, ctx)}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
  return { status: 200, headers: { location, 'x-guploader-uploadid': id }, raw: '' };
}

interface ContentRange {
  start?: number;
  /** Inclusive end; undefined = `*` (the request body runs to the end of the upload). */
  end?: number;
  total?: number;
  statusOnly: boolean;
}

function parseContentRange(v: string | undefined, bodyLength: number): ContentRange {
  if (!v) return { start: 0, end: bodyLength - 1, total: bodyLength, statusOnly: false };
  const m = /^bytes (\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(v.trim());
  if (!m) throw gcsErrors.invalid(`Invalid Content-Range header: ${v}`);
  const total = m[4] === '*' ? undefined : Number(m[4]);
  if (m[1] === '*') return { total, statusOnly: true };
  return { start: Number(m[2]), end: m[3] === '*' ? undefined : Number(m[3]), total, statusOnly: false };
}

function incomplete(received: number): EmuResponse {
  // 308 "Resume Incomplete": Range tells the client which bytes GCS holds (none: no header).
  const headers: Record<string, string> = {};
  if (received > 0) headers.range = `bytes=0-${received - 1}`;
  return { status: 308, headers, raw: '' };
}

/** PUT to the session URI: a chunk (Content-Range `bytes a-b/total`), the whole rest, or a status query (`bytes * /total`). */
export async function resumeUpload(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const id = req.query.get('upload_id');
  const s = id ? sessions(ctx).get(id) : undefined;
  if (!s) throw gcsErrors.uploadNotFound();
  if (s.done) return { body: renderObject(ctx, s.done) };
  let received = await spoolSize(ctx, s.id);
  const range = parseContentRange(header(req, 'content-range'), req.raw.length);
  if (!range.statusOnly) {
    const start = range.start!;
    if (start > received) {
      throw gcsErrors.invalid(
        `Invalid request. According to the Content-Range header, the upload offset is ${start} byte(s), which exceeds already uploaded size of ${received} byte(s).`,
      );
    }
    // A client resending bytes the server already holds: keep only the new tail.
    const fresh = req.raw.subarray(received - start);
    if (fresh.length > 0) received = await appendSpool(ctx, s.id, fresh);
  }
  const total = range.total ?? (range.statusOnly || range.end !== undefined ? undefined : received);
  if (total === undefined || received < total) return incomplete(received);
  if (received > total) throw gcsErrors.invalid(`The upload holds ${received} bytes but Content-Range declared ${total}.`);
  if (received === 0) await appendSpool(ctx, s.id, Buffer.alloc(0));
  try {
    const obj = await commitObject(ctx, s.bucket, s.name, s.meta, { spool: spoolPath(ctx, s.id) }, s.preconds, s.kmsKeyName);
    sessions(ctx).put(s.id, { ...s, done: obj });
    return { body: renderObject(ctx, obj) };
  } catch (e) {
    sessions(ctx).delete(s.id);
    await removeSpool(ctx, s.id);
    throw e;
  }
}

/** DELETE on the session URI cancels it; GCS answers 499. */
export async function cancelUpload(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const id = req.query.get('upload_id');
  if (!id || !sessions(ctx).get(id)) throw gcsErrors.uploadNotFound();
  sessions(ctx).delete(id);
  await removeSpool(ctx, id);
  return { status: 499, raw: '' };
}
