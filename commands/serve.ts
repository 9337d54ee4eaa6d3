import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../src/cli/base-command.js';
import { ConfigError, loadConfig } from '../service/src/config.js';
import { startServer } from '../service/src/server.js';

export default class Serve extends BaseCommand {
  static override summary = 'Run the ruvector vector service locally (the same server the image runs on Cloud Run)';
  static override description = `Configuration comes from the environment exactly as on Cloud Run (REGION, HNSW_M, HNSW_EF_CONSTRUCTION,
HNSW_EF_SEARCH, QUANTIZATION_ENABLED, REDIS_HOST/REDIS_PORT, DB_HOST/DB_NAME/DB_USER/DB_PASSWORD,
STORAGE_BUCKET, PUBSUB_TOPIC, RUVECTOR_API_KEY, ...; see service/README.md); flags override a few.
Needs PostgreSQL and Redis (Redis may be down: it is only a cache). Stops gracefully on Ctrl-C / SIGTERM.`;

  static override examples = [
    'RUVECTOR_API_KEY=$(openssl rand -hex 16) <%= config.bin %> serve --port 8080',
    'DB_NAME=ruvector REDIS_HOST=127.0.0.1 <%= config.bin %> serve --region us-central1 --workers 4',
  ];

  static override flags = {
    port: Flags.integer({ char: 'p', summary: 'Port to listen on (default: $PORT or 8080)', min: 0, max: 65535 }),
    host: Flags.string({ summary: 'Address to bind (default: $HOST or 0.0.0.0)' }),
    region: Flags.string({ summary: 'Region name this instance reports and replicates as (default: $REGION or local)' }),
    workers: Flags.integer({ summary: 'Search worker threads, each with an index replica (default: $SEARCH_WORKERS or one per CPU)', min: 1 }),
  };

  async run(): Promise<{ url: string; region: string; workers: number }> {
    const { flags } = await this.parse(Serve);
    const env: Record<string, string | undefined> = { ...process.env };
    if (flags.port !== undefined) env.PORT = String(flags.port);
    if (flags.host !== undefined) env.HOST = flags.host;
    if (flags.region !== undefined) env.REGION = flags.region;
    if (flags.workers !== undefined) env.SEARCH_WORKERS = String(flags.workers);
    let cfg;
    try {
      cfg = loadConfig(env);
    } catch (e) {
      if (e instanceof ConfigError) throw new UserError(e.message, 2);
      throw e;
    }
    const server = await startServer(cfg).catch((e: Error) => {
      throw new UserError(`could not start the service: ${e.message}`);
    });
    const done = new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve, resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.started.catch((e: Error) => {
      throw new UserError(`the service failed to load: ${e.message}`);
    });
    if (!this.jsonEnabled()) this.logToStderr(`ruvector service listening on ${server.url} (region ${cfg.region}); Ctrl-C to stop`);
    await done;
    return this.finish({ url: server.url, region: cfg.region, workers: cfg.searchWorkers });
  }
}
