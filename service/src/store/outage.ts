/**
 * Errors that mean Postgres cannot answer now (down, stalled, restarting, out of connections)
 * rather than that the request was wrong or the service is broken: the API answers them 503
 * with Retry-After, as /health/ready reports Postgres down, instead of 500 "internal error".
 */
export interface Outage {
  /** Short, safe to show a client: what went wrong, never a host, user or statement. */
  reason: string;
  retryAfterSec: number;
}

const FROM_POSTGRES = Symbol('from postgres');

/** Marks an error as raised by a Postgres connection (store/db.ts does, for every client). */
export function markPostgres(e: unknown): void {
  if (e instanceof Error) (e as Error & { [FROM_POSTGRES]?: true })[FROM_POSTGRES] = true;
}

/** Socket-level failures of a connection to Postgres (only errors marked as Postgres's: any other socket error is not). */
const SOCKET: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  // A /cloudsql socket directory without the instance's socket (the proxy is not up yet).
  ENOENT: 'no database socket',
};

/** The driver's (pg, pg-pool) own messages for a lost or stalled connection. */
const DRIVER: [RegExp, string][] = [
  [/^Query read timeout$/, 'no answer within the query timeout'],
  [/^timeout exceeded when trying to connect$/, 'no connection within the connect timeout'],
  [/^Connection terminated due to connection timeout$/, 'no connection within the connect timeout'],
  [/^Connection terminated/, 'connection lost'],
  [/^Client has encountered a connection error and is not queryable$/, 'connection lost'],
  [/^Client was closed and is not queryable$/, 'connection closed'],
];

/** SQLSTATEs (classes or codes) that say "try again later". */
function sqlstate(code: string): string | undefined {
  if (code.startsWith('08')) return 'connection failure';
  if (code === '57P01' || code === '57P02') return 'the database is shutting down';
  if (code === '57P03') return 'the database is starting up';
  if (code.startsWith('53')) return 'the database is out of resources (connections, memory or disk)';
  if (code === '57014') return 'the statement timed out';
  if (code === '55P03') return 'a lock was not granted in time';
  if (code === '40001' || code === '40P01') return 'a conflict with a concurrent write';
  if (code.startsWith('58')) return 'a storage error in the database';
  return undefined;
}

/** Busy or conflicting: worth retrying at once. Unreachable: give it a few seconds. */
const RETRY_BUSY_SEC = 1;
const RETRY_DOWN_SEC = 5;

export function postgresOutage(e: unknown): Outage | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET[code] && (e as { [FROM_POSTGRES]?: true })[FROM_POSTGRES]) return { reason: SOCKET[code], retryAfterSec: RETRY_DOWN_SEC };
    // A server error carries a severity beside its SQLSTATE (pg's DatabaseError).
    if (/^[0-9A-Z]{5}$/.test(code) && typeof (e as { severity?: unknown }).severity === 'string') {
      const reason = sqlstate(code);
      if (reason) return { reason, retryAfterSec: /^(57014|55P03|40001|40P01)$/.test(code) ? RETRY_BUSY_SEC : RETRY_DOWN_SEC };
    }
  }
  for (const [re, reason] of DRIVER) if (re.test(e.message)) return { reason, retryAfterSec: RETRY_DOWN_SEC };
  return undefined;
}
