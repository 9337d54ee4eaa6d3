import avro from 'avsc';
import { writtenIn, type Check, type PathProblem, type Written } from './check.js';
import { checkNameCollisions } from './collisions.js';
import { checkLabels } from './label-limits.js';
import { checkServiceEnv } from './service-env.js';
import { cidrSubnet, narrow, parseCidr } from './cidr.js';
import { allRegions, primaryOf } from './model.js';
import { fill, nameProblem, placeholders, usesPrimaryRegion, usesRegion, type NameRule, type TemplateVars } from './names.js';
import { regionConfig, regionShort } from './regions.js';
import type { Spec, TierName } from './schema.js';
import { didYouMean } from './suggest.js';

export type { PathProblem } from './check.js';

/**
 * Rules a schema cannot express: regions, CIDRs, scaling, names after templating, references.
 * `raw` is the data as written (before defaults), for rules that apply only to what the user wrote.
 */
export function checkSemantics(spec: Spec, raw: unknown = spec): PathProblem[] {
  const out: PathProblem[] = [];
  const written = writtenIn(raw);
  for (const check of CHECKS) check(spec, out, written);
  // One report per path and message: a bad template fails the same way in every region.
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.path.join('.')}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function unknownRegion(region: string): string {
  const hint = didYouMean(region, regionConfig().valid);
  return `unknown region "${region}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

const checkRegions: Check = (spec, out, written) => {
  const { valid } = regionConfig();
  const isValid = (r: string) => valid.includes(r);
  const seen = new Map<string, string>();
  for (const tier of ['tier1', 'tier2'] as const) {
    spec.regions[tier].forEach((r, i) => {
      if (!isValid(r)) out.push({ path: ['regions', tier, i], message: unknownRegion(r) });
      const prev = seen.get(r);
      if (prev) out.push({ path: ['regions', tier, i], message: `region "${r}" is listed twice (also in ${prev})` });
      else seen.set(r, `regions.${tier}`);
    });
  }
  for (const [from, to] of Object.entries(spec.regions.primaryFor ?? {})) {
    if (!isValid(from)) out.push({ path: ['regions', 'primaryFor', from], message: unknownRegion(from), atKey: true });
    else if (!spec.regions.tier2.includes(from)) {
      out.push({ path: ['regions', 'primaryFor', from], message: `"${from}" is not a tier-2 region of this spec`, atKey: true });
    }
    if (!isValid(to)) out.push({ path: ['regions', 'primaryFor', from], message: unknownRegion(to) });
  }
  // Every tier-2 replica needs a tier-1 primary to follow.
  spec.regions.tier2.forEach((r, i) => {
    if (!isValid(r) || primaryOf(spec, r)) return;
    const explicit = spec.regions.primaryFor?.[r];
    const mapped = explicit ?? regionConfig().nearestPrimary[r];
    if (explicit) {
      out.push({ path: ['regions', 'primaryFor', r], message: `replica in ${r} is mapped to ${explicit}, which has no primary (not in regions.tier1)` });
    } else if (mapped) {
      out.push({
        path: ['regions', 'tier2', i],
        message: `replica in ${r} follows ${mapped} (the seed's nearest-primary map), which has no primary here; add ${mapped} to regions.tier1 or set regions.primaryFor.${r}`,
      });
    } else {
      out.push({ path: ['regions', 'tier2', i], message: `no primary for the replica in ${r}: set regions.primaryFor.${r} to a tier-1 region` });
    }
  });
  spec.pubsub.topics.forEach((t, ti) => {
    if (Array.isArray(t.persistenceRegions)) {
      t.persistenceRegions.forEach((r, i) => {
        if (!isValid(r)) out.push({ path: ['pubsub', 'topics', ti, 'persistenceRegions', i], message: unknownRegion(r) });
      });
    }
  });
  checkRoutes(spec, out, written, isValid);
  const dr = spec.loadBalancer.defaultRegion;
  if (dr && !allRegions(spec).includes(dr)) {
    out.push({ path: ['loadBalancer', 'defaultRegion'], message: isValid(dr) ? `"${dr}" is not one of the spec's regions` : unknownRegion(dr) });
  }
  for (const r of Object.keys(spec.network.subnets.overrides ?? {})) {
    if (!allRegions(spec).includes(r)) {
      out.push({ path: ['network', 'subnets', 'overrides', r], message: isValid(r) ? `"${r}" is not one of the spec's regions` : unknownRegion(r), atKey: true });
    }
  }
};

