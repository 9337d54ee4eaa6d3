import { primaryZone } from '../../spec/regions.js';
import { Ctx, res, type RegionInfo } from '../context.js';
import { ref } from '../refs.js';
import { FORCE_DESTROY_LABEL } from '../kinds.js';
import { psaConnectionName } from './network.js';

/** Memorystore per region (seed §2.1). */
export function buildRedis(ctx: Ctx): void {
  const s = ctx.spec.redis;
  const psa = ctx.spec.network.privateServiceAccess.ranges.length > 0 ? [psaConnectionName()] : [];
  for (const r of ctx.regions) {
    const size = ctx.spec.tiers[r.tier].redis.memorySizeGb;
    ctx.add(
      res('redis.Instance', redisName(ctx, r), {
        tier: s.tier,
        memorySizeGb: size,
        redisVersion: s.redisVersion,
        // A Basic instance has no replicas; the API rejects replica settings on it.
        ...(s.tier === 'STANDARD_HA' ? { replicaCount: s.replicaCount, readReplicasMode: s.readReplicasMode } : {}),
        authorizedNetwork: ctx.networkName(),
        connectMode: s.connectMode,
        redisConfigs: s.redisConfigs,
        maintenancePolicy: {
          weeklyMaintenanceWindow: [{ day: s.maintenance.day, startTime: { hours: s.maintenance.hour, minutes: s.maintenance.minute } }],
        },
        labels: ctx.labels({ ...s.labels, tier: r.tier }),
      }, [ctx.networkName(), ...(s.connectMode === 'PRIVATE_SERVICE_ACCESS' ? psa : [])], { region: r.region, protect: s.preventDestroy }),
    );
  }
}

export function redisName(ctx: Ctx, r: RegionInfo): string {
  return ctx.located(r.region, 'instances', ctx.fill(ctx.spec.redis.name, r));
}

/** Cloud SQL: primaries in tier 1, cross-region replicas in tier 2 (seed §3.1). */
export function buildSql(ctx: Ctx): void {
  const s = ctx.spec.sql;
  const network = ctx.networkName();
  const psa = ctx.spec.network.privateServiceAccess.ranges.length > 0 ? [psaConnectionName()] : [];
  const ipConfiguration = {
    ipv4Enabled: s.ipv4Enabled,
    privateNetwork: network,
    requireSsl: s.requireSsl,
    // requireSsl alone is deprecated; sslMode is what the API enforces. They must agree.
    sslMode: s.requireSsl ? 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED' : 'ALLOW_UNENCRYPTED_AND_ENCRYPTED',
  };

  // Cloud SQL runs one operation per instance at a time, and a replica's create runs on its
  // primary too (it holds the primary: other writes to it get 409 operationInProgress). So
  // everything created on one primary — its cross-region replicas, its database, its user —
  // runs one after the other whatever the executor does (the engine's 'serial:sql/<primary>'
  // bucket, src/providers/sql.ts). The graph states that order as edges, so its critical path
  // counts what GCP really allows. GCP imposes only "one at a time"; the order is ours: the
  // replicas first (5-10 minutes each, and a region's Run service waits for its replica), in
  // spec order, then the database and the user (seconds each, nothing waits for them), which
  // is also what the engine's longest-path-first bucket picks. These edges are order-only
  // (Resource.orderAfter): --regions never pulls another region in through them.
  const familyOrder = new Map<string, string[]>();
  for (const p of ctx.tier1()) {
    familyOrder.set(p.region, ctx.regions.filter((x) => x.tier === 'tier2' && x.primary === p.region).map((x) => ctx.sqlInstanceName(x)));
  }
  /** The order-only predecessor of a replica: the replica before it on the same primary. */
  const previousReplica = (r: RegionInfo): string[] => {
    const chain = familyOrder.get(r.primary) ?? [];
    const i = chain.indexOf(ctx.sqlInstanceName(r));
    return i > 0 ? [chain[i - 1]!] : [];
  };

  for (const r of ctx.tier1()) {
    const sizing = ctx.spec.tiers.tier1.sql;
    const id = ctx.sqlInstanceId(r);
    const name = ctx.sqlInstanceName(r);
    const lastReplica = (familyOrder.get(r.region) ?? []).slice(-1);
    ctx.add(
      res('sql.Instance', name, {
        name: id,
        databaseVersion: s.databaseVersion,
        region: r.region,
        instanceType: 'CLOUD_SQL_INSTANCE',
        settings: {
          tier: sizing.tier,
          edition: s.edition,
          availabilityType: sizing.availabilityType,
          dataDiskType: s.diskType,
          // int64 fields travel as strings in the REST JSON.
          dataDiskSizeGb: String(s.diskSizeGb),
          storageAutoResize: s.diskAutoresize,
          storageAutoResizeLimit: String(s.diskAutoresizeLimitGb),
          backupConfiguration: {
            enabled: s.backup.enabled,
            startTime: s.backup.startTime,
            pointInTimeRecoveryEnabled: s.backup.pointInTimeRecovery,
            transactionLogRetentionDays: s.backup.transactionLogRetentionDays,
            backupRetentionSettings: { retainedBackups: s.backup.retainedBackups, retentionUnit: 'COUNT' },
          },
          locationPreference: { zone: primaryZone(r.region) },
          ipConfiguration,
          databaseFlags: Object.entries(s.flags).map(([flag, value]) => ({ name: flag, value })),
          maintenanceWindow: { day: s.maintenance.day, hour: s.maintenance.hour, updateTrack: s.maintenance.updateTrack },
          insightsConfig: {
            queryInsightsEnabled: s.insights.queryInsightsEnabled,
            queryPlansPerMinute: s.insights.queryPlansPerMinute,
            queryStringLength: s.insights.queryStringLength,
            recordApplicationTags: s.insights.recordApplicationTags,
          },
          deletionProtectionEnabled: s.deletionProtection,
          userLabels: ctx.labels({ tier: r.tier }),
        },
      }, [network, ...psa], { region: r.region, protect: s.deletionProtection || s.preventDestroy }),
    );
    const database = `${name}/databases/${s.database}`;
    ctx.add(res('sql.Database', database, { name: s.database, instance: id }, [name], { region: r.region, after: lastReplica }));
    const pwSecret = dbPasswordSecret(ctx, r);
    ctx.add(
      res('sql.User', `${name}/users/${s.user}`, {
        name: s.user,
        instance: id,
        // Never inline: the engine reads the generated password from Secret Manager.
        ...(pwSecret ? { password: ref(pwSecret, 'payload') } : {}),
      }, [name, ...(pwSecret ? [pwSecret] : [])], { region: r.region, after: [database] }),
    );
  }

  for (const r of ctx.regions.filter((x) => x.tier === 'tier2')) {
    const sizing = ctx.spec.tiers.tier2.sql;
    const primary = ctx.sqlInstanceName(ctx.info(r.primary));
    ctx.add(
      res('sql.Instance', ctx.sqlInstanceName(r), {
        name: ctx.sqlInstanceId(r),
        databaseVersion: s.databaseVersion,
        region: r.region,
        instanceType: 'READ_REPLICA_INSTANCE',
        masterInstanceName: `${ctx.p}:${ctx.sqlInstanceId(ctx.info(r.primary))}`,
        replicaConfiguration: { failoverTarget: s.replicaFailoverTarget },
        settings: {
          tier: sizing.tier,
          edition: s.edition,
          availabilityType: sizing.availabilityType,
          dataDiskType: s.diskType,
          ipConfiguration,
          userLabels: ctx.labels({ tier: r.tier }),
        },
      }, [primary, network, ...psa], { region: r.region, after: previousReplica(r) }),
    );
  }
}

