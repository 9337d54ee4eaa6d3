import { describe, expect, it } from 'vitest';
import { primaryOf } from '../../../src/spec/index.js';
import { countByKind, expandTopology, findRefs, graphProblems, RESOURCE_KINDS, topoWaves } from '../../../src/topology/index.js';
import { get, minimal, P, production } from './helpers.js';

const { spec, graph } = production();

describe('production template: counts per kind', () => {
  it('expands to every resource of the seed (286, with IAM members and secrets)', () => {
    expect(countByKind(graph)).toEqual({
      'compute.Network': 1,
      'compute.Firewall': 3,
      'compute.GlobalAddress': 3, // 2 private service access ranges + the LB address
      'servicenetworking.Connection': 1,
      'compute.Subnetwork': 30, // 15 service subnets + 15 connector subnets
      'vpcaccess.Connector': 15,
      'compute.Router': 15, // Cloud NAT lives inside each router
      'iam.ServiceAccount': 15,
      'iam.PolicyMembers': 31, // project roles + a bucket grant per region + 15 run.invoker
      'redis.Instance': 15,
      'secretmanager.Secret': 22, // 15 redis hosts + db user + 5 db passwords + the API key
      'sql.Instance': 15, // 5 primaries + 10 replicas
      'sql.Database': 5,
      'sql.User': 5,
      'storage.Bucket': 6, // 5 vector buckets + logs
      'run.Service': 15,
      'pubsub.Schema': 1,
      'pubsub.Topic': 4,
      'pubsub.Subscription': 30, // vector-updates + agent-coordination per region
      'compute.SecurityPolicy': 1,
      'compute.RegionNetworkEndpointGroup': 15,
      'compute.HealthCheck': 15,
      'compute.BackendService': 15,
      'compute.UrlMap': 2,
      'compute.SslCertificate': 1,
      'compute.SslPolicy': 1,
      'compute.TargetHttpsProxy': 1,
      'compute.GlobalForwardingRule': 2,
      'compute.TargetHttpProxy': 1,
    });
    expect(graph.resources).toHaveLength(286);
  });

  it('uses only documented kinds', () => {
    for (const r of graph.resources) expect(RESOURCE_KINDS).toContain(r.kind);
  });
});

