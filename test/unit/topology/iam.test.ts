import { describe, expect, it } from 'vitest';
import { get, minimal, P, production } from './helpers.js';

interface Binding {
  role: string;
  members: string[];
  condition?: { expression: string };
}

describe('IAM for cross-region replication', () => {
  it('lets every region read objects in every vector bucket, and only those, through one conditional project grant', () => {
    const { graph } = production();
    const bindings = get(graph, `${P}#iam`).spec.bindings as Binding[];
    const read = bindings.filter((b) => b.condition);
    expect(read).toHaveLength(1);
    expect(read[0]!.role).toBe('roles/storage.objectViewer');
    const accounts = graph.resources.filter((r) => r.kind === 'iam.ServiceAccount');
    expect(read[0]!.members).toHaveLength(accounts.length);
    const buckets = graph.resources.filter((r) => r.kind === 'storage.Bucket' && /ruvector-vectors-/.test(r.name)).map((r) => r.name.split('/').pop()!);
    expect(buckets.length).toBeGreaterThan(1);
    const named = [...read[0]!.condition!.expression.matchAll(/buckets\/([^/]+)\/objects\//g)].map((m) => m[1]).sort();
    expect(named).toEqual([...buckets].sort());
    // The unconditional project roles are unchanged: no plain storage role at project level.
    expect(bindings.filter((b) => !b.condition).map((b) => b.role)).not.toContain('roles/storage.objectViewer');
  });

  it('adds no such grant where there is one vector bucket', () => {
    const g = minimal();
    const policy = g.resources.find((r) => r.name.endsWith('#iam') && r.kind === 'iam.PolicyMembers' && !r.name.includes('/buckets/'));
    expect(((policy?.spec.bindings ?? []) as Binding[]).some((b) => b.condition)).toBe(false);
  });
});
