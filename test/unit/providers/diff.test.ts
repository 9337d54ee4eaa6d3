import { describe, expect, it } from 'vitest';
import { annotateChanges, KNOWN_AFTER_APPLY } from '../../../src/engine/refs.js';
import { renderPlan } from '../../../src/engine/render.js';
import type { Plan } from '../../../src/engine/types.js';
import { diffFields, maskChanges, topOf } from '../../../src/providers/diff.js';
import { fromClient, toClient } from '../../../src/gcp/proto.js';

describe('diffFields', () => {
  it('compares only the fields the spec owns', () => {
    const observed = { name: 'x', selfLink: 'https://...', creationTimestamp: 't', fingerprint: 'abc', labels: { a: '1', 'goog-extra': 'y' }, timeoutSec: 30 };
    expect(diffFields({ name: 'x', labels: { a: '1' }, timeoutSec: 30 }, observed)).toEqual([]);
    expect(diffFields({ timeoutSec: 60 }, observed)).toEqual([{ path: 'timeoutSec', before: 30, after: 60, sensitive: false }]);
  });

  it('normalises the server forms of a value', () => {
    const url = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc';
    expect(diffFields({ network: 'projects/p/global/networks/vpc' }, { network: url })).toEqual([]);
    expect(diffFields({ network: 'global/networks/vpc' }, { network: url })).toEqual([]);
    expect(diffFields({ network: 'projects/p/global/networks/other' }, { network: url })).toHaveLength(1);
    expect(diffFields({ dataDiskSizeGb: '100' }, { dataDiskSizeGb: 100 })).toEqual([]);
    expect(diffFields({ portRange: '443' }, { portRange: '443-443' })).toEqual([]);
    expect(diffFields({ timeout: '300s' }, { timeout: '300.000s' })).toEqual([]);
    // Zero values and *_UNSPECIFIED enums mean "not set".
    expect(diffFields({ enableCDN: false, backends: [] }, {})).toEqual([]);
    expect(diffFields({ connectMode: 'CONNECT_MODE_UNSPECIFIED' }, {})).toEqual([]);
    expect(diffFields({ enableCDN: true }, {})).toHaveLength(1);
  });

  it('compares arrays element by element with only owned keys, or as sets where order is the server\'s', () => {
    const have = [{ priority: 2, action: 'deny(403)', kind: 'x' }, { priority: 1, action: 'allow', kind: 'x' }];
    expect(diffFields({ rules: [{ priority: 1, action: 'allow' }, { priority: 2, action: 'deny(403)' }] }, { rules: have }, { unordered: ['rules'] })).toEqual([]);
    expect(diffFields({ rules: [{ priority: 1, action: 'allow' }, { priority: 2, action: 'deny(403)' }] }, { rules: have })).toHaveLength(1);
    expect(diffFields({ rules: [{ priority: 1, action: 'allow' }] }, { rules: have }, { unordered: ['rules'] })).toHaveLength(1);
  });

  it('diffs keyed arrays element by element (Armor rules by priority)', () => {
    const have = [
      { priority: 1000, action: 'rate_based_ban', rateLimitOptions: { rateLimitThreshold: { count: 100, intervalSec: 10 } }, kind: 'compute#securityPolicyRule' },
      { priority: 2147483647, action: 'allow' },
      { priority: 50, action: 'deny(403)' },
    ];
    const want = [
      { priority: 1000, action: 'rate_based_ban', rateLimitOptions: { rateLimitThreshold: { count: 300, intervalSec: 10 } } },
      { priority: 2147483647, action: 'allow' },
      { priority: 200, action: 'deny(403)' },
    ];
    const changes = diffFields({ rules: want }, { rules: have }, { keyed: { rules: 'priority' } });
    expect(changes.map((c) => c.path)).toEqual(['rules[priority=1000].rateLimitOptions.rateLimitThreshold.count', 'rules[priority=200]', 'rules[priority=50]']);
    expect(topOf(changes[0]!.path)).toBe('rules');
  });

  it('round-trips REST JSON through the client object form (durations, enums, int64)', () => {
    const rest = { template: { timeout: '300s', scaling: { maxInstanceCount: 5 } }, ingress: 'INGRESS_TRAFFIC_ALL' };
    const obj = toClient('run', 'google.cloud.run.v2.Service', rest);
    expect((obj.template as { timeout: unknown }).timeout).toEqual({ seconds: '300' });
    expect(diffFields(rest, fromClient('run', 'google.cloud.run.v2.Service', obj))).toEqual([]);
  });
});

describe('secrets in plans', () => {
  it('masks values read from secrets and marks unresolved references', () => {
    const resource = { kind: 'sql.User', name: 'u', spec: { password: '${ref:projects/p/secrets/pw#payload}', endpoint: '${ref:svc#uri}/push' }, dependsOn: [] };
    const changes = maskChanges(annotateChanges(resource, [
      { path: 'password', before: undefined, after: 'hunter2-very-secret' },
      { path: 'endpoint', before: 'x', after: '${ref:svc#uri}/push' },
    ]));
    expect(changes[0]).toMatchObject({ path: 'password', after: '(sensitive)', sensitive: true });
    expect(changes[1]).toMatchObject({ path: 'endpoint', after: KNOWN_AFTER_APPLY });
    const plan: Plan = {
      version: 1, topology: 't', project: 'p', target: 'emulator', createdAt: '', fingerprint: 'f', resources: [],
      items: [{ action: 'update', kind: 'sql.User', name: 'projects/p/instances/i/users/u', region: 'us-central1', changes, protect: false, dependsOn: [] }],
    };
    const text = renderPlan(plan, { targetLabel: 'test' });
    expect(text).not.toContain('hunter2');
    expect(text).toContain('password: (unset) -> "(sensitive)"');
    expect(text).toContain('Plan: 0 to create, 1 to update');
  });
});
