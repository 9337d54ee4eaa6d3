import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

/** Container entry point (and what `ruvector serve` runs): start, drain on SIGTERM/SIGINT. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const server = await startServer(cfg);
  const stop = (sig: string) => {
    // Cloud Run sends SIGTERM and waits 10 s before SIGKILL.
    const t = setTimeout(() => process.exit(1), cfg.drainTimeoutMs).unref();
    server.close().then(
      () => {
        clearTimeout(t);
        process.exit(0);
      },
      () => process.exit(1),
    );
    process.stderr.write(`received ${sig}, draining\n`);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) void main();
