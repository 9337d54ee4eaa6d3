/**
 * Versioned schema migrations, applied in order at start under an advisory lock so that many
 * instances starting together apply each exactly once. Kept in code (not .sql files) so they
 * ship inside dist/ with nothing to locate at runtime.
 *
 * Version 1 is the seed's schema (infrastructure-design.md section 3.2) with the changes the
 * seed's own SQL needs to run: partitioned tables' primary keys include the partition key,
 * and vector_metadata is keyed by (collection, id) and holds the vector itself so that an
 * acknowledged write is durable (see service/README.md).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'seed schema',
    sql: `
CREATE TABLE collections (
    name VARCHAR(255) PRIMARY KEY,
    uid BIGSERIAL UNIQUE,
    dimension INT NOT NULL CHECK (dimension > 0),
    metric VARCHAR(16) NOT NULL CHECK (metric IN ('l2', 'cosine', 'ip')),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE SEQUENCE vector_metadata_seq;

CREATE TABLE vector_metadata (
    collection VARCHAR(255) NOT NULL REFERENCES collections(name) ON DELETE CASCADE,
    id VARCHAR(255) NOT NULL,
    dimension INT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    metadata JSONB,
    region VARCHAR(50) NOT NULL,
    storage_path TEXT NOT NULL,
    checksum VARCHAR(64),
    vector BYTEA,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    version_ts BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT nextval('vector_metadata_seq'),
    PRIMARY KEY (collection, id)
);

CREATE INDEX idx_vector_metadata_created_at ON vector_metadata(created_at DESC);
CREATE INDEX idx_vector_metadata_region ON vector_metadata(region);
CREATE INDEX idx_vector_metadata_metadata ON vector_metadata USING GIN(metadata);
CREATE INDEX idx_vector_metadata_seq ON vector_metadata(seq);

CREATE TABLE rate_limits (
    user_id VARCHAR(255) NOT NULL,
    window_start TIMESTAMP WITH TIME ZONE NOT NULL,
    request_count INT DEFAULT 0,
    PRIMARY KEY (user_id, window_start)
);

CREATE TABLE rate_limits_partitioned (
    LIKE rate_limits INCLUDING ALL
) PARTITION BY RANGE (window_start);
CREATE TABLE rate_limits_partitioned_default PARTITION OF rate_limits_partitioned DEFAULT;

CREATE TABLE agent_coordination (
    agent_id VARCHAR(255) PRIMARY KEY,
    agent_type VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL,
    region VARCHAR(50) NOT NULL,
    last_heartbeat TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    metadata JSONB
);
CREATE INDEX idx_agent_coordination_status ON agent_coordination(status);
CREATE INDEX idx_agent_coordination_region ON agent_coordination(region);
CREATE INDEX idx_agent_coordination_heartbeat ON agent_coordination(last_heartbeat);

CREATE TABLE task_coordination (
    task_id VARCHAR(255) PRIMARY KEY,
    task_type VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL,
    assigned_agent_id VARCHAR(255) REFERENCES agent_coordination(agent_id),
    priority INT DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    started_at TIMESTAMP WITH TIME ZONE,
    completed_at TIMESTAMP WITH TIME ZONE,
    task_data JSONB,
    result JSONB
);
CREATE INDEX idx_task_coordination_status ON task_coordination(status);
CREATE INDEX idx_task_coordination_priority ON task_coordination(priority DESC);
CREATE INDEX idx_task_coordination_created_at ON task_coordination(created_at DESC);

CREATE TABLE query_analytics (
    query_id VARCHAR(255) PRIMARY KEY,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    region VARCHAR(50) NOT NULL,
    user_id VARCHAR(255),
    query_type VARCHAR(50) NOT NULL,
    latency_ms FLOAT NOT NULL,
    cache_hit BOOLEAN,
    result_count INT,
    error_code VARCHAR(50)
);

-- A partitioned table's unique key must contain the partition key.
CREATE TABLE query_analytics_partitioned (
    query_id VARCHAR(255) NOT NULL,
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    region VARCHAR(50) NOT NULL,
    user_id VARCHAR(255),
    query_type VARCHAR(50) NOT NULL,
    latency_ms FLOAT NOT NULL,
    cache_hit BOOLEAN,
    result_count INT,
    error_code VARCHAR(50),
    PRIMARY KEY (query_id, timestamp)
) PARTITION BY RANGE (timestamp);
CREATE TABLE query_analytics_partitioned_default PARTITION OF query_analytics_partitioned DEFAULT;

CREATE MATERIALIZED VIEW query_metrics_hourly AS
SELECT
    date_trunc('hour', timestamp) AS hour,
    region,
    query_type,
    COUNT(*) AS total_queries,
    AVG(latency_ms) AS avg_latency_ms,
    PERCENTILE_CONT(0.50) WITHIN GROUP (ORDER BY latency_ms) AS p50_latency_ms,
    PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_latency_ms,
    PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99_latency_ms,
    SUM(CASE WHEN cache_hit THEN 1 ELSE 0 END)::FLOAT / COUNT(*) AS cache_hit_rate,
    SUM(CASE WHEN error_code IS NOT NULL THEN 1 ELSE 0 END)::FLOAT / COUNT(*) AS error_rate
FROM query_analytics_partitioned
GROUP BY 1, 2, 3;

CREATE INDEX idx_query_metrics_hourly_hour ON query_metrics_hourly(hour DESC);
`,
  },
  {
    version: 2,
    name: 'replication outbox',
    // storage_path = 'pending' marks a write of this region not yet announced to the others
    // (service/src/replication/shipper.ts); the partial index keeps the outbox sweep cheap.
    sql: `CREATE INDEX idx_vector_metadata_pending ON vector_metadata(seq) WHERE storage_path = 'pending';`,
  },
  {
    version: 3,
    name: 'collection drops replicate',
    // A drop is last writer wins like a point write (service/README.md, Replication): the
    // collection's creation gets a version to compare a drop with, and a dropped name keeps a
    // tombstone so an update older than the drop cannot re-create it. pending = this region's
    // drop not yet announced (the outbox, as vector_metadata.storage_path = 'pending').
    sql: `
ALTER TABLE collections ADD COLUMN created_ts BIGINT;
UPDATE collections SET created_ts = (extract(epoch FROM created_at) * 1000)::bigint;
ALTER TABLE collections
  ALTER COLUMN created_ts SET DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
  ALTER COLUMN created_ts SET NOT NULL;

CREATE TABLE collection_tombstones (
    name VARCHAR(255) PRIMARY KEY,
    version_ts BIGINT NOT NULL,
    region VARCHAR(50) NOT NULL,
    pending BOOLEAN NOT NULL DEFAULT FALSE,
    dropped_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
`,
  },
];
