import { ConfigError, loadConfig } from './config.js';
import { startServer, type RunningServer } from './server.js';

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
    const t = setTimeout(() => void hardStop(server, `the drain did not finish within ${cfg.drainTimeoutMs} ms`), cfg.drainTimeoutMs).unref();
    server.close().then(
      () => {
        clearTimeout(t);
        process.exit(0);
      },
      (e: Error) => {
        clearTimeout(t);
        void hardStop(server, `the drain failed: ${e.message}`);
      },
    );
    process.stderr.write(`received ${sig}, draining\n`);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** How long the hard stop waits for searches to leave hnswlib before exiting regardless. */
const HALT_WAIT_MS = 2000;

/** The drain ran out of time: exit 1 with requests still in flight, without aborting. */
async function hardStop(server: RunningServer, why: string): Promise<void> {
  process.stderr.write(`${why}; stopping searches and exiting 1\n`);
  const halted = await server.halt(HALT_WAIT_MS).catch(() => false);
  if (!halted) process.stderr.write(`a search was still running after ${HALT_WAIT_MS} ms; exiting anyway\n`);
  process.exit(1);
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) void main();
