/**
 * Values GCP (or the deployment) would reject or silently drop, refused at validation with a
 * position: out-of-range CIDRs, routes that cannot take effect, duplicate secrets, too many
 * labels or env vars, and a secret's payload in a plain env var.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/spec/index.js';
import { load, MINIMAL, problems, template, withExtra } from './helpers.js';

/** The problem at `path` whose message matches (fails, listing what there was, if none). */
function at(text: string, path: string, message?: RegExp) {
  const ps = problems(text);
  const p = ps.find((x) => x.path === path && (!message || message.test(x.message)));
  expect(p, `no problem at ${path}; got:\n${ps.map(formatProblem).join('\n')}`).toBeDefined();
  return p!;
}

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
const TWO_REGIONS = MINIMAL.replace('  tier1: [us-central1]\n', '  tier1: [us-central1, europe-west1]\n');

describe('CIDRs', () => {
  it.each(['10.0.0.0/99', '10.0.0.0/33', '300.0.0.0/8', '10.256.0.0/16'])('firewall sourceRanges %s is refused where it is written', (range) => {
    const text = withExtra(`network:\n  firewalls:\n    - name: fw-ok\n      sourceRanges: [10.0.0.0/8]\n    - name: fw-bad\n      sourceRanges: [${range}]\n`);
    const p = at(text, 'network.firewalls[1].sourceRanges[0]');
    expect(p.message).toBe(`"${range}" is not an IPv4 CIDR: each part is 0-255 and the prefix 0-32`);
    expect(p.line).toBe(lineOf(text, range));
  });

  it('the other CIDR fields use the same rule (subnet base, overrides, Cloud Armor, connector /28)', () => {
    at(withExtra('network:\n  subnets:\n    baseCidr: 10.0.0.0/40\n'), 'network.subnets.baseCidr');
    at(withExtra('armor:\n  denyIps:\n    ranges: [1.2.3.999/32]\n'), 'armor.denyIps.ranges[0]');
    at(withExtra('network:\n  connector:\n    overrides:\n      us-central1: 10.300.0.0/28\n'), 'network.connector.overrides.us-central1', /not an IPv4 CIDR/);
    at(withExtra('network:\n  connector:\n    overrides:\n      us-central1: 10.8.0.0/29\n'), 'network.connector.overrides.us-central1', /a \/28 IPv4 CIDR/);
    expect(() => load(withExtra('network:\n  firewalls:\n    - { name: fw-ok, sourceRanges: [0.0.0.0/0, 255.255.255.255/32] }\n'))).not.toThrow();
  });
});

describe('X-Client-Region routes', () => {
  it('a route written to a region the spec does not deploy is refused (it used to be dropped)', () => {
    const text = withExtra('loadBalancer:\n  clientRegionRoutes:\n    - { value: us, region: us-central1 }\n    - { value: eu, region: europe-west1 }\n');
    const p = at(text, 'loadBalancer.clientRegionRoutes[1].region');
    expect(p.message).toBe('the route for "eu" goes to europe-west1, which this spec does not deploy (it is in neither regions.tier1 nor regions.tier2)');
    expect(p.line).toBe(lineOf(text, '{ value: eu'));
  });

  it("the seed's default routes still fit a one-region spec (those that do not apply are left out)", () => {
    expect(load(MINIMAL).spec.loadBalancer.clientRegionRoutes.map((r) => r.region)).toContain('europe-west1');
  });

  it('a second route for the same header value can never match and is refused', () => {
    const text = TWO_REGIONS + 'loadBalancer:\n  clientRegionRoutes:\n    - { value: us, region: us-central1 }\n    - { value: us, region: europe-west1 }\n';
    const p = at(text, 'loadBalancer.clientRegionRoutes[1].value');
    expect(p.message).toBe('X-Client-Region "us" is already routed by clientRegionRoutes[0] (to us-central1); the first match wins, so this route can never match');
  });
});

describe('secrets', () => {
  it('a secret declared twice is refused at the second (it used to collapse into one)', () => {
    const text = withExtra('secrets:\n  - { name: ruvector-api-key, valueFrom: generated }\n  - { name: ruvector-api-key, valueFrom: none }\n');
    const p = at(text, 'secrets[1].name');
    expect(p.message).toMatch(/^"ruvector-api-key" is also the name given by secrets\[0\]\.name: both would be the secret ruvector-api-key/);
    expect(p.line).toBe(12);
  });

  it('names that meet only after templating are caught too', () => {
    const text = TWO_REGIONS + "secrets:\n  - { name: 'app-key-${region}', valueFrom: generated }\n  - { name: app-key-europe-west1, valueFrom: none }\n";
    expect(at(text, 'secrets[1].name').message).toMatch(/"app-key-europe-west1" is also the name given by secrets\[0\]\.name/);
  });
});

