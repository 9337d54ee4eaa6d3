import { Ctx, res } from '../context.js';
import { redisName } from './data.js';
import { connectorName } from './network.js';
import { effectiveEnv, effectiveSecretEnv } from './env.js';
import { pushAuthEnv } from './push-auth.js';

const INGRESS = {
  all: 'INGRESS_TRAFFIC_ALL',
  internal: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'internal-and-cloud-load-balancing': 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
} as const;

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
    // The push subscription's audience and signer, which the service checks every push against.
    const pushEnv = pushAuthEnv(ctx, r);
    const env = [
      ...effectiveEnv(ctx, r).filter((e) => !(e.name in pushEnv)),
      ...Object.entries(pushEnv).map(([name, value]) => ({ name, value })),
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
