import { describe, expect, it } from 'vitest';
import { AnalyticsRows } from '../../service/src/store/analytics-rows.js';

describe('analytics rows (columnar buffer)', () => {
  it('gives back every field as written, absent ones as null', () => {
    const rows = new AnalyticsRows(4);
    rows.push({ type: 'search', latencyMs: 1.25, user: 'ip-10.0.0.1', cacheHit: true, resultCount: 10 }, 1_795_000_000_123);
    rows.push({ type: 'insert', latencyMs: 30.5, resultCount: 0 }, 1_795_000_000_456);
    rows.push({ type: 'search', latencyMs: 0.5, user: 'ip-10.0.0.1', cacheHit: false, errorCode: 'RATE_LIMITED' }, 1_795_000_000_789);
    expect(rows.length).toBe(3);
    expect(rows.full).toBe(false);
    expect(JSON.parse(rows.json(0, 3))).toEqual([
      { at: 1_795_000_000_123, user: 'ip-10.0.0.1', type: 'search', latencyMs: 1.25, cacheHit: true, resultCount: 10, errorCode: null },
      { at: 1_795_000_000_456, user: null, type: 'insert', latencyMs: 30.5, cacheHit: null, resultCount: 0, errorCode: null },
      { at: 1_795_000_000_789, user: 'ip-10.0.0.1', type: 'search', latencyMs: 0.5, cacheHit: false, resultCount: null, errorCode: 'RATE_LIMITED' },
    ]);
    // a window of the rows, as a flush sends them in statements
    expect(JSON.parse(rows.json(1, 2))).toHaveLength(1);
    expect(JSON.parse(rows.json(1, 2))[0].type).toBe('insert');
  });

  it('says when it is full', () => {
    const rows = new AnalyticsRows(2);
    rows.push({ type: 'get', latencyMs: 1 }, 1);
    rows.push({ type: 'get', latencyMs: 2 }, 2);
    expect(rows.full).toBe(true);
  });
});
