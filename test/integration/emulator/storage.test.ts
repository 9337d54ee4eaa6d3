import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Storage, type Bucket, type BucketMetadata, type CreateBucketRequest } from '@google-cloud/storage';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

const KMS = `projects/${PROJECT}/locations/us-central1/keyRings/ruvector/cryptoKeys/storage-us-central1`;

/**
 * createBucket sends its whole metadata argument as the bucket resource, but CreateBucketRequest
 * declares only some of the writable fields; these are the others the tests set.
 */
type BucketCreate = CreateBucketRequest & Pick<BucketMetadata, 'encryption' | 'iamConfiguration' | 'labels' | 'lifecycle' | 'logging'>;

/** The seed's vector bucket (section 4.1), as the CLI would send it. */
function vectorBucketMetadata(region: string, logBucket: string) {
  return {
    location: region,
    storageClass: 'STANDARD',
    versioning: { enabled: true },
    lifecycle: {
      rule: [
        { action: { type: 'Delete' }, condition: { age: 30, numNewerVersions: 3 } },
        { action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 7, daysSinceNoncurrentTime: 7 } },
      ],
    },
    cors: [{ origin: ['https://app.example.com'], method: ['GET', 'HEAD'], responseHeader: ['Content-Type'], maxAgeSeconds: 3600 }],
    encryption: { defaultKmsKeyName: KMS },
    logging: { logBucket, logObjectPrefix: `storage-logs/${region}/` },
    iamConfiguration: { publicAccessPrevention: 'enforced', uniformBucketLevelAccess: { enabled: true } },
    labels: { environment: 'production', service: 'ruvector', tier: 'tier1' },
  } satisfies BucketCreate;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