/**
 * X-Client-Region routes. The seed's default routes name regions a smaller spec may not
 * deploy, and those are left out; a route the user wrote to such a region is a mistake, as is
 * a second route for a header value (the first always wins: the second can never match).
 */
function checkRoutes(spec: Spec, out: PathProblem[], written: Written, isValid: (r: string) => boolean): void {
  const routes = spec.loadBalancer.clientRegionRoutes;
  const own = written.has(['loadBalancer', 'clientRegionRoutes']);
  const deployed = new Set(allRegions(spec));
  const firstFor = new Map<string, number>();
  routes.forEach((rt, i) => {
    const path = ['loadBalancer', 'clientRegionRoutes', i];
    if (!isValid(rt.region)) out.push({ path: [...path, 'region'], message: unknownRegion(rt.region) });
    else if (own && !deployed.has(rt.region)) {
      out.push({ path: [...path, 'region'], message: `the route for "${rt.value}" goes to ${rt.region}, which this spec does not deploy (it is in neither regions.tier1 nor regions.tier2)` });
    }
    const first = firstFor.get(rt.value);
    if (first === undefined) firstFor.set(rt.value, i);
    else {
      out.push({
        path: [...path, 'value'],
        message: `X-Client-Region "${rt.value}" is already routed by clientRegionRoutes[${first}] (to ${routes[first]!.region}); the first match wins, so this route can never match`,
      });
    }
  });
}

const checkScaling: Check = (spec, out) => {
  for (const tier of ['tier1', 'tier2'] as const) {
    const run = spec.tiers[tier].run;
    if (run.maxInstances < run.minInstances) {
      out.push({ path: ['tiers', tier, 'run', 'maxInstances'], message: `maxInstances (${run.maxInstances}) is below minInstances (${run.minInstances})` });
    }
  }
  const cpu = spec.service.resources.limits.cpu;
  const cpuN = /^\d+m$/.test(cpu) ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
  if (!Number.isFinite(cpuN) || !(cpuN < 1 || [1, 2, 4, 6, 8].includes(cpuN))) {
    out.push({ path: ['service', 'resources', 'limits', 'cpu'], message: `Cloud Run CPU must be below 1 or one of 1, 2, 4, 6, 8 (got "${cpu}")` });
  } else if (cpuN < 1 && spec.service.concurrency > 1) {
    out.push({ path: ['service', 'resources', 'limits', 'cpu'], message: 'Cloud Run needs at least 1 CPU when concurrency is above 1' });
  }
  const mem = parseMemoryMi(spec.service.resources.limits.memory);
  if (mem === undefined) {
    out.push({ path: ['service', 'resources', 'limits', 'memory'], message: `memory must look like 512Mi or 16Gi (got "${spec.service.resources.limits.memory}")` });
  } else if (mem > 32 * 1024) {
    out.push({ path: ['service', 'resources', 'limits', 'memory'], message: 'Cloud Run allows at most 32Gi of memory' });
  } else if (Number.isFinite(cpuN) && mem < ({ 4: 2048, 6: 4096, 8: 4096 } as Record<number, number>)[cpuN]!) {
    out.push({ path: ['service', 'resources', 'limits', 'memory'], message: `Cloud Run needs at least ${cpuN >= 6 ? '4Gi' : '2Gi'} of memory with ${cpuN} CPUs` });
  }
  for (const [name, p] of Object.entries(spec.service.probes)) {
    if (p.timeoutSeconds > p.periodSeconds) {
      out.push({
        path: ['service', 'probes', name, 'timeoutSeconds'],
        severity: 'warning',
        message: `timeoutSeconds (${p.timeoutSeconds}) exceeds periodSeconds (${p.periodSeconds}); Cloud Run may reject it`,
      });
    }
  }
};

function parseMemoryMi(m: string): number | undefined {
  const x = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(m);
  if (!x) return undefined;
  const n = Number(x[1]);
  return x[2]!.startsWith('G') ? n * 1024 : n;
}

