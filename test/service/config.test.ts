import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../service/src/config.js';
import { SERVICE_NODE_FLAGS } from '../../service/src/node-flags.js';

describe('service configuration', () => {
  it('reads the seed environment', () => {
    const c = loadConfig({
      PORT: '8080', REGION: 'europe-west1', HNSW_M: '32', HNSW_EF_CONSTRUCTION: '200', HNSW_EF_SEARCH: '100', QUANTIZATION_ENABLED: 'true',
      CACHE_SIZE_GB: '8', REDIS_HOST: '10.0.0.3', REDIS_PORT: '6379', DB_HOST: '/cloudsql/proj:europe-west1:ruvector-db', DB_NAME: 'ruvector',
      DB_USER: 'u', DB_PASSWORD: 'p', STORAGE_BUCKET: 'ruvector-vectors-europe-west1', PUBSUB_TOPIC: 'projects/proj/topics/vector-updates',
      RUST_LOG: 'info,ruvector_core=debug',
    });
    expect(c).toMatchObject({ port: 8080, region: 'europe-west1', hnsw: { m: 32, efConstruction: 200, efSearch: 100 }, quantization: true, cacheSizeGb: 8, logLevel: 'info' });
    expect(c.db.host).toBe('/cloudsql/proj:europe-west1:ruvector-db');
    expect(c.pubsub).toMatchObject({ topic: 'projects/proj/topics/vector-updates', projectId: 'proj' });
    expect(c.storage.bucket).toBe('ruvector-vectors-europe-west1');
  });

  it('turns optional features off when unset', () => {
    const c = loadConfig({});
    expect(c.storage.bucket).toBeUndefined();
    expect(c.pubsub.topic).toBeUndefined();
    expect(c.apiKey).toBeUndefined();
    expect(c.hnsw.build).toBe('auto');
  });

  it.each([
    ['HNSW_M', 'abc', /HNSW_M must be an integer/],
    ['HNSW_M', '1', /HNSW_M must be between/],
    ['PORT', '70000', /PORT/],
    ['QUANTIZATION_ENABLED', 'maybe', /QUANTIZATION_ENABLED must be true or false/],
    ['CACHE_SIZE_GB', '-1', /CACHE_SIZE_GB/],
    ['STORAGE_BUCKET', 'Bad_Bucket!', /STORAGE_BUCKET/],
    ['PUBSUB_TOPIC', 'projects//x', /PUBSUB_TOPIC/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['PUBSUB_JWKS_URL', 'not a url', /PUBSUB_JWKS_URL/],
    ['SEARCH_CACHE', 'sometimes', /SEARCH_CACHE/],
    ['HNSW_BUILD', 'avx512', /HNSW_BUILD must be auto or portable/],
    ['DB_STATEMENT_TIMEOUT_MS', '5s', /DB_STATEMENT_TIMEOUT_MS must be an integer/],
    ['DB_CONNECT_TIMEOUT_MS', '0', /DB_CONNECT_TIMEOUT_MS must be between 100/],
    ['REQUEST_TIMEOUT_MS', '50', /REQUEST_TIMEOUT_MS must be between 100/],
    ['HEADERS_TIMEOUT_MS', '120000', /HEADERS_TIMEOUT_MS must be at most REQUEST_TIMEOUT_MS \(60000\)/],
  ])('names the bad variable: %s=%s', (name, value, msg) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(msg);
  });

  it('bounds every Postgres wait by default, the client\'s timer a little after the server\'s', () => {
    expect(loadConfig({}).db.timeouts).toEqual({ statementMs: 10_000, queryMs: 12_000, connectMs: 5000, idleMs: 30_000, idleInTransactionMs: 60_000, maintenanceMs: 1_800_000, healthMs: 2000 });
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '30000' }).db.timeouts.queryMs).toBe(32_000);
    // 0 turns the server's limit off, and the client's follows unless it is set.
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0' }).db.timeouts.queryMs).toBe(0);
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '5000', DB_QUERY_TIMEOUT_MS: '1000' })).toThrow(/DB_QUERY_TIMEOUT_MS must be at least DB_STATEMENT_TIMEOUT_MS \(5000\), got 1000/);
  });

  it('the image starts node with the flags the benchmark measured', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('service/Dockerfile', 'utf8'))?.[1];
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd!)).toEqual(['node', ...SERVICE_NODE_FLAGS, 'dist/service/src/main.js']);
  });
});
