/**
 * Cloud SQL where this machine has no PostgreSQL server: an embedded Postgres (PGlite, in
 * this process) per primary instance behind its own socket server. PGlite is one database
 * and one user, and its socket server ignores the names a client sends, so every database
 * and user of the instance lands in that one database; a replica reads its primary's server
 * (read-only is not enforced there).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

interface Served {
  port: number;
  dir: string | undefined;
  close(): Promise<void>;
}

export class PgliteServers {
  private readonly served = new Map<string, Promise<Served>>();

  constructor(
    /** Where instance data lives (the emulator's data dir): a restart with --state keeps it. */
    private readonly dataDir: string,
  ) {}

  /** True when the PGlite packages load on this machine. */
  static async available(): Promise<boolean> {
    try {
      await import('@electric-sql/pglite');
      await import('@electric-sql/pglite-socket');
      return true;
    } catch {
      return false;
    }
  }

  ensure(key: string, dirName: string): Promise<Served> {
    let s = this.served.get(key);
    if (!s) {
      s = this.start(dirName);
      this.served.set(key, s);
      s.catch(() => this.served.delete(key));
    }
    return s;
  }

  private async start(dirName: string): Promise<Served> {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const dir = join(this.dataDir, 'pglite', dirName);
    await mkdir(dir, { recursive: true });
    const db = await PGlite.create(dir);
    // The multiplexer lets a service's connection pool share the single-session database.
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 32 });
    await server.start();
    const addr = (server as unknown as { server?: { address(): { port: number } | string | null } }).server?.address();
    const port = addr && typeof addr === 'object' ? addr.port : 0;
    if (!port) throw new Error('the PGlite socket server did not report its port');
    return {
      port,
      dir,
      async close() {
        await server.stop();
        await db.close();
      },
    };
  }

  port(key: string): Promise<number> | undefined {
    return this.served.get(key)?.then((s) => s.port);
  }

  async drop(key: string, removeData: boolean): Promise<void> {
    const s = await this.served.get(key)?.catch(() => undefined);
    this.served.delete(key);
    if (!s) return;
    await s.close();
    if (removeData && s.dir) await rm(s.dir, { recursive: true, force: true });
  }

  keys(): string[] {
    return [...this.served.keys()];
  }
}