describe('labels', () => {
  const labels = (n: number) => `metadata:\n  name: demo\n  labels:\n${Array.from({ length: n }, (_, i) => `    key-${i}: v${i}`).join('\n')}\n`;
  const spec = (n: number) => MINIMAL.replace('metadata:\n  name: demo\n', labels(n));

  it('70 labels are refused: with the 3 ruvector adds a resource would carry 73, GCP allows 64', () => {
    const p = at(spec(70), 'metadata.labels');
    expect(p.message).toBe('70 labels here: with the 3 ruvector adds (managed-by, ruvector-topology, tier), a Cloud Run service would carry 73; GCP allows at most 64 per resource');
    expect(p.line).toBe(6);
  });

  it("59 labels fit exactly: a Redis instance also carries redis.labels' two defaults (59 + 2 + 3 = 64); 60 do not", () => {
    expect(() => load(spec(59))).not.toThrow();
    at(spec(60), 'metadata.labels', /^60 labels here: with redis\.labels \(its default\) and the 3 ruvector adds .* a Redis instance would carry 65/);
    // Without those defaults (and the vector buckets' two), 61 is the most.
    expect(() => load(spec(61).replace('service:\n', 'redis:\n  labels: {}\nstorage:\n  vectors:\n    labels: {}\nservice:\n'))).not.toThrow();
    at(spec(62).replace('service:\n', 'redis:\n  labels: {}\nstorage:\n  vectors:\n    labels: {}\nservice:\n'), 'metadata.labels', /a Cloud Run service would carry 65/);
  });

  it('redis.labels count together with metadata.labels', () => {
    const text = spec(40).replace('service:\n', `redis:\n  labels:\n${Array.from({ length: 30 }, (_, i) => `    redis-${i}: v`).join('\n')}\nservice:\n`);
    at(text, 'redis.labels', /^30 labels here: with metadata\.labels and the 3 ruvector adds .* a Redis instance would carry 73/);
  });

  it('a key ruvector sets itself is refused (it would be overwritten without a word); key and value rules hold', () => {
    const p = at(withExtra('redis:\n  labels: { tier: gold }\n'), 'redis.labels.tier');
    expect(p.message).toMatch(/^label "tier" is set by ruvector/);
    expect(p.col).toBe(13);
    at(MINIMAL.replace('  name: demo\n', '  name: demo\n  labels: { managed-by: someone }\n'), 'metadata.labels.managed-by', /set by ruvector/);
    at(MINIMAL.replace('  name: demo\n', '  name: demo\n  labels: { Team: search }\n'), 'metadata.labels.Team', /label keys: lowercase letter first/);
    at(MINIMAL.replace('  name: demo\n', `  name: demo\n  labels: { team: ${'x'.repeat(64)} }\n`), 'metadata.labels.team', /at most 63/);
  });
});

describe('service env', () => {
  const env = (n: number) => withExtra(`  env:\n${Array.from({ length: n }, (_, i) => `    VAR_${i}: "v"`).join('\n')}\n`);

  it("10,000 env vars are refused: Cloud Run allows 1,000 per container", () => {
    const p = at(env(10_000), 'service.env');
    expect(p.message).toBe("the service would get 10016 environment variables (10012 plain, 4 from secrets, the seed's defaults included); Cloud Run allows at most 1000");
  });

  it("the seed's 16 defaults count: 984 more fit, 985 do not", () => {
    expect(() => load(env(984))).not.toThrow();
    at(env(985), 'service.env', /would get 1001 environment variables/);
  });

  it("a secret's payload in a plain env var is refused, pointing at secretEnv", () => {
    const text = withExtra('  env:\n    API_KEY: "${ref:projects/my-project-1/secrets/ruvector-api-key#payload}"\n');
    const p = at(text, 'service.env.API_KEY');
    expect(p.message).toBe("this puts a secret's value in a plain env var, readable by anyone who can view the service; use service.secretEnv.API_KEY: { secret: ruvector-api-key } (a secretKeyRef) instead");
    expect(p.line).toBe(11);
  });

  it('a variable Cloud Run sets itself, or one set both plainly and from a secret, is refused', () => {
    at(withExtra('  env:\n    PORT: "9090"\n'), 'service.env.PORT', /set by Cloud Run itself/);
    at(withExtra('  env:\n    DB_PASSWORD: hunter2\n'), 'service.env.DB_PASSWORD', /also comes from a secret \(the seed's secretEnv default\)/);
  });

  it('the templates are unaffected', () => {
    for (const name of ['production', 'regional', 'local'] as const) expect(() => load(template(name), `${name}.yaml`)).not.toThrow();
  });
});