describe('Cloud Storage JSON API through @google-cloud/storage', () => {
  let t: TestEmulator;
  let storage: Storage;
  let vectors: Bucket;

  beforeAll(async () => {
    t = await startTestEmulator();
    storage = t.clients.storage();
    const logs: BucketCreate = {
      location: 'US',
      storageClass: 'COLDLINE',
      lifecycle: { rule: [{ action: { type: 'Delete' }, condition: { age: 90 } }] },
      iamConfiguration: { publicAccessPrevention: 'enforced' },
    };
    await storage.createBucket(`ruvector-logs-${PROJECT}`, logs);
    [vectors] = await storage.createBucket('ruvector-vectors-us-central1', vectorBucketMetadata('us-central1', `ruvector-logs-${PROJECT}`));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('round-trips every bucket setting the seed uses, with server fields filled in', async () => {
    const [m] = await vectors.getMetadata();
    expect(m).toMatchObject({
      kind: 'storage#bucket',
      id: 'ruvector-vectors-us-central1',
      name: 'ruvector-vectors-us-central1',
      location: 'US-CENTRAL1',
      locationType: 'region',
      storageClass: 'STANDARD',
      metageneration: '1',
      etag: 'CAE=',
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: KMS },
      logging: { logBucket: `ruvector-logs-${PROJECT}`, logObjectPrefix: 'storage-logs/us-central1/' },
      labels: { environment: 'production', service: 'ruvector', tier: 'tier1' },
      cors: [{ origin: ['https://app.example.com'], method: ['GET', 'HEAD'], responseHeader: ['Content-Type'], maxAgeSeconds: 3600 }],
    });
    expect(m.lifecycle?.rule).toEqual(vectorBucketMetadata('us-central1', 'x').lifecycle.rule);
    expect(m.iamConfiguration?.publicAccessPrevention).toBe('enforced');
    expect(m.iamConfiguration?.uniformBucketLevelAccess?.enabled).toBe(true);
    expect(m.iamConfiguration?.uniformBucketLevelAccess?.lockedTime).toMatch(/^\d{4}-/);
    expect(m.projectNumber).toMatch(/^\d+$/);
    expect(m.selfLink).toBe(`${t.url}/storage/v1/b/ruvector-vectors-us-central1`);
    expect(Date.parse(String(m.timeCreated))).not.toBeNaN();
    expect(m.rpo).toBeUndefined();

    const [logs] = await storage.bucket(`ruvector-logs-${PROJECT}`).getMetadata();
    expect(logs).toMatchObject({ location: 'US', locationType: 'multi-region', rpo: 'DEFAULT', storageClass: 'COLDLINE' });
    expect(logs.versioning).toBeUndefined();
  });

  it('refuses a duplicate bucket (409), a bad name (400) and an unknown bucket (404)', async () => {
    await expect(storage.createBucket('ruvector-vectors-us-central1')).rejects.toMatchObject({ code: 409 });
    await expect(storage.createBucket('Bad_Name!')).rejects.toMatchObject({ code: 400 });
    await expect(storage.bucket('no-such-bucket-here').getMetadata()).rejects.toMatchObject({ code: 404 });
    const [exists] = await storage.bucket('no-such-bucket-here').exists();
    expect(exists).toBe(false);
  });

  it('lists buckets by project and prefix', async () => {
    const [all] = await storage.getBuckets();
    expect(all.map((b) => b.name).sort()).toEqual([`ruvector-logs-${PROJECT}`, 'ruvector-vectors-us-central1']);
    const [some] = await storage.getBuckets({ prefix: 'ruvector-vectors-' });
    expect(some.map((b) => b.name)).toEqual(['ruvector-vectors-us-central1']);
  });

  it('patches with ifMetagenerationMatch: a stale one is 412, a fresh one bumps metageneration', async () => {
    const b = storage.bucket(`ruvector-logs-${PROJECT}`);
    const [before] = await b.getMetadata();
    await expect(b.setMetadata({ labels: { team: 'search' } }, { ifMetagenerationMatch: 99 })).rejects.toMatchObject({ code: 412 });
    const [after] = await b.setMetadata({ labels: { team: 'search' } }, { ifMetagenerationMatch: Number(before.metageneration) });
    expect(after.metageneration).toBe(String(Number(before.metageneration) + 1));
    expect(after.etag).not.toBe(before.etag);
    expect(after.labels).toEqual({ team: 'search' });
    // Patch merges: other settings survive, null removes a label.
    const [again] = await b.setMetadata({ labels: { team: null, owner: 'sre' } });
    expect(again.labels).toEqual({ owner: 'sre' });
    expect(again.storageClass).toBe('COLDLINE');
    expect(again.lifecycle?.rule).toHaveLength(1);
  });

  it('reads and writes the bucket IAM policy with etag checks and public access prevention', async () => {
    const [policy] = await vectors.iam.getPolicy({ requestedPolicyVersion: 3 });
    expect(policy.etag).toBeTruthy();
    const sa = `serviceAccount:ruvector-us-central1@${PROJECT}.iam.gserviceaccount.com`;
    policy.bindings.push({ role: 'roles/storage.objectViewer', members: [sa] }, { role: 'roles/storage.objectCreator', members: [sa] });
    const [set] = await vectors.iam.setPolicy(policy);
    expect(set.bindings).toEqual(expect.arrayContaining([{ role: 'roles/storage.objectViewer', members: [sa] }]));
    await expect(vectors.iam.setPolicy(policy)).rejects.toMatchObject({ code: 412 }); // stale etag
    const [fresh] = await vectors.iam.getPolicy();
    fresh.bindings.push({ role: 'roles/storage.objectViewer', members: ['allUsers'] });
    await expect(vectors.iam.setPolicy(fresh)).rejects.toMatchObject({ code: 412 }); // PAP enforced
    const [perms] = await vectors.iam.testPermissions(['storage.objects.get', 'storage.objects.create']);
    expect(perms).toEqual({ 'storage.objects.get': true, 'storage.objects.create': true });
  });

  it('uploads with uploadType=media and reports the standard CRC32C check value', async () => {
    const r = await fetch(`${t.url}/upload/storage/v1/b/ruvector-vectors-us-central1/o?uploadType=media&name=check/123456789`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '123456789',
    });
    expect(r.status).toBe(200);
    const o = (await r.json()) as Record<string, string>;
    // CRC-32C("123456789") = 0xE3069283 (RFC 3720 check value), big-endian base64.
    expect(o.crc32c).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
    expect(o.md5Hash).toBe(md5(Buffer.from('123456789')));
    expect(o).toMatchObject({ size: '9', contentType: 'text/plain', metageneration: '1', kmsKeyName: `${KMS}/cryptoKeyVersions/1` });
  });

  it('uploads multipart and resumable (single request and 1 MiB chunks, multi-MB); the client verifies hashes both ways', async () => {
    const small = Buffer.from(JSON.stringify({ dimension: 768, shards: 4 }));
    const meta = vectors.file('metadata/manifest.json');
    await meta.save(small, { resumable: false, validation: 'md5', metadata: { contentType: 'application/json', metadata: { kind: 'manifest' } } });
    const [mm] = await meta.getMetadata();
    expect(mm).toMatchObject({ size: String(small.length), md5Hash: md5(small), contentType: 'application/json', metadata: { kind: 'manifest' } });

    const big = randomBytes(3 * 1024 * 1024 + 12345);
    const shard = vectors.file('vectors/2025/11/20/shard-00000.bin');
    await shard.save(big, { resumable: true });
    const chunked = vectors.file('vectors/2025/11/20/shard-00001.bin');
    await chunked.save(big, { resumable: true, chunkSize: 1024 * 1024 });
    for (const f of [shard, chunked]) {
      const [m] = await f.getMetadata();
      expect(m.size).toBe(String(big.length));
      expect(m.md5Hash).toBe(md5(big));
      const [back] = await f.download(); // validates crc32c from x-goog-hash
      expect(back.equals(big)).toBe(true);
    }
    const [part] = await chunked.download({ start: 10, end: 19 });
    expect(part.equals(big.subarray(10, 20))).toBe(true);
    const chunkPuts = t.emu.requestLog.entries({ method: 'PUT' }).filter((e) => e.path.startsWith('/upload/') && e.status === 308);
    expect(chunkPuts.length).toBeGreaterThanOrEqual(3);
  });

  it('lists with prefix and delimiter (prefixes), and pages', async () => {
    for (const n of ['indices/hnsw-full-20251119.idx', 'indices/hnsw-full-20251120.idx', 'checkpoints/checkpoint-20251120-120000.bin']) {
      await vectors.file(n).save(Buffer.from(n), { resumable: false });
    }
    const [files, , resp] = await vectors.getFiles({ delimiter: '/', autoPaginate: false });
    expect(files.map((f) => f.name)).toEqual([]);
    expect((resp as { prefixes: string[] }).prefixes).toEqual(['check/', 'checkpoints/', 'indices/', 'metadata/', 'vectors/']);
    const [idx] = await vectors.getFiles({ prefix: 'indices/' });
    expect(idx.map((f) => f.name)).toEqual(['indices/hnsw-full-20251119.idx', 'indices/hnsw-full-20251120.idx']);
    const [page1, next] = await vectors.getFiles({ prefix: 'indices/', maxResults: 1, autoPaginate: false });
    expect(page1).toHaveLength(1);
    const [page2] = await vectors.getFiles({ ...(next as object), autoPaginate: false });
    expect(page2.map((f) => f.name)).toEqual(['indices/hnsw-full-20251120.idx']);
    // Pages over collapsed prefixes too: 2 per page, the token resumes after the last prefix.
    const [, q1, r1] = await vectors.getFiles({ delimiter: '/', maxResults: 2, autoPaginate: false });
    const [, q2, r2] = await vectors.getFiles({ ...(q1 as object), autoPaginate: false });
    const [, q3, r3] = await vectors.getFiles({ ...(q2 as object), autoPaginate: false });
    expect([r1, r2, r3].flatMap((r) => (r as { prefixes?: string[] }).prefixes ?? [])).toEqual(['check/', 'checkpoints/', 'indices/', 'metadata/', 'vectors/']);
    expect(q3).toBeNull();
  });

  it('honours generation preconditions with 412', async () => {
    const f = vectors.file('indices/hnsw-full-20251120.idx');
    const [m] = await f.getMetadata();
    await expect(f.save(Buffer.from('x'), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({ code: 412 });
    // The resumable path surfaces the session-start failure as a GaxiosError: the body says 412.
    const resumableErr = await f.save(Buffer.from('x'), { resumable: true, preconditionOpts: { ifGenerationMatch: 1 } }).catch((e: unknown) => e);
    expect(errorBody(resumableErr)).toMatchObject({ code: 412, errors: [{ reason: 'conditionNotMet' }] });
    await expect(f.delete({ ifGenerationMatch: 1 })).rejects.toMatchObject({ code: 412 });
    await expect(f.setMetadata({ contentType: 'x/y' }, { ifMetagenerationMatch: 7 })).rejects.toMatchObject({ code: 412 });
    const fresh = vectors.file('indices/new.idx');
    await fresh.save(Buffer.from('new'), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [patched] = await f.setMetadata({ metadata: { verified: 'yes' } }, { ifMetagenerationMatch: 1 });
    expect(patched).toMatchObject({ generation: m.generation, metageneration: '2' });
    await fresh.delete({ ifGenerationMatch: Number((await fresh.getMetadata())[0].generation) });
    const err = await vectors.file('indices/new.idx').getMetadata().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 404, errors: [{ reason: 'notFound', domain: 'global' }] });
  });

  it('keeps noncurrent generations in a versioned bucket', async () => {
    const f = vectors.file('metadata/schema.json');
    await f.save('{"v":1}', { resumable: false });
    const [g1] = await f.getMetadata();
    await f.save('{"v":2}', { resumable: false });
    const [g2] = await f.getMetadata();
    expect(BigInt(String(g2.generation)) > BigInt(String(g1.generation))).toBe(true);
    const [versions] = await vectors.getFiles({ prefix: 'metadata/schema.json', versions: true });
    expect(versions.map((v) => v.metadata.generation)).toEqual([g1.generation, g2.generation]);
    expect(versions[0]!.metadata.timeDeleted).toBeTruthy();
    const [old] = await vectors.file('metadata/schema.json', { generation: Number(g1.generation) }).download();
    expect(old.toString()).toBe('{"v":1}');
    await f.delete();
    const [live] = await vectors.getFiles({ prefix: 'metadata/schema.json' });
    expect(live).toHaveLength(0);
    const [all] = await vectors.getFiles({ prefix: 'metadata/schema.json', versions: true });
    expect(all).toHaveLength(2);
    // A bucket that still holds objects (noncurrent ones too) cannot be deleted.
    await expect(vectors.delete()).rejects.toMatchObject({ code: 409 });
  });

  it('copies and moves objects (rewriteTo), and serves gzip-encoded objects', async () => {
    const src = vectors.file('checkpoints/checkpoint-20251120-120000.bin');
    const [copied] = await src.copy(vectors.file('checkpoints/copy.bin'));
    const [copyMeta] = await copied.getMetadata();
    const [srcMeta] = await src.getMetadata();
    expect(copyMeta.md5Hash).toBe(srcMeta.md5Hash);
    await copied.move('checkpoints/moved.bin');
    const [names] = await vectors.getFiles({ prefix: 'checkpoints/' });
    expect(names.map((f) => f.name)).toEqual(['checkpoints/checkpoint-20251120-120000.bin', 'checkpoints/moved.bin']);

    const text = Buffer.from('{"vectors":'.padEnd(5000, ' ') + '[]}');
    const gz = vectors.file('metadata/index.json');
    await gz.save(text, { gzip: true, resumable: false, contentType: 'application/json' });
    const [gzMeta] = await gz.getMetadata();
    expect(gzMeta.contentEncoding).toBe('gzip');
    expect(Number(gzMeta.size)).toBeLessThan(text.length);
    const [plain] = await gz.download(); // hashes checked on the stored gzip bytes, then gunzipped
    expect(plain.equals(text)).toBe(true);
  });

  it('refuses legacy ACLs on a uniform-access bucket (400), as GCS does', async () => {
    await expect(vectors.file('acl/public.txt').save('x', { resumable: false, public: true })).rejects.toMatchObject({ code: 400 });
    await vectors.file('acl/private.txt').save('x', { resumable: false });
    await expect(vectors.file('acl/private.txt').makePublic()).rejects.toMatchObject({ code: 400 });
    await expect(vectors.acl.get()).rejects.toMatchObject({ code: 400 });
  });

  it('handles object names with spaces, unicode and URL metacharacters', async () => {
    const name = 'odd names/100% ü #1?&=+:x.bin';
    const f = vectors.file(name);
    await f.save('odd', { resumable: true });
    const [m] = await f.getMetadata();
    expect(m.name).toBe(name);
    expect((await f.download())[0].toString()).toBe('odd');
    const [listed] = await vectors.getFiles({ prefix: 'odd names/' });
    expect(listed.map((x) => x.name)).toEqual([name]);
    await f.delete();
  });

  it('update (PUT) replaces the writable settings; an empty bucket deletes', async () => {
    const scratch: BucketCreate = { location: 'europe-west1', labels: { a: 'b' }, versioning: { enabled: true } };
    await storage.createBucket('ruvector-scratch', scratch);
    const r = await fetch(`${t.url}/storage/v1/b/ruvector-scratch?ifMetagenerationMatch=1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ruvector-scratch', storageClass: 'NEARLINE' }),
    });
    const b = (await r.json()) as Record<string, unknown>;
    expect(r.status).toBe(200);
    expect(b).toMatchObject({ storageClass: 'NEARLINE', metageneration: '2', location: 'EUROPE-WEST1' });
    expect(b.labels).toBeUndefined();
    expect(b.versioning).toBeUndefined();
    const stale = await fetch(`${t.url}/storage/v1/b/ruvector-scratch?ifMetagenerationMatch=1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(stale.status).toBe(412);
    await storage.bucket('ruvector-scratch').delete();
    expect((await storage.bucket('ruvector-scratch').exists())[0]).toBe(false);
  });

  it('composes objects into a composite (componentCount, crc32c only)', async () => {
    const a = randomBytes(300_000);
    const b = randomBytes(123_457);
    await vectors.file('compose/a.bin').save(a, { resumable: false });
    await vectors.file('compose/b.bin').save(b, { resumable: false });
    const [combined] = await vectors.combine(['compose/a.bin', 'compose/b.bin'], 'compose/ab.bin');
    const [m] = await combined.getMetadata();
    expect(m).toMatchObject({ componentCount: 2, size: String(a.length + b.length) });
    expect(m.md5Hash).toBeUndefined();
    const [data] = await combined.download(); // crc32c-validated
    expect(data.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('serves STORAGE_EMULATOR_HOST (the base URL used verbatim, no /storage/v1)', async () => {
    const prev = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = t.url;
    try {
      const s = new Storage({ projectId: PROJECT });
      const b = s.bucket('ruvector-vectors-us-central1');
      await b.file('env/hello.txt').save('hello', { resumable: true });
      const [data] = await b.file('env/hello.txt').download();
      expect(data.toString()).toBe('hello');
      expect(t.emu.requestLog.entries({}).some((e) => e.path.startsWith('/b/ruvector-vectors-us-central1/o/env'))).toBe(true);
    } finally {
      if (prev === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = prev;
    }
  });
});

describe('Cloud Storage persistence', () => {
  it('a restarted emulator keeps buckets and object bytes', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ruvector-storage-state-'));
    try {
      const data = randomBytes(200_000);
      const a = await startTestEmulator({ stateDir });
      await a.clients.storage().createBucket('persisted-bucket', { location: 'europe-west1' });
      await a.clients.storage().bucket('persisted-bucket').file('snap/ruvs-0.bin').save(data);
      await a.emu.core.store.flush();
      await a.stop();
      const b = await startTestEmulator({ stateDir });
      try {
        const [back] = await b.clients.storage().bucket('persisted-bucket').file('snap/ruvs-0.bin').download();
        expect(back.equals(data)).toBe(true);
      } finally {
        await b.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('Cloud Storage resumable sessions across a restart', () => {
  it('a session started before a restart finishes after it, with the bytes sent before', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ruvector-storage-resume-'));
    try {
      const data = randomBytes(600_000);
      const first = 256 * 1024;
      const a = await startTestEmulator({ stateDir });
      await a.clients.storage().createBucket('resume-bucket', { location: 'us-central1' });
      const [uri] = await a.clients.storage().bucket('resume-bucket').file('snap.ruvs').createResumableUpload();
      const r1 = await fetch(uri, { method: 'PUT', headers: { 'content-range': `bytes 0-${first - 1}/*` }, body: data.subarray(0, first) });
      expect(r1.status).toBe(308);
      expect(r1.headers.get('range')).toBe(`bytes=0-${first - 1}`);
      const port = a.emu.port;
      await a.emu.core.store.flush();
      await a.stop();
      const b = await startTestEmulator({ stateDir, port });
      try {
        const status = await fetch(uri, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
        expect(status.status).toBe(308);
        expect(status.headers.get('range')).toBe(`bytes=0-${first - 1}`);
        const r2 = await fetch(uri, { method: 'PUT', headers: { 'content-range': `bytes ${first}-${data.length - 1}/${data.length}` }, body: data.subarray(first) });
        expect(r2.status).toBe(200);
        const [back] = await b.clients.storage().bucket('resume-bucket').file('snap.ruvs').download();
        expect(back.equals(data)).toBe(true);
      } finally {
        await b.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('Cloud Storage under injected faults', () => {
  it('a chunked resumable upload survives seeded 429/503 answers and still lands with the right hashes', async () => {
    const t = await startTestEmulator({ faultRate: 0.15, seed: 7 });
    try {
      const s = new Storage({ apiEndpoint: t.url, projectId: PROJECT, retryOptions: { maxRetries: 10, retryDelayMultiplier: 1.1, maxRetryDelay: 2, totalTimeout: 60 } });
      await s.createBucket('faulty-bucket', { location: 'us-central1' }, ).catch(async () => {
        // the create may have been answered 503 after taking effect, or not at all: converge
        const [exists] = await s.bucket('faulty-bucket').exists();
        if (!exists) await s.createBucket('faulty-bucket', { location: 'us-central1' });
      });
      const data = randomBytes(1024 * 1024 + 7);
      await s.bucket('faulty-bucket').file('big.bin').save(data, { resumable: true, chunkSize: 256 * 1024, preconditionOpts: { ifGenerationMatch: 0 } });
      const [m] = await s.bucket('faulty-bucket').file('big.bin').getMetadata();
      expect(m.md5Hash).toBe(md5(data));
      const faults = t.emu.requestLog.entries({}).filter((e) => e.fault === '503' || e.fault === '429');
      expect(faults.length).toBeGreaterThan(0);
    } finally {
      await t.stop();
    }
  });
});
