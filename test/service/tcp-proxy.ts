import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (here Postgres) that a test can stall or take down,
 * for this test's connections only: pausing or stopping the shared Postgres would break every
 * other test using it. `stall()` forwards nothing either way while keeping every connection
 * open and accepting new ones, which is what a SIGSTOPped server looks like to a client (the
 * kernel still accepts and acknowledges; nothing answers). `down()` resets every connection
 * and stops listening, as a stopped server does (ECONNREFUSED).
 */
export class TcpProxy {
  private server?: Server;
  private pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  port = 0;

  constructor(private upstreamHost: string, private upstreamPort: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.upstreamPort, this.upstreamHost);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      if (this.stalled) {
        client.pause();
        upstream.pause();
      } else this.flow(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  private flow([a, b]: [Socket, Socket]): void {
    a.pipe(b);
    b.pipe(a);
  }

  /** Nothing is forwarded until resume(); connections stay open and new ones are accepted. */
  stall(): void {
    this.stalled = true;
    for (const [a, b] of this.pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) this.flow(pair);
  }

  /** Every connection reset, and nothing listening on the port. */
  async down(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  /** Listening again on the same port. */
  async up(): Promise<void> {
    this.stalled = false;
    await this.start();
  }

  async close(): Promise<void> {
    await this.down();
  }
}
