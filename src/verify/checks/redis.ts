/** Memorystore: READY, reachable, and writable (SET/GET/DEL a probe key with a short TTL). */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { readWithRetry } from '../live.js';
import { fail, pass, warn, type CheckDef, type Outcome } from '../types.js';

export async function probeRedis(o: { host: string; port: number; password?: string; timeoutMs: number }): Promise<Outcome> {
  const client = new Redis({
    host: o.host,
    port: o.port,
    password: o.password,
    lazyConnect: true,
    connectTimeout: o.timeoutMs,
    commandTimeout: o.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  const key = `ruvector:verify:${randomBytes(6).toString('hex')}`;
  const value = randomBytes(8).toString('hex');
  const started = performance.now();
  try {
    await client.connect();
    await client.set(key, value, 'EX', 30);
    const got = await client.get(key);
    await client.del(key);
    const ms = performance.now() - started;
    if (got !== value) return fail(`wrote ${key} but read back ${got === null ? 'nothing' : 'a different value'}`);
    return pass(`${o.host}:${o.port} writable (SET/GET/DEL in ${ms.toFixed(1)} ms)`, { roundTripMs: Number(ms.toFixed(2)) });
  } finally {
    client.disconnect();
  }
}

export function redisChecks(v: VerifyContext, region: string): CheckDef[] {
  return v.live.desired('redis.Instance', region).map((d) => ({
    group: 'redis' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: v.opts.timeoutMs,
    async run() {
      const o = await v.live.get(d);
      if (!o) return fail(`instance ${d.name} does not exist`);
      if (o.raw.state !== 'READY') return fail(`state ${String(o.raw.state ?? 'unknown')}`);
      const host = typeof o.raw.host === 'string' ? o.raw.host : undefined;
      const port = Number(o.raw.port ?? 6379);
      if (!host) return fail('the instance reports no host');
      let password: string | undefined;
      if (o.raw.authEnabled === true) {
        const [auth] = await readWithRetry(v.session, `reading the AUTH string of ${lastSegment(d.name)}`, () => v.session.clients.redis.getInstanceAuthString({ name: d.name }));
        password = auth.authString ?? undefined;
      }
      try {
        return await probeRedis({ host, port, password, timeoutMs: Math.min(5000, v.opts.timeoutMs) });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        // From outside the VPC a private address is unreachable by design: say so instead of failing.
        if (!v.session.clients.capabilities.privateIpsReachable && /ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|connect/i.test(msg)) {
          return warn(`READY; ${host}:${port} is not reachable from here (private IP: run verify inside the VPC): ${msg}`);
        }
        return fail(`${host}:${port} unreachable: ${msg}`);
      }
    },
  }));
}