describe('production template: resources field by field against the seed', () => {
  it('Memorystore in a tier-1 region (§2.1)', () => {
    const r = get(graph, `${P}/locations/us-central1/instances/ruvector-redis-us-central1`);
    expect(r.region).toBe('us-central1');
    expect(r.protect).toBe(true); // prevent_destroy
    expect(r.spec).toEqual({
      tier: 'STANDARD_HA',
      memorySizeGb: 256,
      redisVersion: 'REDIS_7_0',
      replicaCount: 1,
      readReplicasMode: 'READ_REPLICAS_ENABLED',
      authorizedNetwork: `${P}/global/networks/ruvector-vpc`,
      connectMode: 'PRIVATE_SERVICE_ACCESS',
      redisConfigs: {
        'maxmemory-policy': 'allkeys-lru',
        timeout: '300',
        'tcp-keepalive': '60',
        'maxmemory-samples': '10',
        activedefrag: 'yes',
        'active-defrag-cycle-min': '5',
        'active-defrag-cycle-max': '75',
        'lfu-log-factor': '10',
        'lfu-decay-time': '1',
      },
      maintenancePolicy: { weeklyMaintenanceWindow: [{ day: 'SUNDAY', startTime: { hours: 2, minutes: 0 } }] },
      labels: { environment: 'production', service: 'ruvector', tier: 'tier1', 'managed-by': 'ruvector', 'ruvector-topology': 'ruvector-prod' },
    });
    expect(get(graph, `${P}/locations/me-west1/instances/ruvector-redis-me-west1`).spec.memorySizeGb).toBe(128);
  });

  it('Cloud SQL primary (§3.1)', () => {
    const r = get(graph, `${P}/instances/ruvector-db-europe-west1`);
    expect(r.protect).toBe(true);
    const s = r.spec as { settings: Record<string, unknown> } & Record<string, unknown>;
    expect(s.databaseVersion).toBe('POSTGRES_15');
    expect(s.region).toBe('europe-west1');
    expect(s.settings).toMatchObject({
      tier: 'db-custom-4-16384',
      edition: 'ENTERPRISE',
      availabilityType: 'REGIONAL',
      dataDiskType: 'PD_SSD',
      dataDiskSizeGb: '100',
      storageAutoResize: true,
      storageAutoResizeLimit: '500',
      backupConfiguration: {
        enabled: true,
        startTime: '03:00',
        pointInTimeRecoveryEnabled: true,
        transactionLogRetentionDays: 7,
        backupRetentionSettings: { retainedBackups: 30, retentionUnit: 'COUNT' },
      },
      // europe-west1 has no zone "a": the seed's "${region}-a" would be rejected.
      locationPreference: { zone: 'europe-west1-b' },
      ipConfiguration: { ipv4Enabled: false, privateNetwork: `${P}/global/networks/ruvector-vpc`, requireSsl: true, sslMode: 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED' },
      maintenanceWindow: { day: 7, hour: 3, updateTrack: 'stable' },
      insightsConfig: { queryInsightsEnabled: true, queryPlansPerMinute: 5, queryStringLength: 4096, recordApplicationTags: true },
      deletionProtectionEnabled: true,
    });
    expect(s.settings.databaseFlags).toEqual([
      { name: 'max_connections', value: '1000' },
      { name: 'shared_buffers', value: '524288' },
      { name: 'effective_cache_size', value: '1572864' },
      { name: 'maintenance_work_mem', value: '1048576' },
      { name: 'checkpoint_completion_target', value: '0.9' },
      { name: 'wal_buffers', value: '2048' },
      { name: 'default_statistics_target', value: '100' },
      { name: 'random_page_cost', value: '1.1' },
      { name: 'effective_io_concurrency', value: '200' },
    ]);
  });

  it("Cloud SQL replicas follow the seed's nearest-primary map", () => {
    const expected: Record<string, string> = {
      'us-east1': 'us-central1', 'us-west1': 'us-central1', 'europe-west2': 'europe-west1', 'europe-west3': 'europe-west1',
      'europe-north1': 'europe-west1', 'asia-south1': 'asia-southeast1', 'asia-east1': 'asia-northeast1',
      'australia-southeast1': 'asia-southeast1', 'northamerica-northeast1': 'us-central1', 'me-west1': 'europe-west1',
    };
    for (const [replica, primary] of Object.entries(expected)) {
      expect(primaryOf(spec, replica)).toBe(primary);
      const r = get(graph, `${P}/instances/ruvector-db-${replica}-replica`);
      expect(r.spec.masterInstanceName).toBe(`ruvector-prod:ruvector-db-${primary}`);
      expect(r.dependsOn).toContain(`${P}/instances/ruvector-db-${primary}`);
      expect(r.spec).toMatchObject({ instanceType: 'READ_REPLICA_INSTANCE', replicaConfiguration: { failoverTarget: false }, settings: { tier: 'db-custom-2-8192', availabilityType: 'ZONAL', dataDiskType: 'PD_SSD' } });
      expect(r.protect).toBeUndefined();
    }
  });

  it("subnets follow the seed's cidrsubnet layout (§6.1)", () => {
    // asia-southeast1 is index 3; me-west1 is index 14.
    expect(get(graph, `${P}/regions/asia-southeast1/subnetworks/ruvector-subnet-asia-southeast1`).spec).toMatchObject({
      ipCidrRange: '10.3.0.0/16',
      privateIpGoogleAccess: true,
      secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.103.0.0/16' }, { rangeName: 'services', ipCidrRange: '10.203.0.0/16' }],
      logConfig: { enable: true, aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
    });
    expect(get(graph, `${P}/regions/me-west1/subnetworks/ruvector-subnet-me-west1`).spec.ipCidrRange).toBe('10.14.0.0/16');
    expect(get(graph, `${P}/regions/me-west1/subnetworks/connector-subnet-me-west1`).spec.ipCidrRange).toBe('10.129.14.0/28');
  });

  it('VPC Access connectors and Cloud NAT (§6.1)', () => {
    const c = get(graph, `${P}/locations/northamerica-northeast1/connectors/ruvector-conn-nane1`);
    expect(c.spec).toEqual({ subnet: { name: 'connector-subnet-northamerica-northeast1', projectId: 'ruvector-prod' }, minThroughput: 200, maxThroughput: 1000 });
    expect(c.dependsOn).toEqual([`${P}/regions/northamerica-northeast1/subnetworks/connector-subnet-northamerica-northeast1`]);
    for (const r of graph.resources.filter((x) => x.kind === 'vpcaccess.Connector')) {
      expect(r.name.split('/').pop()!.length).toBeLessThanOrEqual(25);
    }
    expect(get(graph, `${P}/regions/us-west1/routers/ruvector-router-us-west1`).spec.nats).toEqual([
      { name: 'ruvector-nat-us-west1', natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES', logConfig: { enable: true, filter: 'ERRORS_ONLY' } },
    ]);
  });

  it('Cloud Run service in a tier-2 region (§1.1, §1.3)', () => {
    const r = get(graph, `${P}/locations/us-east1/services/ruvector-streaming`);
    const t = (r.spec as { template: Record<string, unknown> }).template as Record<string, unknown> & { containers: Record<string, unknown>[] };
    expect(t.scaling).toEqual({ minInstanceCount: 100, maxInstanceCount: 1000 });
    expect(t.maxInstanceRequestConcurrency).toBe(100);
    expect(t.timeout).toBe('300s');
    expect(t.executionEnvironment).toBe('EXECUTION_ENVIRONMENT_GEN2');
    expect(t.vpcAccess).toEqual({ connector: `${P}/locations/us-east1/connectors/ruvector-conn-use1`, egress: 'PRIVATE_RANGES_ONLY' });
    const c = t.containers[0]!;
    expect(c.resources).toEqual({ limits: { cpu: '4', memory: '16Gi' }, cpuIdle: false, startupCpuBoost: true });
    expect(c.startupProbe).toEqual({ initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 240, httpGet: { path: '/health/startup', port: 8080 } });
    expect(c.readinessProbe).toEqual({ initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, httpGet: { path: '/health/ready', port: 8080 } });
    const env = Object.fromEntries((c.env as { name: string; value?: string; valueSource?: unknown }[]).map((e) => [e.name, e.value ?? e.valueSource]));
    expect(env).toMatchObject({
      REGION: 'us-east1',
      REDIS_PORT: '6379',
      DB_HOST: '/cloudsql/ruvector-prod:us-east1:ruvector-db-us-east1-replica',
      STORAGE_BUCKET: 'ruvector-vectors-us-central1',
      PUBSUB_TOPIC: 'projects/ruvector-prod/topics/vector-updates',
      HNSW_M: '32',
      REDIS_HOST: { secretKeyRef: { secret: 'ruvector-redis-host-us-east1', version: 'latest' } },
      DB_PASSWORD: { secretKeyRef: { secret: 'ruvector-db-password-us-central1', version: 'latest' } },
    });
    expect(get(graph, `${P}/locations/us-central1/services/ruvector-streaming`).spec).toMatchObject({ template: { scaling: { minInstanceCount: 800, maxInstanceCount: 8000 } } });
    expect(get(graph, `${r.name}#iam`).spec).toEqual({ resource: r.name, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] });
  });

  it('vector bucket (§4.1)', () => {
    const b = get(graph, 'projects/_/buckets/ruvector-vectors-asia-northeast1');
    expect(b.spec).toMatchObject({
      location: 'ASIA-NORTHEAST1',
      storageClass: 'STANDARD',
      versioning: { enabled: true },
      lifecycle: {
        rule: [
          { action: { type: 'Delete' }, condition: { age: 30, numNewerVersions: 3 } },
          { action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 7, daysSinceNoncurrentTime: 7 } },
        ],
      },
      cors: [{ origin: ['https://app.example.com'], method: ['GET', 'HEAD'], responseHeader: ['Content-Type'], maxAgeSeconds: 3600 }],
      encryption: { defaultKmsKeyName: 'projects/ruvector-prod/locations/asia-northeast1/keyRings/ruvector/cryptoKeys/storage-asia-northeast1' },
      logging: { logBucket: 'ruvector-logs-ruvector-prod', logObjectPrefix: 'storage-logs/asia-northeast1/' },
      iamConfiguration: { publicAccessPrevention: 'enforced', uniformBucketLevelAccess: { enabled: true } },
    });
    expect(get(graph, 'projects/_/buckets/ruvector-logs-ruvector-prod').spec).toMatchObject({
      location: 'US', storageClass: 'COLDLINE', lifecycle: { rule: [{ action: { type: 'Delete' }, condition: { age: 90 } }] },
    });
    // asia-northeast1's own service account and asia-east1's (its replica region) get the seed's two roles
    const grants = graph.resources.filter((r) => r.kind === 'iam.PolicyMembers' && r.name.startsWith('projects/_/buckets/ruvector-vectors-asia-northeast1#iam/'));
    expect(grants.map((g) => g.homeRegion)).toEqual(['asia-northeast1', 'asia-east1']);
    expect(grants[1]!.spec).toEqual({
      resource: 'projects/_/buckets/ruvector-vectors-asia-northeast1',
      bindings: [
        { role: 'roles/storage.objectViewer', members: ['serviceAccount:ruvector-service-ase1@ruvector-prod.iam.gserviceaccount.com'] },
        { role: 'roles/storage.objectCreator', members: ['serviceAccount:ruvector-service-ase1@ruvector-prod.iam.gserviceaccount.com'] },
      ],
    });
  });

  it('Pub/Sub topic, schema and push subscription (§5.1)', () => {
    expect(get(graph, `${P}/topics/vector-updates`).spec).toMatchObject({
      messageStoragePolicy: { allowedPersistenceRegions: ['us-central1', 'europe-west1', 'asia-northeast1'] },
      schemaSettings: { schema: `${P}/schemas/vector-update-schema`, encoding: 'JSON' },
    });
    expect(JSON.parse(get(graph, `${P}/schemas/vector-update-schema`).spec.definition as string)).toMatchObject({ type: 'record', name: 'VectorUpdate' });
    expect(get(graph, `${P}/topics/agent-coordination`).spec.messageStoragePolicy).toEqual({ allowedPersistenceRegions: spec.regions.tier1 });
    const sub = get(graph, `${P}/subscriptions/vector-updates-asia-south1`);
    expect(sub.spec).toMatchObject({
      topic: `${P}/topics/vector-updates`,
      ackDeadlineSeconds: 30,
      messageRetentionDuration: '86400s',
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      expirationPolicy: {},
      pushConfig: {
        pushEndpoint: `\${ref:${P}/locations/asia-south1/services/ruvector-streaming#uri}/api/v1/pubsub/vector-updates`,
        oidcToken: { serviceAccountEmail: 'ruvector-service-ass1@ruvector-prod.iam.gserviceaccount.com', audience: `//run.googleapis.com/${P}/locations/asia-south1/services/ruvector-streaming/api/v1/pubsub/vector-updates` },
        attributes: { 'x-goog-version': 'v1' },
      },
      deadLetterPolicy: { deadLetterTopic: `${P}/topics/dead-letter`, maxDeliveryAttempts: 5 },
    });
    expect(findRefs(sub.spec)).toEqual([{ name: `${P}/locations/asia-south1/services/ruvector-streaming`, field: 'uri' }]);
    expect(get(graph, `${P}/subscriptions/agent-coordination-asia-south1`).spec).toMatchObject({ ackDeadlineSeconds: 20, messageRetentionDuration: '3600s' });
    expect(get(graph, `${P}/topics/dead-letter`).spec.messageRetentionDuration).toBe('604800s');
  });

  it('backend service with CDN policy and the security policy (§7.1, §7.2)', () => {
    const b = get(graph, `${P}/global/backendServices/ruvector-backend-europe-west2`);
    expect(b.region).toBeUndefined();
    expect(b.homeRegion).toBe('europe-west2');
    expect(b.spec).toMatchObject({
      protocol: 'HTTP2', portName: 'http', timeoutSec: 300, enableCDN: true, sessionAffinity: 'CLIENT_IP', affinityCookieTtlSec: 300,
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      backends: [{ group: `${P}/regions/europe-west2/networkEndpointGroups/ruvector-neg-europe-west2`, balancingMode: 'UTILIZATION', capacityScaler: 1, maxUtilization: 0.8 }],
      cdnPolicy: {
        cacheMode: 'CACHE_ALL_STATIC', defaultTtl: 30, maxTtl: 300, clientTtl: 30, negativeCaching: true,
        negativeCachingPolicy: [{ code: 404, ttl: 60 }],
        cacheKeyPolicy: { includeProtocol: true, includeHost: true, includeQueryString: true, queryStringWhitelist: ['query_vector_id', 'k', 'metric'] },
      },
      logConfig: { enable: true, sampleRate: 0.1 },
      securityPolicy: `${P}/global/securityPolicies/ruvector-security-policy`,
    });
  });

  it('Cloud Armor rules in priority order, the empty deny list left out (§7.2)', () => {
    const p = get(graph, `${P}/global/securityPolicies/ruvector-security-policy`).spec as { rules: Record<string, unknown>[] };
    expect(p.rules.map((r) => [r.priority, r.action])).toEqual([
      [200, 'deny(403)'], [300, 'deny(403)'], [400, 'deny(403)'], [1000, 'rate_based_ban'], [2147483647, 'allow'],
    ]);
    expect(p.rules[3]!.rateLimitOptions).toEqual({
      conformAction: 'allow', exceedAction: 'deny(429)', enforceOnKey: 'IP', rateLimitThreshold: { count: 100, intervalSec: 10 }, banDurationSec: 600,
    });
    expect(p.rules[2]!.match).toEqual({ expr: { expression: "origin.region_code in ['CN', 'RU', 'KP']" } });
    expect(p).toMatchObject({ adaptiveProtectionConfig: { layer7DdosDefenseConfig: { enable: true } } });
  });

  it('URL map routes X-Client-Region to the seed regions; HTTPS front end and redirect (§7.1)', () => {
    const m = get(graph, `${P}/global/urlMaps/ruvector-url-map`).spec as { pathMatchers: { routeRules: { priority: number; service: string; matchRules: unknown[] }[] }[] };
    expect(m.pathMatchers[0]!.routeRules.map((r) => [r.priority, r.service.split('/').pop()])).toEqual([
      [1, 'ruvector-backend-us-central1'], [2, 'ruvector-backend-europe-west1'], [3, 'ruvector-backend-asia-northeast1'],
    ]);
    expect(m.pathMatchers[0]!.routeRules[1]!.matchRules).toEqual([{ prefixMatch: '/', headerMatches: [{ headerName: 'X-Client-Region', exactMatch: 'eu' }] }]);
    expect(get(graph, `${P}/global/targetHttpsProxies/ruvector-https-proxy`).spec).toMatchObject({
      urlMap: `${P}/global/urlMaps/ruvector-url-map`, sslCertificates: [`${P}/global/sslCertificates/ruvector-ssl-cert`], sslPolicy: `${P}/global/sslPolicies/ruvector-ssl-policy`,
    });
    expect(get(graph, `${P}/global/sslPolicies/ruvector-ssl-policy`).spec).toMatchObject({ profile: 'MODERN', minTlsVersion: 'TLS_1_2' });
    expect(get(graph, `${P}/global/forwardingRules/ruvector-http-forwarding`).spec).toMatchObject({
      IPProtocol: 'TCP', loadBalancingScheme: 'EXTERNAL_MANAGED', portRange: '80', target: `${P}/global/targetHttpProxies/ruvector-http-proxy`, IPAddress: `${P}/global/addresses/ruvector-global-ip`,
    });
    expect(get(graph, `${P}/global/urlMaps/ruvector-redirect`).spec.defaultUrlRedirect).toEqual({ httpsRedirect: true, redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT', stripQuery: false });
  });

  it('one private service access connection carries both reserved ranges (§6.2)', () => {
    expect(get(graph, 'services/servicenetworking.googleapis.com/connections/servicenetworking-googleapis-com').spec).toEqual({
      network: `${P}/global/networks/ruvector-vpc`,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: ['ruvector-redis-private-ip', 'ruvector-sql-private-ip'],
    });
  });
});

describe('ownership markers', () => {
  it('labelled kinds carry managed-by and ruvector-topology; the others a description marker', () => {
    const byOwnParent = new Set(['servicenetworking.Connection', 'sql.Database', 'sql.User', 'iam.PolicyMembers', 'vpcaccess.Connector', 'pubsub.Schema']);
    for (const r of graph.resources) {
      if (byOwnParent.has(r.kind)) continue;
      const labels = (r.spec.labels ?? (r.spec.settings as { userLabels?: Record<string, string> } | undefined)?.userLabels) as Record<string, string> | undefined;
      if (labels) {
        expect(labels, r.name).toMatchObject({ 'managed-by': 'ruvector', 'ruvector-topology': 'ruvector-prod' });
      } else {
        expect(r.spec.description, r.name).toBe('managed-by=ruvector ruvector-topology=ruvector-prod');
      }
    }
  });
});

describe('the graph', () => {
  it('is acyclic and every edge points at an existing node', () => {
    expect(graphProblems(graph)).toEqual([]);
    expect(graphProblems(minimal())).toEqual([]);
  });

  it("orders resources the way GCP needs them", () => {
    const wave = new Map<string, number>();
    topoWaves(graph).forEach((w, i) => w.forEach((r) => wave.set(r.name, i)));
    const before = (a: string, b: string) => {
      expect(wave.get(a), `${a} before ${b}`).toBeLessThan(wave.get(b)!);
      expect(graph.byName.get(b)!.dependsOn.length).toBeGreaterThan(0);
    };
    const r = 'asia-east1';
    before(`${P}/regions/${r}/subnetworks/connector-subnet-${r}`, `${P}/locations/${r}/connectors/ruvector-conn-ase1`);
    before(`${P}/instances/ruvector-db-asia-northeast1`, `${P}/instances/ruvector-db-${r}-replica`);
    before(`${P}/locations/${r}/services/ruvector-streaming`, `${P}/regions/${r}/networkEndpointGroups/ruvector-neg-${r}`);
    for (const dep of [`${P}/regions/${r}/networkEndpointGroups/ruvector-neg-${r}`, `${P}/global/securityPolicies/ruvector-security-policy`]) {
      before(dep, `${P}/global/backendServices/ruvector-backend-${r}`);
    }
    before(`${P}/global/backendServices/ruvector-backend-us-central1`, `${P}/global/urlMaps/ruvector-url-map`);
    for (const dep of [`${P}/global/urlMaps/ruvector-url-map`, `${P}/global/sslCertificates/ruvector-ssl-cert`, `${P}/global/sslPolicies/ruvector-ssl-policy`]) {
      before(dep, `${P}/global/targetHttpsProxies/ruvector-https-proxy`);
    }
    before(`${P}/global/targetHttpsProxies/ruvector-https-proxy`, `${P}/global/forwardingRules/ruvector-https-forwarding`);
    before(`${P}/global/addresses/ruvector-global-ip`, `${P}/global/forwardingRules/ruvector-https-forwarding`);
    before(`${P}/global/addresses/ruvector-sql-private-ip`, 'services/servicenetworking.googleapis.com/connections/servicenetworking-googleapis-com');
    for (const dep of [`${P}/topics/vector-updates`, `${P}/schemas/vector-update-schema`, `${P}/topics/dead-letter`]) {
      before(dep, `${P}/subscriptions/vector-updates-${r}`);
    }
  });

  it('orders every two Cloud SQL writes GCP runs one at a time on a primary (replicas, then database, then user)', () => {
    // The family GCP serialises: a primary, its replicas (their create holds it), its database and user.
    const familyOf = (r: (typeof graph.resources)[number]): string | undefined => {
      if (!r.kind.startsWith('sql.')) return undefined;
      const master = r.spec.masterInstanceName;
      if (typeof master === 'string') return master.slice(master.indexOf(':') + 1);
      return /instances\/([^/]+)/.exec(r.name)![1];
    };
    const reaches = (from: string, to: string): boolean => {
      const seen = new Set<string>();
      const stack = [from];
      while (stack.length) {
        const n = stack.pop()!;
        if (n === to) return true;
        if (seen.has(n)) continue;
        seen.add(n);
        stack.push(...graph.byName.get(n)!.dependsOn);
      }
      return false;
    };
    const families = new Map<string, string[]>();
    for (const r of graph.resources) {
      const f = familyOf(r);
      if (f) families.set(f, [...(families.get(f) ?? []), r.name]);
    }
    expect(families.size).toBe(5);
    for (const members of families.values()) {
      for (const a of members) for (const b of members) if (a < b) expect(reaches(a, b) || reaches(b, a), `${a} vs ${b}`).toBe(true);
    }
    // The order itself: replicas in spec order, then the database, then the user.
    const db = (p: string) => `${P}/instances/ruvector-db-${p}/databases/ruvector`;
    const replica = (r: string) => `${P}/instances/ruvector-db-${r}-replica`;
    expect(get(graph, replica('europe-west2')).orderAfter).toBeUndefined();
    expect(get(graph, replica('europe-west3')).orderAfter).toEqual([replica('europe-west2')]);
    expect(get(graph, replica('europe-north1')).orderAfter).toEqual([replica('europe-west3')]);
    expect(get(graph, replica('me-west1')).orderAfter).toEqual([replica('europe-north1')]);
    expect(get(graph, db('europe-west1')).orderAfter).toEqual([replica('me-west1')]);
    expect(get(graph, `${P}/instances/ruvector-db-europe-west1/users/ruvector`).orderAfter).toEqual([db('europe-west1')]);
    // A primary without replicas: database, then user.
    expect(get(graph, db('southamerica-east1')).orderAfter).toBeUndefined();
    expect(get(graph, `${P}/instances/ruvector-db-southamerica-east1/users/ruvector`).orderAfter).toEqual([db('southamerica-east1')]);
    // Order-only edges are edges like any other, and never stand for a need.
    for (const r of graph.resources) {
      for (const a of r.orderAfter ?? []) {
        expect(r.dependsOn, r.name).toContain(a);
        expect(familyOf(graph.byName.get(a)!), r.name).toBe(familyOf(r));
      }
    }
    // Only GCP's serialisation: 6 replica -> replica, 4 database -> last replica, 5 user -> database.
    expect(graph.resources.flatMap((r) => r.orderAfter ?? [])).toHaveLength(15);
    expect(graph.resources.reduce((n, r) => n + r.dependsOn.length, 0)).toBe(530); // 515 before the order edges
    expect(topoWaves(graph)).toHaveLength(11);
  });

  it('protects what the seed protects: Redis (prevent_destroy) and SQL primaries (deletion_protection)', () => {
    const protectedKinds = countByKind({ resources: graph.resources.filter((r) => r.protect), byName: new Map() });
    expect(protectedKinds).toEqual({ 'redis.Instance': 15, 'sql.Instance': 5 });
  });

  it('is deterministic', () => {
    expect(JSON.stringify(expandTopology(spec).resources)).toBe(JSON.stringify(graph.resources));
  });

  it('never carries a secret value', () => {
    const users = graph.resources.filter((r) => r.kind === 'sql.User');
    for (const u of users) expect(u.spec.password).toMatch(/^\$\{ref:projects\/ruvector-prod\/secrets\/ruvector-db-password-[a-z0-9-]+#payload\}$/);
  });
});

describe('a one-region spec', () => {
  it('expands to a complete single-region topology', () => {
    const g = minimal();
    const kinds = countByKind(g);
    expect(kinds['run.Service']).toBe(1);
    expect(kinds['sql.Instance']).toBe(1);
    expect(kinds['storage.Bucket']).toBe(2);
    // no health checks by default: GCP rejects them on serverless NEG backends
    expect(kinds['compute.HealthCheck']).toBeUndefined();
    expect(get(g, 'projects/my-project-1/global/backendServices/ruvector-backend-us-central1').spec.healthChecks).toBeUndefined();
    // Routes to regions the spec does not have are left out; the default backend is its own.
    const m = get(g, 'projects/my-project-1/global/urlMaps/ruvector-url-map').spec as { defaultService: string; pathMatchers: { routeRules: { service: string }[] }[] };
    expect(m.defaultService).toBe('projects/my-project-1/global/backendServices/ruvector-backend-us-central1');
    expect(m.pathMatchers[0]!.routeRules.map((r) => r.service)).toEqual([m.defaultService]);
    expect(graphProblems(g)).toEqual([]);
  });
});