const checkRedis: Check = (spec, out) => {
  const r = spec.redis;
  if (r.tier === 'STANDARD_HA' && r.readReplicasMode === 'READ_REPLICAS_ENABLED') {
    if (r.replicaCount < 1) out.push({ path: ['redis', 'replicaCount'], message: 'read replicas need replicaCount of at least 1' });
    for (const tier of ['tier1', 'tier2'] as const) {
      const gb = spec.tiers[tier].redis.memorySizeGb;
      if (gb < 5) {
        out.push({ path: ['tiers', tier, 'redis', 'memorySizeGb'], message: `Memorystore read replicas need at least 5 GB (got ${gb}); set redis.readReplicasMode: READ_REPLICAS_DISABLED or grow the instance` });
      }
    }
  }
  if (r.tier === 'BASIC' && r.readReplicasMode === 'READ_REPLICAS_ENABLED') {
    out.push({ path: ['redis', 'readReplicasMode'], message: 'a BASIC instance has no replicas; use STANDARD_HA or READ_REPLICAS_DISABLED' });
  }
};

const checkSql: Check = (spec, out) => {
  const s = spec.sql;
  if (s.diskAutoresize && s.diskAutoresizeLimitGb !== 0 && s.diskAutoresizeLimitGb < s.diskSizeGb) {
    out.push({ path: ['sql', 'diskAutoresizeLimitGb'], message: `autoresize limit (${s.diskAutoresizeLimitGb} GB) is below the disk size (${s.diskSizeGb} GB)` });
  }
  if (s.backup.pointInTimeRecovery && !s.backup.enabled) {
    out.push({ path: ['sql', 'backup', 'pointInTimeRecovery'], message: 'point-in-time recovery needs backups enabled' });
  }
  for (const tier of ['tier1', 'tier2'] as const) {
    const machine = spec.tiers[tier].sql.tier;
    const path = ['tiers', tier, 'sql', 'tier'];
    if (s.edition === 'ENTERPRISE_PLUS' && !machine.startsWith('db-perf-optimized-')) {
      out.push({ path, message: `Enterprise Plus needs a db-perf-optimized-N-* tier (got ${machine})` });
    }
    if (s.edition === 'ENTERPRISE' && machine.startsWith('db-perf-optimized-')) {
      out.push({ path, message: `${machine} is an Enterprise Plus tier; set sql.edition: ENTERPRISE_PLUS` });
    }
    const custom = /^db-custom-(\d+)-(\d+)$/.exec(machine);
    if (custom) {
      const cpus = Number(custom[1]);
      const mb = Number(custom[2]);
      if (cpus !== 1 && cpus % 2 !== 0) out.push({ path, message: `custom machine vCPUs must be 1 or an even number (got ${cpus})` });
      if (mb % 256 !== 0) out.push({ path, message: `custom machine memory must be a multiple of 256 MB (got ${mb})` });
      if (mb < cpus * 0.9 * 1024 || mb > cpus * 6.5 * 1024) out.push({ path, message: `custom machine memory must be 0.9-6.5 GB per vCPU (got ${mb} MB for ${cpus})` });
    }
  }
  for (const [flag, value] of Object.entries(s.flags)) {
    const hint = flagUnitHint(flag, value);
    if (hint) out.push({ path: ['sql', 'flags', flag], message: hint });
  }
  if (spec.regions.tier2.length > 0 && spec.tiers.tier2.sql.availabilityType === 'REGIONAL') {
    out.push({ path: ['tiers', 'tier2', 'sql', 'availabilityType'], severity: 'warning', message: 'tier-2 instances are read replicas; REGIONAL (HA) replicas cost twice as much' });
  }
};

interface NamedRange {
  cidr: string;
  what: string;
  path: PropertyKey[];
}

