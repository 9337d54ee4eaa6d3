import { describe, expect, it } from 'vitest';
import { lastSegment, regionFromName } from '../../../src/util/resource-name.js';

describe('resource names', () => {
  it('takes the last segment as the id', () => {
    expect(lastSegment('projects/p/locations/us-central1/services/api')).toBe('api');
    expect(lastSegment('projects/p/secrets/s/versions/12')).toBe('12');
    expect(lastSegment('bare')).toBe('bare');
    expect(lastSegment('ends/with/')).toBe('');
    expect(lastSegment('')).toBe('');
  });
  it('finds the region of regional and location-scoped names', () => {
    expect(regionFromName('projects/p/regions/europe-west1/subnetworks/x')).toBe('europe-west1');
    expect(regionFromName('projects/p/locations/asia-east1/services/s')).toBe('asia-east1');
    expect(regionFromName('projects/p/global/networks/n')).toBeUndefined();
  });
});
