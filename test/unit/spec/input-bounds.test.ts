/**
 * Input that would hang or crash validation (a 10 MB spec, a million-entry list, deep
 * nesting, alias bombs) is refused early with a located problem, and every YAML-level error
 * carries a file:line:col.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, loadSpec, parseSpec, SpecError, type SpecProblem } from '../../../src/spec/index.js';
import { MAX_COLLECTION_ENTRIES, MAX_NESTING_DEPTH, MAX_SPEC_BYTES } from '../../../src/spec/limits.js';
import { expandTopology } from '../../../src/topology/index.js';
import { load, MINIMAL, problems, template, withExtra } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rv-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withLabels(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`    label-${String(i).padStart(6, '0')}: value-${String(i).padStart(6, '0')}`);
  return template('production').replace('    environment: production\n', `    environment: production\n${lines.join('\n')}\n`);
}

function only(text: string): SpecProblem {
  const ps = problems(text);
  expect(ps, ps.map(formatProblem).join('\n')).toHaveLength(1);
  return ps[0]!;
}

/** The 1-based line on which `needle` first appears. */
const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

describe('oversize specs', () => {
  it('production.yaml with 350,000 labels (10 MB) is refused from its file where the size limit is passed', async () => {
    const text = withLabels(350_000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(10 * MAX_SPEC_BYTES);
    const file = join(dir, 'big.yaml');
    writeFileSync(file, text);
    const e = await loadSpec(file).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(SpecError);
    const ps = (e as SpecError).problems;
    expect(ps).toHaveLength(1);
    expect(ps[0]!.file).toBe(file);
    expect(ps[0]!.message).toMatch(/^the spec is 10\.\d MiB; at most 1\.0 MiB is accepted/);
    // Located where the first MiB ends (in bytes: the template has non-ASCII text), not at 1:1.
    const before = Buffer.from(text).subarray(0, MAX_SPEC_BYTES).toString('utf8');
    expect(ps[0]!.line).toBe(before.split('\n').length);
  });

  it('one million tier-2 entries: a located refusal, not "Maximum call stack size exceeded"', () => {
    const entries = Array.from({ length: 1_000_000 }, (_, i) => `    - region-${i}`).join('\n');
    const p = only(MINIMAL.replace('  tier1: [us-central1]\n', `  tier1: [us-central1]\n  tier2:\n${entries}\n`));
    expect(p.message).toMatch(/^the spec is \d+\.\d MiB/);
    expect(p.line).toBeGreaterThan(8);
  });

  it('a map of more than 10,000 entries inside the size limit is refused at the entry past the limit, with its path', () => {
    const text = withLabels(MAX_COLLECTION_ENTRIES + 5);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_SPEC_BYTES);
    const p = only(text);
    expect(p.path).toBe('metadata.labels');
    expect(p.message).toBe('this map has more than 10,000 entries; the excess starts here');
    // environment is entry 1, label-000000 entry 2: entry 10,001 is label-009999.
    expect(p.line).toBe(lineOf(text, 'label-009999:'));
  });

  it('a list of more than 10,000 entries is refused the same way', () => {
    const spec = MINIMAL.replace('  tier1: [us-central1]\n', `  tier1: [us-central1]\n  tier2: [${Array.from({ length: MAX_COLLECTION_ENTRIES + 1 }, () => 'us-east1').join(', ')}]\n`);
    const p = only(spec);
    expect(p.path).toBe('regions.tier2');
    expect(p.message).toMatch(/^this list has more than 10,000 entries/);
    expect(p.line).toBe(8);
  });

  it('more regions than GCP has is refused as a whole (the per-region checks never see such a list)', () => {
    const many = Array.from({ length: 200 }, (_, i) => `r${i}`).join(', ');
    const ps = problems(MINIMAL.replace('  tier1: [us-central1]\n', `  tier1: [us-central1]\n  tier2: [${many}]\n`));
    expect(ps.map((p) => `${p.path}: ${p.message}`)).toEqual([expect.stringMatching(/^regions\.tier2: 200 regions listed; GCP has \d+/)]);
  });

  it('nesting deeper than 64 levels is refused where it passes the limit, without overflowing the stack', () => {
    for (const text of [withExtra(`extra: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), withExtra(`extra:\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')} x\n`)]) {
      const p = only(text);
      expect(p.message).toBe(`lists and maps nest more than ${MAX_NESTING_DEPTH} levels deep here`);
      expect(p.line).toBeGreaterThanOrEqual(10);
      expect(p.path).toMatch(/^extra\[0\]/);
    }
  });

  it('a large spec under the limits still reports every problem with its position (no quadratic step, no spread overflow)', () => {
    const firewalls = Array.from({ length: 5000 }, (_, i) => `    - {name: fw-${i}, priority: -1}`).join('\n');
    const ps = problems(withExtra(`network:\n  firewalls:\n${firewalls}\n`));
    expect(ps).toHaveLength(5000);
    expect(ps[4999]).toMatchObject({ path: 'network.firewalls[4999].priority', line: 5011 });
  });
});

describe('YAML errors carry a position', () => {
  it('an alias bomb is refused at the alias that passes the expansion limit, not "Excessive alias count"', () => {
    const bomb = withExtra(
      'x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n' +
        'y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n' +
        'z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n' +
        'w: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    );
    const p = only(bomb);
    expect(p.message).toMatch(/^aliases expand to more than 10,000 nodes by here/);
    expect(p.line).toBe(13);
    expect(p.path).toMatch(/^w\[\d+\]$/);
  });

  it('an unresolved alias points at the alias', () => {
    const p = only(withExtra('service2: *nope\n'));
    expect(p).toMatchObject({ line: 10, col: 11, path: 'service2', message: 'alias *nope refers to no anchor &nope before it' });
  });

  it('an alias inside its own anchor is refused, not turned into a circular object', () => {
    const p = only(withExtra('loop: &a [1, *a]\n'));
    expect(p).toMatchObject({ line: 10, path: 'loop[1]' });
    expect(p.message).toMatch(/refers to the node that contains it/);
  });

  it('ordinary aliases still work', () => {
    const { spec } = load(withExtra('redis:\n  labels: &team { team: search }\nstorage:\n  vectors:\n    labels: *team\n'));
    expect(spec.storage.vectors.labels).toEqual({ team: 'search' });
    expect(spec.redis.labels).toEqual({ team: 'search' });
  });

  it('a duplicate key points at the second one and names the line of the first', () => {
    const p = only(withExtra('project: other-project\n'));
    expect(p).toMatchObject({ line: 10, col: 1, path: 'project', message: 'duplicate key "project" (first at line 5)' });
  });

  it('an empty path is named in the message, not printed as ":1:1"', async () => {
    const e = (await loadSpec('').then(() => undefined, (x: unknown) => x)) as SpecError;
    expect(e).toBeInstanceOf(SpecError);
    expect(formatProblem(e.problems[0]!)).toMatch(/^\(empty path\):1:1 {2}\(root\) {2}no spec file named: the path is empty/);
    expect(e.message).not.toMatch(/(^|\s):1:1/);
    let fromText: SpecError | undefined;
    try {
      parseSpec('kind: [', '');
    } catch (x) {
      fromText = x as SpecError;
    }
    expect(formatProblem(fromText!.problems[0]!)).toMatch(/^\(empty path\):1:\d+/);
  });
});

describe('two fields naming one resource are located spec problems, not "duplicate resource name in graph"', () => {
  const base = MINIMAL.replace('  tier1: [us-central1]\n', '  tier1: [us-central1, europe-west1]\n  tier2: [us-east1]\n');
  const cases: [string, string, string, RegExp][] = [
    ['firewalls', 'network:\n  firewalls:\n    - { name: a, sourceRanges: [10.0.0.0/8] }\n    - { name: a, sourceRanges: [10.0.0.0/8] }\n', 'network.firewalls[1].name', /"a" is also the name given by network\.firewalls\[0\]\.name: both would be the firewall a/],
    ['private service ranges', 'network:\n  privateServiceAccess:\n    ranges: [{ name: psa-one }, { name: psa-one }]\n', 'network.privateServiceAccess.ranges[1].name', /global address psa-one/],
    ['a PSA range named like the LB address', 'network:\n  privateServiceAccess:\n    ranges: [{ name: ruvector-global-ip }]\n', 'network.privateServiceAccess.ranges[0].name', /loadBalancer\.addressName \(its default\)/],
    ['logs bucket named like a vector bucket', 'storage:\n  logs:\n    name: ruvector-vectors-us-central1\n', 'storage.logs.name', /storage\.vectors\.name \(its default\): both would be the bucket ruvector-vectors-us-central1/],
    ['connector subnet named like the subnet', "network:\n  connector:\n    subnetName: 'ruvector-subnet-${region}'\n", 'network.connector.subnetName', /subnetwork ruvector-subnet-us-central1 in us-central1/],
    ['redirect URL map named like the URL map', 'loadBalancer:\n  redirectUrlMapName: ruvector-url-map\n', 'loadBalancer.redirectUrlMapName', /URL map ruvector-url-map/],
    ['HTTP forwarding rule named like the HTTPS one', 'loadBalancer:\n  httpForwardingRuleName: ruvector-https-forwarding\n', 'loadBalancer.httpForwardingRuleName', /forwarding rule ruvector-https-forwarding/],
    ['a replica named like its primary', "sql:\n  replicaName: 'ruvector-db-${primaryRegion}'\n", 'sql.replicaName', /Cloud SQL instance ruvector-db-us-central1/],
    ['two topics with one schema name', "pubsub:\n  topics:\n    - { name: topic-one, schema: { name: shared-schema, definition: '\"string\"' } }\n    - { name: topic-two, schema: { name: shared-schema, definition: '\"string\"' } }\n", 'pubsub.topics[1].schema.name', /Pub\/Sub schema shared-schema/],
    ['two topics with one subscription name', "pubsub:\n  topics:\n    - { name: topic-one, subscription: { name: 'sub-${region}', pushPath: /a } }\n    - { name: topic-two, subscription: { name: 'sub-${region}', pushPath: /b } }\n", 'pubsub.topics[1].subscription.name', /Pub\/Sub subscription sub-us-central1/],
  ];
  it.each(cases)('%s', (_what, extra, path, message) => {
    const text = `${base}${extra}`;
    const ps = problems(text);
    const p = ps.find((x) => x.path === path && message.test(x.message));
    expect(p, ps.map(formatProblem).join('\n')).toBeDefined();
    expect(p!.line).toBeGreaterThan(10);
  });

  it('a service account shared by every region expands (one bucket grant per bucket and member)', () => {
    const { spec } = load(`${base}iam:\n  serviceAccount: { accountId: ruvector-shared }\n`);
    const grants = expandTopology(spec).resources.filter((r) => r.name.includes('#iam/serviceAccount:ruvector-shared'));
    expect(grants.map((r) => r.name)).toEqual([
      'projects/_/buckets/ruvector-vectors-us-central1#iam/serviceAccount:ruvector-shared@my-project-1.iam.gserviceaccount.com',
      'projects/_/buckets/ruvector-vectors-europe-west1#iam/serviceAccount:ruvector-shared@my-project-1.iam.gserviceaccount.com',
    ]);
  });
});