/** The secret holding a primary's database password (valueFrom sql.password), if declared. */
export function dbPasswordSecret(ctx: Ctx, r: RegionInfo): string | undefined {
  const t = ctx.spec.secrets.find((s) => s.valueFrom === 'sql.password');
  return t ? ctx.secretName(ctx.fill(t.name, r)) : undefined;
}

/** Vector buckets per tier-1 region and the logs bucket (seed §4.1). */
export function buildStorage(ctx: Ctx): void {
  const v = ctx.spec.storage.vectors;
  const l = ctx.spec.storage.logs;
  const logsId = ctx.fill(l.name);
  const logs = bucketName(logsId);
  ctx.add(
    res('storage.Bucket', logs, {
      name: logsId,
      // The JSON API reports locations upper-case; we send them that way so diffs are clean.
      location: l.location.toUpperCase(),
      storageClass: l.storageClass,
      lifecycle: { rule: [{ action: { type: 'Delete' }, condition: { age: l.deleteAfterDays } }] },
      iamConfiguration: { publicAccessPrevention: l.publicAccessPrevention },
      labels: ctx.labels(),
    }, []),
  );
  for (const r of ctx.tier1()) {
    const id = ctx.fill(v.name, r);
    ctx.add(
      res('storage.Bucket', bucketName(id), {
        name: id,
        location: r.region.toUpperCase(),
        storageClass: v.storageClass,
        versioning: { enabled: v.versioning },
        lifecycle: {
          rule: v.lifecycleRules.map((rule) => ({
            action: { type: rule.action.type, ...(rule.action.storageClass ? { storageClass: rule.action.storageClass } : {}) },
            condition: rule.condition,
          })),
        },
        ...(v.cors.length > 0 ? { cors: v.cors } : {}),
        ...(v.kmsKeyName ? { encryption: { defaultKmsKeyName: ctx.fill(v.kmsKeyName, r) } } : {}),
        logging: { logBucket: logsId, logObjectPrefix: ctx.fill(v.accessLogPrefix, r) },
        iamConfiguration: { publicAccessPrevention: v.publicAccessPrevention, uniformBucketLevelAccess: { enabled: v.uniformBucketLevelAccess } },
        labels: ctx.labels({ ...v.labels, tier: r.tier, ...(v.forceDestroy ? { [FORCE_DESTROY_LABEL]: 'true' } : {}) }),
      }, [logs], { region: r.region }),
    );
  }
}

export function bucketName(id: string): string {
  return `projects/_/buckets/${id}`;
}

export function vectorBucketId(ctx: Ctx, r: RegionInfo): string {
  return ctx.fill(ctx.spec.storage.vectors.name, ctx.info(r.primary));
}
