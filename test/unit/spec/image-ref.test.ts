import { describe, expect, it } from 'vitest';
import { imageRefProblem } from '../../../src/spec/image-ref.js';

describe('container image references', () => {
  it('takes what registries and Cloud Run take: short names, registries with ports, tags, digests', () => {
    const ok = [
      'ruvector:local',
      'gcr.io/ruvector-prod/ruvector:v1.0.0',
      'us-docker.pkg.dev/my-gcp-project/ruvector/ruvector:1.4.0-RC_1',
      'localhost:5000/team/ruvector',
      `us-docker.pkg.dev/p/r/ruvector:1.4.0@sha256:${'ab'.repeat(32)}`,
      `ruvector@sha256:${'0'.repeat(64)}`,
    ];
    expect(ok.filter((r) => imageRefProblem(r) !== undefined)).toEqual([]);
  });
  it('refuses the rest, and says why', () => {
    expect(imageRefProblem('')).toMatch(/^an image reference is required/);
    expect(imageRefProblem('Ruvector:v1')).toMatch(/repository names are lowercase$/);
    for (const bad of ['UPPER CASE', 'ruvector:', 'ruvector::v1', 'ruvector:-v1', 'gcr.io/x/y@sha256:abc', 'a//b', '/abs:1', `r:${'t'.repeat(129)}`]) {
      expect(imageRefProblem(bad), bad).toMatch(/is not an image reference/);
    }
    expect(imageRefProblem(`gcr.io/${'a'.repeat(260)}:v1`)).toBe('image name longer than 255 characters');
  });
});
