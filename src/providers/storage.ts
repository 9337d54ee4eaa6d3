/** Cloud Storage buckets through @google-cloud/storage (JSON API). */
import type { Bucket, GetBucketsRequest } from '@google-cloud/storage';
import { isNotFound } from '../gcp/errors.js';
import { FORCE_DESTROY_LABEL } from '../topology/kinds.js';
import type { Observed } from '../engine/types.js';
import { diffFields, topOf } from './diff.js';
import { labelsOf, lastSegment, ownerOf, readOnce, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

function observed(ctx: ProviderContext, meta: Obj): Observed {
  const id = String(meta.name ?? meta.id);
  const labels = labelsOf(meta);
  const loc = String(meta.location ?? '').toLowerCase();
  return {
    kind: 'storage.Bucket',
    name: `projects/_/buckets/${id}`,
    // A bucket in one region belongs to it for --regions; multi-regions (US, EU) are global.
    region: /[0-9]$/.test(loc) ? loc : undefined,
    raw: meta,
    labels,
    owner: ownerOf(labels),
    version: meta.metageneration === undefined ? undefined : String(meta.metageneration),
  };
}

const bucket = (ctx: ProviderContext, name: string): Bucket => ctx.clients.storage.bucket(lastSegment(name));

export const storageProviders: Provider[] = [
  {
    kind: 'storage.Bucket',
    api: 'storage',
    scope: 'global',
    createSeconds: 2,
    immutable: ['location', 'name', 'encryption'],

    async list(ctx, regions) {
      const out: Observed[] = [];
      // Page by page, so that a failed page is asked for again rather than the whole list.
      let query: GetBucketsRequest | null = { autoPaginate: false };
      while (query) {
        const q: GetBucketsRequest = query;
        const [buckets, next] = await readOnce(ctx, () => ctx.clients.storage.getBuckets(q));
        for (const b of buckets) out.push(observed(ctx, b.metadata as Obj));
        query = next ? { ...next, autoPaginate: false } : null;
      }
      return out.filter((o) => o.region === undefined || regions.includes(o.region));
    },

    async get(ctx, r) {
      try {
        const [meta] = await bucket(ctx, r.name).getMetadata();
        return observed(ctx, meta as Obj);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    diff(r, o) {
      return diffFields(r.spec, o.raw, { unordered: ['lifecycle.rule'] });
    },

    async create(ctx, r) {
      const { name: _name, ...meta } = r.spec;
      await ctx.clients.storage.createBucket(lastSegment(r.name), meta as Parameters<typeof ctx.clients.storage.createBucket>[1]);
    },

    async update(ctx, r, o, changes) {
      const tops = [...new Set(changes.map((c) => topOf(c.path)))];
      const patch: Obj = {};
      for (const t of tops) patch[t] = r.spec[t];
      // Labels PATCH merges; a label we no longer want would need an explicit null (we only add).
      await bucket(ctx, r.name).setMetadata(patch, { ifMetagenerationMatch: o.version });
    },

    async delete(ctx, o) {
      const b = bucket(ctx, o.name);
      // Only a bucket whose spec says forceDestroy (carried as a label, so it holds even after
      // the spec dropped the bucket) loses its objects; any other non-empty bucket refuses
      // deletion, as Cloud Storage does, and destroy reports it.
      if (o.labels[FORCE_DESTROY_LABEL] === 'true') await b.deleteFiles({ versions: true, force: true });
      await b.delete();
    },
  },
];
