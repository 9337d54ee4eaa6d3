/**
 * A closed-loop HTTP/1.1 load generator in the manner of wrk: one keep-alive socket per
 * concurrent client, prepared requests written as single buffers, responses framed by
 * Content-Length and checked for 200. It exists because the load generator shares the 2-core
 * machine with the service, so its CPU per request is taken from the figure being measured:
 * against the same trivial server, node:http's client spends ~100 µs per request, undici ~48,
 * autocannon ~41, this ~17 (measured in this repository; see service/README.md).
 */
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Per request, in microseconds. */
  latency: hdr.Histogram;
}

/** Serialises one POST as the exact bytes sent on the wire. */
export function prepare(host: string, path: string, body: string, headers: Record<string, string> = {}): Buffer {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const payload = Buffer.from(body);
  const head = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n${extra}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Keeps `concurrency` requests in flight for `seconds`, taking the next prepared request from
 * `next()` each time. Rejects on the first non-200 response or socket error.
 */
export async function closedLoop(port: number, concurrency: number, seconds: number, next: () => Buffer): Promise<LoadResult> {
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const start = performance.now();
  const end = start + seconds * 1000;
  let requests = 0;
  const client = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0n;
      const send = () => {
        sentAt = process.hrtime.bigint();
        socket.write(next());
      };
      socket.on('connect', send);
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const h = buf.indexOf(HEADER_END);
        if (h < 0) return;
        const head = buf.toString('latin1', 0, h);
        const len = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!len) return reject(new Error(`response without content-length: ${head.split('\r\n')[0]}`));
        const total = h + 4 + Number(len[1]);
        if (buf.length < total) return;
        if (!head.startsWith('HTTP/1.1 200')) {
          socket.destroy();
          return reject(new Error(`${head.split('\r\n')[0]}: ${buf.toString('utf8', h + 4, total)}`));
        }
        latency.recordValue(Number(process.hrtime.bigint() - sentAt) / 1000);
        requests++;
        buf = buf.subarray(total);
        if (performance.now() < end) send();
        else {
          socket.end();
          resolve();
        }
      });
    });
  await Promise.all(Array.from({ length: concurrency }, client));
  return { requests, seconds: (performance.now() - start) / 1000, latency };
}
