import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cidrSubnet, narrow, overlaps } from '../../../src/spec/cidr.js';
import { regionConfig, regionShort, specJsonSchema } from '../../../src/spec/index.js';
import { ROOT } from './helpers.js';

describe('JSON Schema', () => {
  it('the shipped config/ruvector.schema.json is the one the schema code generates', () => {
    const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'ruvector.schema.json'), 'utf8')) as unknown;
    // Regenerate with: ruvector spec schema --out config/ruvector.schema.json
    expect(shipped).toEqual(specJsonSchema());
  });

  it('describes the top-level keys, with usage composed from the cost model', () => {
    const s = specJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; required: string[] };
    expect(Object.keys(s.properties)).toEqual([
      'apiVersion', 'kind', 'metadata', 'project', 'regions', 'tiers', 'service', 'redis', 'sql', 'storage',
      'pubsub', 'network', 'loadBalancer', 'armor', 'iam', 'secrets', 'usage',
    ]);
    expect(s.required.sort()).toEqual(['apiVersion', 'kind', 'metadata', 'project', 'regions', 'service']);
    expect(s.properties.usage!.properties).toHaveProperty('requestsPerMonth');
  });

  it.each(['production', 'regional', 'local'])('templates/%s.yaml points editors at the shipped schema', (name) => {
    const first = readFileSync(join(ROOT, 'templates', `${name}.yaml`), 'utf8').split('\n')[0]!;
    expect(first).toBe('# yaml-language-server: $schema=../config/ruvector.schema.json');
  });
});

describe('region facts (config/regions.yaml)', () => {
  const cfg = regionConfig();

  it("holds the seed's 5 + 10 regions and its nearest-primary map into tier 1", () => {
    expect(cfg.tier1).toHaveLength(5);
    expect(cfg.tier2).toHaveLength(10);
    expect(Object.keys(cfg.nearestPrimary).sort()).toEqual([...cfg.tier2].sort());
    for (const p of Object.values(cfg.nearestPrimary)) expect(cfg.tier1).toContain(p);
    for (const r of [...cfg.tier1, ...cfg.tier2]) expect(cfg.valid).toContain(r);
  });

  it('region short codes are unique across every valid region', () => {
    const codes = cfg.valid.map(regionShort);
    expect(new Set(codes).size).toBe(codes.length);
    expect(regionShort('us-central1')).toBe('usc1');
    expect(regionShort('northamerica-northeast1')).toBe('nane1');
    expect(regionShort('europe-west10')).toBe('euw10');
  });
});

describe('CIDR arithmetic (Terraform cidrsubnet)', () => {
  it("reproduces the seed's layout", () => {
    expect(cidrSubnet('10.0.0.0/8', 8, 0)).toBe('10.0.0.0/16');
    expect(cidrSubnet('10.0.0.0/8', 8, 14)).toBe('10.14.0.0/16');
    expect(cidrSubnet('10.0.0.0/8', 8, 114)).toBe('10.114.0.0/16');
    expect(cidrSubnet('10.129.0.0/16', 8, 3)).toBe('10.129.3.0/24');
    expect(narrow('10.129.3.0/24', 28)).toBe('10.129.3.0/28');
    expect(cidrSubnet('10.0.0.0/8', 8, 256)).toBeUndefined();
  });

  it('detects overlaps and adjacency correctly', () => {
    expect(overlaps('10.0.0.0/16', '10.0.255.0/24')).toBe(true);
    expect(overlaps('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(overlaps('0.0.0.0/0', '192.168.1.0/24')).toBe(true);
  });
});

describe('the shipped JSON Schema as an editor uses it', () => {
  const shipped = JSON.parse(readFileSync(join(ROOT, 'config', 'ruvector.schema.json'), 'utf8')) as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const check = ajv.compile(shipped);

  it.each(['production', 'regional', 'local'])('accepts templates/%s.yaml', (name) => {
    const doc = parse(readFileSync(join(ROOT, 'templates', `${name}.yaml`), 'utf8')) as unknown;
    expect(check(doc), JSON.stringify(check.errors)).toBe(true);
  });

  it('flags what the validator flags: an unknown key and a value out of range', () => {
    const doc = parse(readFileSync(join(ROOT, 'templates', 'regional.yaml'), 'utf8')) as { service: Record<string, unknown> };
    doc.service.concurency = 10;
    doc.service.concurrency = 5000;
    expect(check(doc)).toBe(false);
    const found = (check.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(found).toContain('/service additionalProperties');
    expect(found).toContain('/service/concurrency maximum');
  });
});
