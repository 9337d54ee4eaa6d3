import { usesPrimaryRegion, usesRegion } from '../../spec/names.js';
import { Ctx, res, type RegionInfo } from '../context.js';
import { bucketName, dbPasswordSecret, redisName, vectorBucketId } from './data.js';

/** Service accounts (one per region when the id template names the region) and project roles. */
export function buildServiceAccounts(ctx: Ctx): void {
  const sa = ctx.spec.iam.serviceAccount;
  const seen = new Set<string>();
  for (const r of ctx.regions) {
    const name = ctx.serviceAccountName(r);
    if (seen.has(name)) continue;
    seen.add(name);
    ctx.add(
      res('iam.ServiceAccount', name, {
        accountId: ctx.fill(sa.accountId, r),
        displayName: ctx.fill(sa.displayName, r),
        description: ctx.marker(),
      }, [], usesRegion(sa.accountId) ? { region: undefined, homeRegion: r.region } : {}),
    );
  }
  const members = [...new Set(ctx.regions.map((r) => `serviceAccount:${ctx.serviceAccountEmail(r)}`))];
  const bindings: { role: string; members: string[]; condition?: { title: string; description: string; expression: string } }[] =
    ctx.spec.iam.projectRoles.map((role) => ({ role, members }));
  const read = vectorBucketReaders(ctx, members);
  if (read) bindings.push(read);
  if (bindings.length > 0) {
    ctx.add(res('iam.PolicyMembers', `projects/${ctx.p}#iam`, { resource: `projects/${ctx.p}`, bindings }, [...seen]));
  }
}

/**
 * Cross-region replication: a region reads the vectors other regions announce from the
 * writer's bucket (service/src/replication/receiver.ts), so with more than one vector bucket
 * every service account may read objects in all of them — and, by the condition, nothing else.
 * A project-level conditional grant keeps each bucket's own policy local to its region.
 */
function vectorBucketReaders(ctx: Ctx, members: string[]) {
  const buckets = [...new Set(ctx.regions.map((r) => vectorBucketId(ctx, r)))].sort();
  if (buckets.length < 2) return undefined;
  return {
    role: 'roles/storage.objectViewer',
    members,
    condition: {
      title: 'ruvector-vector-buckets',
      description: 'cross-region replication reads other regions\' vector batches',
      expression: buckets.map((b) => `resource.name.startsWith("projects/_/buckets/${b}/objects/")`).join(' || '),
    },
  };
}

/**
 * Secrets: a name with ${region} is one secret per region, with ${primaryRegion} one per
 * tier-1 region, otherwise one. The value source travels as an annotation the deploy reads.
 */
export function buildSecrets(ctx: Ctx): void {
  const seen = new Set<string>();
  for (const s of ctx.spec.secrets) {
    const scope: RegionInfo[] = usesRegion(s.name) ? ctx.regions : usesPrimaryRegion(s.name) ? ctx.tier1() : [ctx.regions[0]!];
    for (const r of scope) {
      const name = ctx.secretName(ctx.fill(s.name, r));
      if (seen.has(name)) continue;
      seen.add(name);
      const deps: string[] = [];
      let valueFrom: string = s.valueFrom;
      if (s.valueFrom === 'redis.host') {
        const redis = redisName(ctx, r);
        valueFrom = `${redis}#host`;
        deps.push(redis);
      } else if (s.valueFrom === 'sql.password' || s.valueFrom === 'generated') {
        valueFrom = 'generate:password:32';
      } else if (s.valueFrom === 'sql.user') {
        valueFrom = `literal:${ctx.spec.sql.user}`;
      }
      const perRegion = usesRegion(s.name) || usesPrimaryRegion(s.name);
      ctx.add(
        res('secretmanager.Secret', name, {
          replication: { automatic: {} },
          labels: ctx.labels(perRegion ? { region: r.region } : {}),
          annotations: { 'ruvector-value-from': valueFrom },
        }, deps, perRegion ? { homeRegion: r.region } : {}),
      );
    }
  }
}

/**
 * Bucket roles for each region's service account on the vector bucket it uses (seed §4.1;
 * tier-2 regions use their primary's bucket). One resource per member, named
 * "<bucket>#iam/<member>", so each region owns its own grant and --regions stays local.
 */
export function buildBucketIam(ctx: Ctx): void {
  if (ctx.spec.iam.bucketRoles.length === 0) return;
  // One service account shared by every region (an accountId without a region placeholder)
  // meets the same bucket once per region that reads it: one grant, not a duplicate.
  const seen = new Set<string>();
  for (const r of ctx.regions) {
    const bucket = bucketName(vectorBucketId(ctx, r));
    const member = `serviceAccount:${ctx.serviceAccountEmail(r)}`;
    if (seen.has(`${bucket}#iam/${member}`)) continue;
    seen.add(`${bucket}#iam/${member}`);
    ctx.add(
      res('iam.PolicyMembers', `${bucket}#iam/${member}`, {
        resource: bucket,
        bindings: ctx.spec.iam.bucketRoles.map((role) => ({ role, members: [member] })),
      }, [bucket, ctx.serviceAccountName(r)], { homeRegion: r.region }),
    );
  }
}

export { dbPasswordSecret };
