import type { ApiModule, Handler, Route } from '../../core/types.js';
import { aclEndpoint } from './acl.js';
import { getBucketIam, setBucketIam, testBucketIam } from './bucket-iam.js';
import { deleteBucket, getBucket, insertBucket, listBuckets, patchBucket, updateBucket } from './buckets.js';
import { composeObject, copyObject, deleteObject, findObject, getObject, listObjects, media, patchObject, updateObject } from './objects.js';
import { cancelUpload, resumeUpload, upload } from './uploads.js';

/**
 * Cloud Storage JSON API v1, as @google-cloud/storage speaks it (fake-gcs-server's
 * surface): buckets (+ IAM), objects (metadata, media, list, copy/rewrite) and the three
 * upload protocols. Bytes live on disk under ctx.dataDir.
 *
 * Paths: with `apiEndpoint` the client calls `/storage/v1/b/...`; with STORAGE_EMULATOR_HOST
 * it uses that URL verbatim as the base, i.e. `/b/...`. Both are served, as are
 * `/upload/storage/v1/...` and `/download/storage/v1/...` (also under a `/storage/v1`
 * base, for an emulator host given with that suffix).
 */
function routes(): Route[] {
  const out: Route[] = [];
  const add = (method: Route['method'], path: string, handler: Handler, write = false) =>
    out.push({ method, path, handler, write, style: 'storage', api: 'storage' });

  for (const base of ['/storage/v1', '']) {
    add('POST', `${base}/b`, insertBucket, true);
    add('GET', `${base}/b`, listBuckets);
    add('GET', `${base}/b/{bucket}`, getBucket);
    add('PATCH', `${base}/b/{bucket}`, patchBucket, true);
    add('PUT', `${base}/b/{bucket}`, updateBucket, true);
    add('DELETE', `${base}/b/{bucket}`, deleteBucket, true);
    add('GET', `${base}/b/{bucket}/iam`, getBucketIam);
    add('PUT', `${base}/b/{bucket}/iam`, setBucketIam, true);
    add('GET', `${base}/b/{bucket}/iam/testPermissions`, testBucketIam);
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      add(m, `${base}/b/{bucket}/acl`, aclEndpoint, m !== 'GET');
      add(m, `${base}/b/{bucket}/acl/{entity}`, aclEndpoint, m !== 'GET');
      add(m, `${base}/b/{bucket}/defaultObjectAcl`, aclEndpoint, m !== 'GET');
      add(m, `${base}/b/{bucket}/defaultObjectAcl/{entity}`, aclEndpoint, m !== 'GET');
      add(m, `${base}/b/{bucket}/o/{object}/acl`, aclEndpoint, m !== 'GET');
      add(m, `${base}/b/{bucket}/o/{object}/acl/{entity}`, aclEndpoint, m !== 'GET');
    }
    add('GET', `${base}/b/{bucket}/o`, listObjects);
    add('GET', `${base}/b/{bucket}/o/{object=**}`, getObject);
    add('PATCH', `${base}/b/{bucket}/o/{object=**}`, patchObject, true);
    add('PUT', `${base}/b/{bucket}/o/{object=**}`, updateObject, true);
    add('DELETE', `${base}/b/{bucket}/o/{object=**}`, deleteObject, true);
    add('POST', `${base}/b/{bucket}/o/{object}/compose`, composeObject, true);
    add('POST', `${base}/b/{srcBucket}/o/{srcObject}/copyTo/b/{dstBucket}/o/{dstObject}`, (req, ctx) => copyObject(req, ctx, 'copy'), true);
    add('POST', `${base}/b/{srcBucket}/o/{srcObject}/rewriteTo/b/{dstBucket}/o/{dstObject}`, (req, ctx) => copyObject(req, ctx, 'rewrite'), true);
  }
  for (const base of ['', '/storage/v1']) {
    add('POST', `${base}/upload/storage/v1/b/{bucket}/o`, upload, true);
    add('PUT', `${base}/upload/storage/v1/b/{bucket}/o`, resumeUpload, true);
    add('DELETE', `${base}/upload/storage/v1/b/{bucket}/o`, cancelUpload, true);
    add('GET', `${base}/download/storage/v1/b/{bucket}/o/{object=**}`, async (req, ctx) => {
      const obj = findObject(ctx, req.params.bucket!, req.params.object!, req.query.get('generation'));
      return media(req, ctx, obj);
    });
  }
  return out;
}

const storage: ApiModule = { name: 'storage', routes };
export default storage;
