/** Cloud SQL: RUNNABLE; for replicas, the lag (locally measured with a Postgres query). */
import pg from 'pg';
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { fail, pass, type CheckDef, type Outcome } from '../types.js';

type Obj = Record<string, unknown>;

/** Replica lag above this warns the operator; the seed's reads tolerate seconds, not minutes. */
export const REPLICA_LAG_FAIL_S = 60;

export function addressOf(raw: Obj): string | undefined {
  const addrs = (raw.ipAddresses ?? []) as Obj[];
  const pick = addrs.find((a) => a.type === 'PRIVATE') ?? addrs.find((a) => a.type === 'PRIMARY') ?? addrs[0];
  return typeof pick?.ipAddress === 'string' ? pick.ipAddress : undefined;
}

/** Seconds behind the primary, or undefined when the server is not a streaming replica. */
async function measureLag(host: string, timeoutMs: number): Promise<{ recovery: boolean; lagS?: number }> {
  const client = new pg.Client({ host, port: 5432, user: 'postgres', database: 'postgres', connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  await client.connect();
  try {
    const r = await client.query<{ recovery: boolean; lag: string | null }>(
      'select pg_is_in_recovery() as recovery, extract(epoch from now() - pg_last_xact_replay_timestamp()) as lag',
    );
    const row = r.rows[0]!;
    return { recovery: row.recovery, lagS: row.lag === null ? undefined : Number(row.lag) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function judgeSql(raw: Obj, o: { lagReadable: boolean; timeoutMs: number }): Promise<Outcome> {
  const state = String(raw.state ?? 'unknown');
  if (state !== 'RUNNABLE') return fail(`state ${state}`);
  const replica = raw.instanceType === 'READ_REPLICA_INSTANCE' || (typeof raw.masterInstanceName === 'string' && raw.masterInstanceName !== '');
  if (!replica) return pass('RUNNABLE (primary)');
  const master = lastSegment(String(raw.masterInstanceName ?? '?')).split(':').pop()!;
  const host = addressOf(raw);
  if (!o.lagReadable || !host) {
    return pass(`RUNNABLE (replica of ${master}); lag: Cloud Monitoring cloudsql.googleapis.com/database/replication/replica_lag`);
  }
  try {
    const lag = await measureLag(host, Math.min(3000, o.timeoutMs));
    if (!lag.recovery || lag.lagS === undefined) {
      return pass(`RUNNABLE (replica of ${master}); lag 0 s (the local replica reads the primary's data directly)`, { lagSeconds: 0 });
    }
    const text = `RUNNABLE (replica of ${master}); lag ${lag.lagS.toFixed(1)} s`;
    return lag.lagS > REPLICA_LAG_FAIL_S ? fail(`${text}, over ${REPLICA_LAG_FAIL_S} s`, { lagSeconds: lag.lagS }) : pass(text, { lagSeconds: lag.lagS });
  } catch (err) {
    return pass(`RUNNABLE (replica of ${master}); lag not measured (${host}: ${err instanceof Error ? err.message : String(err)})`);
  }
}

export function sqlChecks(v: VerifyContext, region: string): CheckDef[] {
  return v.live.desired('sql.Instance', region).map((d) => ({
    group: 'sql' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: v.opts.timeoutMs,
    async run() {
      const o = await v.live.get(d);
      if (!o) return fail(`instance ${lastSegment(d.name)} does not exist`);
      return judgeSql(o.raw, { lagReadable: v.session.clients.capabilities.replicaLagReadable, timeoutMs: v.opts.timeoutMs });
    },
  }));
}
