import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, type ServiceConfig } from '../../service/src/config.js';
import { startServer, type RunningServer } from '../../service/src/server.js';
import { createLogger } from '../../service/src/log.js';
import { createPrng } from '../../src/util/prng.js';

export const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
export const REDIS_HOST = REDIS_URL.hostname;
export const REDIS_PORT = Number(REDIS_URL.port || 6379);
const pgUrl = new URL(PG_URL);

/** A database and a Redis key prefix of this test file's own, removed afterwards. */
/** One statement on the server's maintenance database (roles, databases). */
export async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export class TestEnv {
  readonly db = `ruvector_test_${randomBytes(6).toString('hex')}`;
  readonly prefix = `ruvector_test_${randomBytes(6).toString('hex')}:`;
  readonly apiKey = randomBytes(16).toString('hex');
  private servers: RunningServer[] = [];

  async setup(): Promise<void> {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${this.db}`);
    await c.end();
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PORT: '0',
      HOST: '127.0.0.1',
      DB_HOST: pgUrl.hostname,
      DB_PORT: pgUrl.port || '5432',
      DB_USER: decodeURIComponent(pgUrl.username || 'postgres'),
      ...(pgUrl.password ? { DB_PASSWORD: decodeURIComponent(pgUrl.password) } : {}),
      DB_NAME: this.db,
      REDIS_HOST,
      REDIS_PORT: String(REDIS_PORT),
      REDIS_KEY_PREFIX: this.prefix,
      RUVECTOR_API_KEY: this.apiKey,
      SEARCH_WORKERS: '2',
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  config(extra: Record<string, string> = {}): ServiceConfig {
    return loadConfig(this.env(extra));
  }

  async start(extra: Record<string, string> = {}): Promise<RunningServer> {
    const cfg = this.config(extra);
    const s = await startServer(cfg, { logger: createLogger(cfg) });
    this.servers.push(s);
    await s.started;
    return s;
  }

  query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    const c = new pg.Client({ connectionString: PG_URL.replace(/\/[^/]*$/, `/${this.db}`) });
    return c.connect().then(async () => {
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    });
  }

  async teardown(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${this.db} WITH (FORCE)`);
    await c.end();
    const r = new Redis({ host: REDIS_HOST, port: REDIS_PORT });
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    r.disconnect();
  }
}

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Deterministic vectors for tests (mulberry32, the emulator's seeded PRNG). */
export const rng = createPrng;

export function randomVectors(n: number, dim: number, seed = 1): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => r() * 2 - 1));
}

export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A JWKS endpoint and a signer for Pub/Sub push OIDC tokens, as Google's would issue them. */
export async function startJwks(serviceAccount: string, defaultAudience: string): Promise<{
  url: string;
  sign: (claims?: Record<string, unknown>, aud?: string) => Promise<string>;
  close: () => Promise<void>;
}> {
  const { SignJWT, exportJWK, generateKeyPair } = await import('jose');
  const { createServer } = await import('node:http');
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/certs`,
    sign: (claims = {}, aud = defaultAudience) =>
      new SignJWT({ email: serviceAccount, email_verified: true, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer('https://accounts.google.com')
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