const checkCidrs: Check = (spec, out) => {
  const n = spec.network;
  const ranges: NamedRange[] = [];
  allRegions(spec).forEach((region, i) => {
    const ov = n.subnets.overrides?.[region];
    const basePath: PropertyKey[] = ov ? ['network', 'subnets', 'overrides', region] : ['network', 'subnets', 'baseCidr'];
    const primary = ov?.ipCidrRange ?? cidrSubnet(n.subnets.baseCidr, n.subnets.newBits, i);
    if (!primary) {
      out.push({ path: ['network', 'subnets', 'newBits'], message: `region #${i} (${region}) does not fit in ${n.subnets.baseCidr} with newBits ${n.subnets.newBits}` });
    } else ranges.push({ cidr: primary, what: `subnet of ${region}`, path: ov ? [...basePath, 'ipCidrRange'] : basePath });
    if (ov?.secondaryRanges) {
      for (const [name, c] of Object.entries(ov.secondaryRanges)) ranges.push({ cidr: c, what: `${name} range of ${region}`, path: [...basePath, 'secondaryRanges', name] });
    } else {
      for (const [name, offset] of Object.entries(n.subnets.secondaryRanges)) {
        const c = cidrSubnet(n.subnets.baseCidr, n.subnets.newBits, i + offset);
        if (!c) out.push({ path: ['network', 'subnets', 'secondaryRanges', name], message: `${name} range of ${region} (index ${i + offset}) does not fit in ${n.subnets.baseCidr} with newBits ${n.subnets.newBits}` });
        else ranges.push({ cidr: c, what: `${name} range of ${region}`, path: ['network', 'subnets', 'secondaryRanges', name] });
      }
    }
    const block = cidrSubnet(n.connector.baseCidr, n.connector.newBits, i);
    const conn = block && narrow(block, 28);
    if (!conn) out.push({ path: ['network', 'connector', 'newBits'], message: `connector subnet of ${region} does not fit: ${n.connector.baseCidr} + ${n.connector.newBits} bits must leave room for a /28` });
    else ranges.push({ cidr: conn, what: `connector subnet of ${region}`, path: ['network', 'connector', 'baseCidr'] });
  });
  n.privateServiceAccess.ranges.forEach((r, i) => {
    if (!r.address) return;
    const c = `${r.address}/${r.prefixLength}`;
    if (!parseCidr(c)) out.push({ path: ['network', 'privateServiceAccess', 'ranges', i, 'address'], message: `"${r.address}" is not an IPv4 address` });
    else ranges.push({ cidr: c, what: `private service access range ${r.name}`, path: ['network', 'privateServiceAccess', 'ranges', i, 'address'] });
  });
  // Each range parsed once: comparing every pair by text parsed both sides each time, the
  // largest cost of validating the 15-region template.
  const spans = ranges.map((r) => {
    const c = parseCidr(r.cidr);
    return c ? { start: c.start, end: c.start + 2 ** (32 - c.prefix) } : undefined;
  });
  for (let a = 0; a < ranges.length; a++) {
    const sa = spans[a];
    if (!sa) continue;
    for (let b = a + 1; b < ranges.length; b++) {
      const sb = spans[b];
      const x = ranges[a]!;
      const y = ranges[b]!;
      if (sb && sa.start < sb.end && sb.start < sa.end) {
        // Point at what the user wrote (an override) rather than at a computed default.
        const [at, other] = x.path.includes('overrides') && !y.path.includes('overrides') ? [x, y] : [y, x];
        out.push({ path: at.path, message: `${at.cidr} (${at.what}) overlaps ${other.cidr} (${other.what})` });
      }
    }
  }
};

