import { DEFAULT_ENV, DEFAULT_SECRET_ENV } from '../../spec/schema.js';
import { Ctx, res, type RegionInfo } from '../context.js';
import { redisName } from './data.js';
import { connectorName } from './network.js';

const INGRESS = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-cloud-load-balancing': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
} as const;

/** Effective plain env of a region: the seed's defaults, then the spec's; "" removes. */
export function effectiveEnv(ctx: Ctx, r: RegionInfo): { name: string; value: string }[] {
  const merged = { ...DEFAULT_ENV, ...(ctx.spec.service.env ?? {}) };
  return Object.entries(merged)
    .filter(([, v]) => v !== '')
    .map(([name, v]) => ({ name, value: ctx.fill(v, r) }));
}

export function effectiveSecretEnv(ctx: Ctx, r: RegionInfo): { name: string; secret: string; version: string }[] {
  const merged = { ...DEFAULT_SECRET_ENV, ...(ctx.spec.service.secretEnv ?? {}) };
  // A seed default whose secret the spec does not declare is dropped rather than dangling.
  const declared = new Set(ctx.spec.secrets.map((s) => s.name));
  return Object.entries(merged)
    .filter(([name, ref]) => ctx.spec.service.secretEnv?.[name] || declared.has(ref.secret))
    .map(([name, ref]) => ({ name, secret: ctx.fill(ref.secret, r), version: ref.version }));
}

/** The Cloud Run v2 service per region (seed §1.1/§1.3) and its public invoker binding. */
export function buildRun(ctx: Ctx): void {
  const s = ctx.spec.service;
  const probe = (p: typeof s.probes.startup) => ({
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    httpGet: { path: p.path, port: s.port },
  });

  for (const r of ctx.regions) {
    const scaling = ctx.spec.tiers[r.tier].run;
    const name = ctx.runServiceName(r);
    const secretEnv = effectiveSecretEnv(ctx, r);
    const secretDeps = [...new Set(secretEnv.map((e) => ctx.secretName(e.secret)))];
    const sqlConn = `${ctx.p}:${r.region}:${ctx.sqlInstanceId(r)}`;
    const env = [
      ...effectiveEnv(ctx, r),
      ...secretEnv.map((e) => ({ name: e.name, valueSource: { secretKeyRef: { secret: e.secret, version: e.version } } })),
    ].sort((a, b) => a.name.localeCompare(b.name));

    ctx.add(
      res('run.Service', name, {
        labels: ctx.labels({ tier: r.tier }),
        launchStage: s.launchStage,
        ingress: INGRESS[s.ingress],
        template: {
          labels: ctx.labels({ tier: r.tier }),
          scaling: { minInstanceCount: scaling.minInstances, maxInstanceCount: scaling.maxInstances },
          vpcAccess: {
            connector: connectorName(ctx, r.region),
            egress: s.vpcEgress === 'all-traffic' ? 'ALL_TRAFFIC' : 'PRIVATE_RANGES_ONLY',
          },
          timeout: `${s.timeoutSeconds}s`,
          serviceAccount: ctx.serviceAccountEmail(r),
          executionEnvironment: s.executionEnvironment === 'gen2' ? 'EXECUTION_ENVIRONMENT_GEN2' : 'EXECUTION_ENVIRONMENT_GEN1',
          maxInstanceRequestConcurrency: s.concurrency,
          containers: [
            {
              name: 'ruvector',
              image: ctx.fill(s.image, r),
              ports: [{ name: 'http1', containerPort: s.port }],
              resources: {
                limits: { cpu: s.resources.limits.cpu, memory: s.resources.limits.memory },
                // cpuIdle = CPU throttled between requests; the seed keeps CPU always allocated.
                cpuIdle: s.cpuThrottling,
                startupCpuBoost: s.startupCpuBoost,
              },
              env,
              startupProbe: probe(s.probes.startup),
              livenessProbe: probe(s.probes.liveness),
              readinessProbe: probe(s.probes.readiness),
              volumeMounts: [{ name: 'cloudsql', mountPath: '/cloudsql' }],
            },
          ],
          volumes: [{ name: 'cloudsql', cloudSqlInstance: { instances: [sqlConn] } }],
        },
        traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
      }, [
        connectorName(ctx, r.region),
        ctx.serviceAccountName(r),
        ...secretDeps,
        // The seed orders the service after Redis and Cloud SQL (§1.3 depends_on).
        redisName(ctx, r),
        ctx.sqlInstanceName(r),
      ], { region: r.region }),
    );

    if (s.allowUnauthenticated) {
      ctx.add(
        res('iam.PolicyMembers', `${name}#iam`, {
          resource: name,
          bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }],
        }, [name], { region: r.region }),
      );
    }
  }
}
