import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/spec/index.js';
import { load, MINIMAL, problems, template, withExtra } from './helpers.js';

/** The one problem at `path` (fails if there is none). */
function at(text: string, path: string) {
  const ps = problems(text);
  const p = ps.find((x) => x.path === path);
  expect(p, `no problem at ${path}; got:\n${ps.map(formatProblem).join('\n')}`).toBeDefined();
  return p!;
}

describe('valid specs', () => {
  it('a one-region spec of a few lines validates and fills defaults', () => {
    expect(MINIMAL.trim().split('\n').length).toBeLessThanOrEqual(15);
    const { spec, warnings } = load(MINIMAL);
    expect(warnings).toEqual([]);
    expect(spec.service.concurrency).toBe(100);
    expect(spec.tiers.tier1.run).toEqual({ minInstances: 800, maxInstances: 8000 });
    expect(spec.redis.tier).toBe('STANDARD_HA');
    expect(spec.sql.databaseVersion).toBe('POSTGRES_15');
    expect(spec.pubsub.topics.map((t) => t.name)).toEqual(['vector-updates', 'agent-coordination', 'task-distribution', 'dead-letter']);
  });

  it('partial tier sizing keeps the other defaults of that tier', () => {
    const { spec } = load(withExtra('tiers:\n  tier2:\n    run: { maxInstances: 500 }\n'));
    expect(spec.tiers.tier2.run).toEqual({ minInstances: 100, maxInstances: 500 });
    expect(spec.tiers.tier2.redis.memorySizeGb).toBe(128);
  });

  it.each(['production', 'regional', 'local'] as const)('templates/%s.yaml validates', (name) => {
    expect(() => load(template(name), `${name}.yaml`)).not.toThrow();
  });

  it('warnings do not fail validation (the seed startup probe, wildcard certificate, serverless NEG health checks)', () => {
    const { warnings } = load(template('production'));
    expect(warnings.map((w) => w.path).sort()).toEqual(['loadBalancer.domains', 'loadBalancer.healthCheck.enabled', 'service.probes.startup.timeoutSeconds']);
    expect(warnings.every((w) => w.severity === 'warning')).toBe(true);
  });
});