/** Every generated name, filled per region, against GCP's rule for it. */
const checkNames: Check = (spec, out) => {
  const base: TemplateVars = { project: spec.project };
  // Unknown regions are reported once by checkRegions; names built from them would only echo it.
  const regionVars = allRegions(spec).filter((r) => regionConfig().valid.includes(r)).map((region) => {
    const primary = primaryOf(spec, region) ?? region;
    const tier: TierName = spec.regions.tier1.includes(region) ? 'tier1' : 'tier2';
    const v: TemplateVars = { project: spec.project, region, regionShort: regionShort(region), primaryRegion: primary, tier };
    v.sqlInstance = fill(tier === 'tier1' ? spec.sql.primaryName : spec.sql.replicaName, v);
    return v;
  });
  const tier1Vars = regionVars.filter((v) => v.tier === 'tier1');
  const tier2Vars = regionVars.filter((v) => v.tier === 'tier2');
  const check = (rule: NameRule, template: string, path: PropertyKey[], scope: TemplateVars[] = regionVars) => {
    for (const v of scope.length > 0 ? scope : [base]) {
      const problem = nameProblem(rule, fill(template, v));
      if (problem) {
        out.push({ path, message: problem });
        return;
      }
    }
  };
  check('run', spec.service.name, ['service', 'name'], [base]);
  check('redis', spec.redis.name, ['redis', 'name']);
  check('sqlInstance', spec.sql.primaryName, ['sql', 'primaryName'], tier1Vars);
  if (tier2Vars.length > 0) check('sqlInstance', spec.sql.replicaName, ['sql', 'replicaName'], tier2Vars);
  check('bucket', spec.storage.vectors.name, ['storage', 'vectors', 'name'], tier1Vars);
  check('bucket', spec.storage.logs.name, ['storage', 'logs', 'name'], [base]);
  check('compute', spec.network.name, ['network', 'name'], [base]);
  check('compute', spec.network.subnets.name, ['network', 'subnets', 'name']);
  check('compute', spec.network.connector.subnetName, ['network', 'connector', 'subnetName']);
  check('connector', spec.network.connector.name, ['network', 'connector', 'name']);
  check('compute', spec.network.nat.routerName, ['network', 'nat', 'routerName']);
  check('compute', spec.network.nat.name, ['network', 'nat', 'name']);
  spec.network.firewalls.forEach((f, i) => check('compute', f.name, ['network', 'firewalls', i, 'name'], [base]));
  spec.network.privateServiceAccess.ranges.forEach((r, i) => check('compute', r.name, ['network', 'privateServiceAccess', 'ranges', i, 'name'], [base]));
  check('serviceAccount', spec.iam.serviceAccount.accountId, ['iam', 'serviceAccount', 'accountId']);
  spec.secrets.forEach((s, i) => check('secret', s.name, ['secrets', i, 'name']));
  spec.pubsub.topics.forEach((t, i) => {
    check('pubsub', t.name, ['pubsub', 'topics', i, 'name'], [base]);
    if (t.schema) check('pubsub', t.schema.name, ['pubsub', 'topics', i, 'schema', 'name'], [base]);
    if (t.subscription) check('pubsub', t.subscription.name, ['pubsub', 'topics', i, 'subscription', 'name']);
  });
  const lb = spec.loadBalancer;
  if (lb.enabled) {
    check('compute', lb.negName, ['loadBalancer', 'negName']);
    check('compute', lb.healthCheck.name, ['loadBalancer', 'healthCheck', 'name']);
    check('compute', lb.backend.name, ['loadBalancer', 'backend', 'name']);
    for (const key of ['addressName', 'certificateName', 'urlMapName', 'httpsProxyName', 'httpsForwardingRuleName', 'redirectUrlMapName', 'httpProxyName', 'httpForwardingRuleName'] as const) {
      check('compute', lb[key], ['loadBalancer', key], [base]);
    }
    check('compute', lb.sslPolicy.name, ['loadBalancer', 'sslPolicy', 'name'], [base]);
  }
  if (spec.armor.enabled) check('compute', spec.armor.name, ['armor', 'name'], [base]);

  // Names shared by every region must carry a region placeholder, or regions collide.
  const perRegion: [string, PropertyKey[]][] = [
    [spec.redis.name, ['redis', 'name']],
    [spec.network.subnets.name, ['network', 'subnets', 'name']],
    [spec.network.connector.subnetName, ['network', 'connector', 'subnetName']],
    [spec.network.nat.routerName, ['network', 'nat', 'routerName']],
    [spec.sql.primaryName, ['sql', 'primaryName']],
    [spec.storage.vectors.name, ['storage', 'vectors', 'name']],
    ...(lb.enabled ? ([[lb.negName, ['loadBalancer', 'negName']], [lb.healthCheck.name, ['loadBalancer', 'healthCheck', 'name']], [lb.backend.name, ['loadBalancer', 'backend', 'name']]] as [string, PropertyKey[]][]) : []),
  ];
  if (spec.regions.tier2.length > 0) perRegion.push([spec.sql.replicaName, ['sql', 'replicaName']]);
  spec.pubsub.topics.forEach((t, i) => {
    if (t.subscription) perRegion.push([t.subscription.name, ['pubsub', 'topics', i, 'subscription', 'name']]);
  });
  if (allRegions(spec).length > 1) {
    for (const [template, path] of perRegion) {
      if (!usesRegion(template) && !(usesPrimaryRegion(template) && path[0] === 'storage')) {
        out.push({ path, message: `"${template}" names one resource per region: it needs \${region} or \${regionShort}` });
      }
    }
  }
};

