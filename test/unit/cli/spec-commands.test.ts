import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, ruvector } from './helpers.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ruvector-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const production = join(ROOT, 'templates', 'production.yaml');

describe('ruvector --help', () => {
  it('lists the spec commands', async () => {
    const r = await ruvector(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['init', 'validate', 'render', 'spec']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\s`, 'm'));
  });
});

describe('ruvector validate', () => {
  it('exit 0 and a one-line summary for a valid spec', async () => {
    const r = await ruvector(['validate', '-f', production]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/valid — 15 regions \(5 tier 1, 10 tier 2\), 286 resources \(31 iam\.PolicyMembers, 30 compute\.Subnetwork, 30 pubsub\.Subscription, /);
    // warnings go to stderr in the same file:line:col format
    expect(r.stderr).toMatch(/production\.yaml:\d+:\d+ {2}loadBalancer\.domains {2}warning: /);
  });

  it('exit 1 and every problem, one per line, never a stack trace', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `apiVersion: ruvector.dev/v1alpha1
kind: Topology
metadata: { name: demo }
project: my-project-1
regions:
  tier1: [us-central1, europe-wst1]
tiers:
  tier1:
    run: { minInstances: 10, maxInstances: 5 }
service:
  image: x
  concurency: 1
`);
    const r = await ruvector(['validate', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${bad}:6:24  regions.tier1[1]  unknown region "europe-wst1" (did you mean "europe-west1"?)`,
      `${bad}:9:44  tiers.tier1.run.maxInstances  maxInstances (5) is below minInstances (10)`,
      `${bad}:12:3  service.concurency  unknown key "concurency" (did you mean "concurrency"?)`,
      `${bad}: 3 problems`,
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('malformed YAML and a missing file are clean errors too', async () => {
    const bad = join(dir, 'broken.yaml');
    writeFileSync(bad, 'apiVersion: [oops\nkind: Topology\n');
    const r = await ruvector(['validate', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+ {2}\(root\) {2}malformed YAML/);
    const missing = await ruvector(['validate', '-f', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('file not found');
  });

  it('--json for both outcomes', async () => {
    const ok = JSON.parse((await ruvector(['validate', '-f', production, '--json'])).stdout) as { valid: boolean; resources: number; byKind: Record<string, number> };
    expect(ok.valid).toBe(true);
    expect(ok.resources).toBe(286);
    expect(ok.byKind['run.Service']).toBe(15);
    const bad = join(dir, 'bad2.yaml');
    writeFileSync(bad, readFileSync(production, 'utf8').replace('concurrency: 100', 'concurrency: 5000'));
    const r = await ruvector(['validate', '-f', bad, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { path: string; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems.filter((p) => !('severity' in p) || (p as { severity?: string }).severity !== 'warning')).toEqual([
      expect.objectContaining({ path: 'service.concurrency', message: 'Cloud Run allows at most 1000 concurrent requests per instance' }),
    ]);
  });
});

describe('ruvector render', () => {
  it('prints the graph as a table', async () => {
    const r = await ruvector(['render', '-f', production]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^KIND\s+NAME\s+REGION\s+DEPENDS ON$/);
    expect(r.stdout).toMatch(/^sql\.Instance\s+projects\/ruvector-prod\/instances\/ruvector-db-me-west1-replica\s+me-west1\s+ruvector-db-europe-west1, ruvector-vpc, servicenetworking-googleapis-com, ruvector-db-europe-north1-replica$/m);
    expect(lines.at(-1)).toBe('286 resources in 15 regions');
  });

  it('--regions keeps those regions plus the global resources they need, as JSON', async () => {
    const r = await ruvector(['render', '-f', production, '--regions', 'us-central1,europe-west1', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { count: number; regions: string[]; resources: { kind: string; region?: string; homeRegion?: string }[] };
    expect(out.regions).toEqual(['us-central1', 'europe-west1']);
    const regions = new Set(out.resources.map((x) => x.region ?? x.homeRegion).filter(Boolean));
    expect([...regions].sort()).toEqual(['europe-west1', 'us-central1']);
    expect(out.resources.filter((x) => x.kind === 'compute.Network')).toHaveLength(1);
    expect(out.count).toBe(out.resources.length);
  });

  it('--regions naming a region outside the spec is a clear error', async () => {
    const r = await ruvector(['render', '-f', production, '--regions', 'us-central1,mars-north1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--regions: mars-north1 not in the spec');
  });

  it('an invalid spec fails with its problems', async () => {
    const bad = join(dir, 'bad3.yaml');
    writeFileSync(bad, 'apiVersion: ruvector.dev/v1alpha1\nkind: Topology\n');
    const r = await ruvector(['render', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('metadata  required field is missing');
  });
});

describe('ruvector init', () => {
  it.each(['production', 'regional', 'local'])('writes the %s template, which validates', async (t) => {
    const out = join(dir, `${t}.yaml`);
    const r = await ruvector(['init', '--template', t, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    const text = readFileSync(out, 'utf8');
    // the schema line points at this installation's schema, relative to the new file
    const ref = /^# yaml-language-server: \$schema=(.+)$/m.exec(text)![1]!;
    expect(readFileSync(join(dir, ref), 'utf8')).toContain('"title": "ruvector topology spec"');
    expect((await ruvector(['validate', '-f', out])).code).toBe(0);
  });

  it('refuses to overwrite without --force; --project sets the project keeping comments', async () => {
    const out = join(dir, 'mine.yaml');
    expect((await ruvector(['init', '--out', out])).code).toBe(0);
    const again = await ruvector(['init', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists (use --force to overwrite)');
    const r = await ruvector(['init', '--out', out, '--force', '--project', 'acme-vectors', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ template: 'regional', out });
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^project: acme-vectors/m);
    expect(text).toContain('# A realistic first deployment');
  });
});

describe('ruvector spec schema', () => {
  it('prints the JSON Schema the validator uses', async () => {
    const r = await ruvector(['spec', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    expect(schema.properties).toHaveProperty('loadBalancer');
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'config', 'ruvector.schema.json'), 'utf8'));
  });
});