describe('one test per validation rule', () => {
  it('wrong type: names the expected and actual type at the value', () => {
    const p = at(withExtra('  timeoutSeconds: "300"\n'), 'service.timeoutSeconds');
    expect(p.message).toBe('expected number, got string "300"');
    expect([p.line, p.col]).toEqual([10, 19]);
  });

  it('unknown key: points at the key and suggests the nearest', () => {
    const p = at(withExtra('  concurency: 80\n'), 'service.concurency');
    expect(p.message).toBe('unknown key "concurency" (did you mean "concurrency"?)');
    expect([p.line, p.col]).toEqual([10, 3]);
  });

  it('unknown top-level key suggests the section', () => {
    expect(at(withExtra('loadBalancr: {}\n'), 'loadBalancr').message).toContain('did you mean "loadBalancer"?');
  });

  it('missing required field: at the enclosing block', () => {
    const text = MINIMAL.replace('  image: gcr.io/my-project-1/ruvector:v1\n', '  port: 8080\n');
    const p = at(text, 'service.image');
    expect(p.message).toBe('required field is missing');
    expect(p.line).toBe(9);
  });

  it('an image that is not a container image reference, at the value', () => {
    const p = at(MINIMAL.replace('image: gcr.io/my-project-1/ruvector:v1', 'image: gcr.io/My-Project/ruvector:v1'), 'service.image');
    expect(p.message).toBe('"gcr.io/My-Project/ruvector:v1" is not an image reference: repository names are lowercase');
    expect(p.line).toBe(9);
    expect(at(MINIMAL.replace('image: gcr.io/my-project-1/ruvector:v1', 'image: ""'), 'service.image').message).toMatch(/^an image reference is required/);
  });

  it('unknown region, with a did-you-mean', () => {
    const p = at(MINIMAL.replace('[us-central1]', '[us-central1, europe-wst1]'), 'regions.tier1[1]');
    expect(p.message).toBe('unknown region "europe-wst1" (did you mean "europe-west1"?)');
    expect([p.line, p.col]).toEqual([7, 24]);
  });

  it('a region listed twice', () => {
    expect(at(MINIMAL.replace('[us-central1]', '[us-central1]\n  tier2: [us-central1]'), 'regions.tier2[0]').message).toContain('listed twice');
  });

  it('overlapping CIDRs', () => {
    const text = withExtra('network:\n  subnets:\n    overrides:\n      us-central1: { ipCidrRange: 10.129.0.0/20 }\n');
    const p = at(text, 'network.subnets.overrides.us-central1.ipCidrRange');
    expect(p.message).toBe('10.129.0.0/20 (subnet of us-central1) overlaps 10.129.0.0/28 (connector subnet of us-central1)');
    expect(p.line).toBe(13);
  });

  it('maxScale below minScale', () => {
    const p = at(withExtra('tiers:\n  tier1:\n    run: { minInstances: 10, maxInstances: 5 }\n'), 'tiers.tier1.run.maxInstances');
    expect(p.message).toBe('maxInstances (5) is below minInstances (10)');
  });

  it('a tier-2 replica mapped to a region with no primary (explicit map)', () => {
    const text = MINIMAL.replace('[us-central1]', '[us-central1]\n  tier2: [asia-east1]\n  primaryFor: { asia-east1: europe-west1 }');
    expect(at(text, 'regions.primaryFor.asia-east1').message).toBe(
      'replica in asia-east1 is mapped to europe-west1, which has no primary (not in regions.tier1)',
    );
  });

  it("a tier-2 replica whose seed nearest primary is not a tier-1 region of the spec", () => {
    const text = MINIMAL.replace('[us-central1]', '[us-central1, europe-west1]\n  tier2: [asia-east1]');
    expect(at(text, 'regions.tier2[0]').message).toContain('follows asia-northeast1');
  });

  it.each([0, 301])('Redis size %i GB is outside 1-300', (gb) => {
    const p = at(withExtra(`tiers:\n  tier2:\n    redis: { memorySizeGb: ${gb} }\n`), 'tiers.tier2.redis.memorySizeGb');
    expect(p.message).toBe('Memorystore Redis size must be 1-300 GB');
  });

  it("concurrency above Cloud Run's 1,000", () => {
    expect(at(withExtra('  concurrency: 1001\n'), 'service.concurrency').message).toBe(
      'Cloud Run allows at most 1000 concurrent requests per instance',
    );
  });

  it('malformed YAML: one positioned problem, not its echoes', () => {
    const ps = problems(MINIMAL.replace('  name: demo', '  name: [demo'));
    expect(ps).toHaveLength(1);
    expect(ps[0]!.message).toMatch(/^malformed YAML/);
    expect(ps[0]!.line).toBeGreaterThanOrEqual(4);
  });

  it('duplicate keys are malformed YAML', () => {
    expect(problems(withExtra('project: other-project\n'))[0]!.message).toMatch(/unique|duplicate/i);
  });

  it('every problem at once: schema errors and cross-field rules together, sorted by line', () => {
    const text = `apiVersion: ruvector.dev/v1alpha1
kind: Topology
metadata: { name: demo }
project: my-project-1
regions:
  tier1: [us-central1, europe-wst1]
tiers:
  tier1:
    run: { minInstances: 10, maxInstances: 5 }
    redis: { memorySizeGb: 400 }
service:
  image: x
  concurency: 1
`;
    const ps = problems(text);
    expect(ps.map((p) => p.path)).toEqual([
      'regions.tier1[1]',
      'tiers.tier1.run.maxInstances',
      'tiers.tier1.redis.memorySizeGb',
      'service.concurency',
    ]);
    expect(formatProblem(ps[0]!)).toBe('spec.yaml:6:24  regions.tier1[1]  unknown region "europe-wst1" (did you mean "europe-west1"?)');
  });

  it('names are checked against GCP rules after templating (connector 25 chars)', () => {
    const p = at(withExtra('network:\n  connector: { name: "ruvector-connector-${region}" }\n'), 'network.connector.name');
    expect(p.message).toContain('"ruvector-connector-us-central1" is not a valid name (VPC Access connector names');
  });

  it('service account ids longer than 30 characters are rejected', () => {
    const text = MINIMAL.replace('[us-central1]', '[northamerica-northeast1]') + 'iam:\n  serviceAccount: { accountId: "ruvector-service-${region}" }\n';
    const p = at(text, 'iam.serviceAccount.accountId');
    expect(p.message).toContain('service account ids: 6-30 chars');
  });

  it('per-region names must name the region when there are several regions', () => {
    const text = MINIMAL.replace('[us-central1]', '[us-central1, europe-west1]') + 'redis: { name: ruvector-redis }\n';
    expect(at(text, 'redis.name').message).toContain('needs ${region}');
  });

  it('unknown template placeholders', () => {
    expect(at(withExtra('redis: { name: "ruvector-${zone}" }\n'), 'redis.name').message).toBe('unknown placeholder ${zone} in "ruvector-${zone}"');
  });

  it('secret env vars must name a declared secret', () => {
    const p = at(withExtra('  secretEnv:\n    API_KEY: { secret: ruvector-api-token }\n'), 'service.secretEnv.API_KEY.secret');
    expect(p.message).toBe('secret "ruvector-api-token" is not declared in secrets (did you mean "ruvector-api-key"?)');
  });

  it('dead-letter topics must exist', () => {
    const text = withExtra(`pubsub:
  topics:
    - name: updates
      subscription: { name: "updates-\${region}", pushPath: /push, deadLetter: { topic: nowhere } }
`);
    expect(at(text, 'pubsub.topics[0].subscription.deadLetter.topic').message).toContain('"nowhere" is not declared');
  });

  it('Avro schemas must parse', () => {
    const text = withExtra(`pubsub:
  topics:
    - name: updates
      schema: { name: s1-schema, definition: { type: record, name: X, fields: [{ name: a, type: nosuchtype }] } }
`);
    expect(at(text, 'pubsub.topics[0].schema.definition').message).toMatch(/^not a valid Avro schema/);
  });

  it('Memorystore read replicas need 5 GB', () => {
    expect(at(withExtra('tiers:\n  tier1:\n    redis: { memorySizeGb: 4 }\n'), 'tiers.tier1.redis.memorySizeGb').message).toContain('at least 5 GB');
  });

  it('Cloud Run CPU must be a size Cloud Run offers', () => {
    expect(at(withExtra('  resources: { limits: { cpu: "3" } }\n'), 'service.resources.limits.cpu').message).toContain('one of 1, 2, 4, 6, 8');
  });

  it('Cloud SQL custom machine memory per vCPU', () => {
    expect(at(withExtra('tiers:\n  tier1:\n    sql: { tier: db-custom-4-2048 }\n'), 'tiers.tier1.sql.tier').message).toContain('0.9-6.5 GB per vCPU');
  });

  it('wrong apiVersion and kind', () => {
    const ps = problems(MINIMAL.replace('ruvector.dev/v1alpha1', 'v2').replace('Topology', 'Deployment'));
    expect(ps.map((p) => p.path)).toEqual(['apiVersion', 'kind']);
  });

  it('unknown keys deep inside lists of maps', () => {
    const text = withExtra('pubsub:\n  topics:\n    - name: abc\n      subscriptin: {}\n');
    const p = at(text, 'pubsub.topics[0].subscriptin');
    expect(p.message).toBe('unknown key "subscriptin" (did you mean "subscription"?)');
    expect([p.line, p.col]).toEqual([13, 7]);
  });

  it('label keys must follow GCP label rules', () => {
    const p = at(MINIMAL.replace('  name: demo', '  name: demo\n  labels: { Team: x }'), 'metadata.labels.Team');
    expect(p.message).toContain('invalid key "Team": label keys: lowercase letter first');
  });

  it('a null section is a type error in plain words', () => {
    expect(at(withExtra('redis:\n'), 'redis').message).toBe('expected a map, got null');
  });

  it('one document per file', () => {
    expect(problems(withExtra('---\nfoo: 1\n'))[0]!.message).toBe('malformed YAML: a spec is one YAML document; this file has another after "---"');
  });

  it('usage values are checked with the cost model\'s schema', () => {
    expect(at(withExtra('usage:\n  requestsPerMonth: -1\n'), 'usage.requestsPerMonth').line).toBe(11);
  });

  it('an empty file is a clear problem', () => {
    expect(problems('')[0]!.message).toContain('a spec is a YAML map');
  });
});

describe('Cloud SQL flag units', () => {
  it('a postgresql.conf size on a memory flag is refused with the number Cloud SQL takes', () => {
    const p = at(`${MINIMAL}sql:\n  flags:\n    shared_buffers: 4096MB\n    maintenance_work_mem: 1GB\n`, 'sql.flags.shared_buffers');
    expect(p.message).toBe('Cloud SQL takes shared_buffers as a number of 8 kB pages, not "4096MB": write "524288"');
    const q = at(`${MINIMAL}sql:\n  flags:\n    maintenance_work_mem: 1GB\n`, 'sql.flags.maintenance_work_mem');
    expect(q.message).toMatch(/number of kB, not "1GB": write "1048576"/);
  });
});