const checkReferences: Check = (spec, out) => {
  const declared = new Set(spec.secrets.map((s) => s.name));
  for (const [env, ref] of Object.entries(spec.service.secretEnv ?? {})) {
    if (!declared.has(ref.secret)) {
      const hint = didYouMean(ref.secret, declared);
      out.push({ path: ['service', 'secretEnv', env, 'secret'], message: `secret "${ref.secret}" is not declared in secrets${hint ? ` (did you mean "${hint}"?)` : ''}` });
    }
  }
  const allowed = new Set(['project', 'region', 'regionShort', 'primaryRegion', 'sqlInstance', 'tier']);
  for (const [env, value] of Object.entries(spec.service.env ?? {})) {
    for (const p of placeholders(value)) {
      if (!allowed.has(p)) out.push({ path: ['service', 'env', env], message: `unknown placeholder \${${p}} (use ${[...allowed].map((a) => `\${${a}}`).join(', ')})` });
    }
  }
  const topics = new Set(spec.pubsub.topics.map((t) => t.name));
  const seen = new Set<string>();
  spec.pubsub.topics.forEach((t, i) => {
    if (seen.has(t.name)) out.push({ path: ['pubsub', 'topics', i, 'name'], message: `topic "${t.name}" is declared twice` });
    seen.add(t.name);
    const dl = t.subscription?.deadLetter;
    if (dl && !topics.has(dl.topic)) {
      out.push({ path: ['pubsub', 'topics', i, 'subscription', 'deadLetter', 'topic'], message: `dead-letter topic "${dl.topic}" is not declared in pubsub.topics` });
    }
    if (dl && dl.topic === t.name) {
      out.push({ path: ['pubsub', 'topics', i, 'subscription', 'deadLetter', 'topic'], message: 'a subscription cannot dead-letter to its own topic' });
    }
    const sub = t.subscription;
    if (sub) {
      const secs = (d: string) => Number(d.slice(0, -1));
      if (secs(sub.messageRetention) < 600 || secs(sub.messageRetention) > 604_800) {
        out.push({ path: ['pubsub', 'topics', i, 'subscription', 'messageRetention'], message: 'subscription retention must be 600s-604800s (10 minutes to 7 days)' });
      }
      if (sub.retryPolicy) {
        const min = secs(sub.retryPolicy.minimumBackoff);
        const max = secs(sub.retryPolicy.maximumBackoff);
        if (max > 600 || min > max) out.push({ path: ['pubsub', 'topics', i, 'subscription', 'retryPolicy'], message: 'retry backoff must satisfy minimumBackoff <= maximumBackoff <= 600s' });
      }
    }
    if (t.schema?.type === 'AVRO') {
      try {
        const def = typeof t.schema.definition === 'string' ? (JSON.parse(t.schema.definition) as object) : t.schema.definition;
        avro.Type.forSchema(def as avro.Schema);
      } catch (e) {
        out.push({ path: ['pubsub', 'topics', i, 'schema', 'definition'], message: `not a valid Avro schema: ${(e as Error).message}` });
      }
    }
  });
  const lb = spec.loadBalancer;
  if (lb.enabled && lb.domains.some((d) => d.startsWith('*.'))) {
    out.push({
      path: ['loadBalancer', 'domains'],
      severity: 'warning',
      message: 'Google-managed Compute certificates do not cover wildcard domains: the certificate gets the other domains and the wildcard stays a URL map host only (use Certificate Manager with DNS authorization for it)',
    });
  }
  if (lb.enabled && lb.healthCheck.enabled) {
    out.push({
      path: ['loadBalancer', 'healthCheck', 'enabled'],
      severity: 'warning',
      message: 'health checks are created as the seed lists them but not attached: GCP rejects health checks on backend services whose backends are serverless NEGs (Cloud Run probes gate traffic instead)',
    });
  }
  if (lb.enabled && lb.domains.length === 0) out.push({ path: ['loadBalancer', 'domains'], message: 'the HTTPS load balancer needs at least one domain for its certificate' });
};

const CHECKS: Check[] = [checkRegions, checkScaling, checkRedis, checkSql, checkCidrs, checkNames, checkNameCollisions, checkReferences, checkLabels, checkServiceEnv];

/** Postgres memory flags Cloud SQL takes as plain integers, and the size of their unit in bytes. */
const PG_FLAG_UNIT_BYTES: Record<string, number> = {
  shared_buffers: 8192,
  effective_cache_size: 8192,
  wal_buffers: 8192,
  temp_buffers: 8192,
  maintenance_work_mem: 1024,
  work_mem: 1024,
  autovacuum_work_mem: 1024,
  logical_decoding_work_mem: 1024,
};

const SIZE_SUFFIX: Record<string, number> = { kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** postgresql.conf accepts "4096MB"; the Cloud SQL API refuses it: say what to write instead. */
export function flagUnitHint(flag: string, value: string): string | undefined {
  const unit = PG_FLAG_UNIT_BYTES[flag];
  const m = /^(\d+)\s*(kB|MB|GB|TB)$/.exec(value.trim());
  if (!unit || !m) return undefined;
  const converted = (Number(m[1]) * SIZE_SUFFIX[m[2]!]!) / unit;
  const unitName = unit === 8192 ? '8 kB pages' : 'kB';
  return `Cloud SQL takes ${flag} as a number of ${unitName}, not "${value}": write "${Number.isInteger(converted) ? converted : Math.round(converted)}"`;
}
