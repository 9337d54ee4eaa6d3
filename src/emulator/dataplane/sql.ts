/**
 * Cloud SQL, locally: every instance is a set of real databases and roles on the local
 * PostgreSQL (127.0.0.1:5432). Postgres names are cluster-wide while Cloud SQL's are per
 * instance, so each gets a per-instance prefix; the run part hands services the real names.
 * A read replica is the primary's databases seen through read-only twins of the primary's
 * users (default_transaction_read_only), so it sees every write at once and refuses its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import pg from 'pg';
import { PgliteServers } from './sql-pglite.js';
import type { DataPlaneHost, DataPlanePart, SqlResolver } from './types.js';
import { lastSegment } from '../../util/resource-name.js';

interface Instance {
  name: string;
  project: string;
  region?: string;
  masterInstanceName?: string;
  instanceType?: string;
  ipAddresses?: { ipAddress?: string }[];
}
interface User {
  name: string;
  host?: string;
  password?: string;
}

const COL = { instances: 'sqladmin.instances', databases: 'sqladmin.databases', users: 'sqladmin.users' };

export interface SqlPartOptions {
  /** Superuser connection to the local server (default postgres@127.0.0.1:5432, trust or PGPASSWORD). */
  admin?: { host: string; port: number; user: string; password?: string; database?: string };
  /** Drop an instance's databases when the data plane stops (default: only when the emulator's world is in memory). */
  dropOnStop?: boolean;
  /** Use embedded PGlite when the server is unreachable (default true). */
  pgliteFallback?: boolean;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_]/g, '_');

/**
 * Per-instance prefix: readable, short enough for Postgres' 63-byte names, and unique per
 * emulator world as well as per instance — two emulators on one machine (two state dirs)
 * may both hold projects/ruvector-local/instances/ruvector-db-us-central1.
 */
export function instancePrefix(instanceKey: string, world: string): string {
  const inst = lastSegment(instanceKey);
  return `cs_${clean(inst).slice(0, 24)}_${createHash('sha256').update(`${world}/${instanceKey}`).digest('hex').slice(0, 8)}`;
}

const WORLD = 'dataplane.sql';

/** An in-memory emulator world (no --state) leaves nothing behind when it stops. */
function ephemeralWorld(dataDir: string): boolean {
  return dirname(dataDir) === tmpdir() && basename(dataDir).startsWith('ruvector-emulator-');
}

export type SqlPart = DataPlanePart & SqlResolver & {
  /** Admin work queued so far is done. */
  settled(): Promise<void>;
  prefixOf(key: string): string;
};

export function createSqlPart(opts: SqlPartOptions = {}): SqlPart {
  const admin = opts.admin ?? { host: '127.0.0.1', port: 5432, user: 'postgres', password: process.env.PGPASSWORD };
  let host: DataPlaneHost | undefined;
  let pool: pg.Pool | undefined;
  let queue: Promise<void> = Promise.resolve();
  const known = new Set<string>();
  /** Replica -> primary, as last seen: a replica that loses its primary was promoted. */
  const replicaOf = new Map<string, string>();
  const movedListeners: ((key: string) => void)[] = [];
  const failures: string[] = [];
  let pglite: PgliteServers | undefined;
  const pglitePorts = new Map<string, number>();

  const store = () => host!.ctx.store;
  /** This world's id: random (never the seeded stream: two worlds with one seed must differ), kept in the state dir. */
  const world = (): string => {
    const col = store().collection<{ id: string }>(WORLD);
    let w = col.peek('world');
    if (!w) {
      w = { id: randomBytes(6).toString('hex') };
      col.put('world', w);
    }
    return w.id;
  };
  const prefixOf = (key: string) => instancePrefix(key, world());
  const realDatabase = (key: string, db: string) => `${prefixOf(key)}__${clean(db)}`.slice(0, 63);
  const realRole = (key: string, user: string) => `${prefixOf(key)}__${clean(user)}`.slice(0, 63);
  const groupRole = (key: string) => `${prefixOf(key)}_superuser`;
  const peekInst = (key: string) => store().collection<Instance>(COL.instances).peek(key);
  const primaryKeyOf = (inst: Instance): string | undefined => {
    if (!inst.masterInstanceName) return undefined;
    const name = inst.masterInstanceName.includes(':') ? inst.masterInstanceName.split(':').pop()! : inst.masterInstanceName;
    return `projects/${inst.project}/instances/${name}`;
  };
  const replicasOf = (primaryKey: string) =>
    store()
      .collection<Instance>(COL.instances)
      .peekAll(`projects/${primaryKey.split('/')[1]}/instances/`)
      .filter((i) => primaryKeyOf(i) === primaryKey)
      .map((i) => `projects/${i.project}/instances/${i.name}`);

  /** Serialise admin work: Postgres DDL on shared roles and databases must not interleave. */
  function enqueue(what: string, task: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    const run = queue.then(async () => {
      const c = await pool!.connect();
      try {
        await task(c);
      } finally {
        c.release();
      }
    });
    queue = run.catch((e: Error) => {
      failures.push(`${what}: ${e.message}`);
      if (failures.length > 20) failures.shift();
      host?.log(`cloud sql ${what} failed: ${e.message}`);
    });
    return run;
  }

  async function roleExists(c: pg.PoolClient, role: string): Promise<boolean> {
    return (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
  }
  async function ensureGroup(c: pg.PoolClient, key: string): Promise<void> {
    if (!(await roleExists(c, groupRole(key)))) await c.query(`CREATE ROLE ${ident(groupRole(key))} NOLOGIN`);
  }

  async function ensureUser(c: pg.PoolClient, key: string, user: User): Promise<void> {
    await ensureGroup(c, key);
    const role = realRole(key, user.name);
    const pw = user.password ? `PASSWORD ${literal(user.password)}` : 'PASSWORD NULL';
    await c.query(`${(await roleExists(c, role)) ? 'ALTER' : 'CREATE'} ROLE ${ident(role)} LOGIN ${pw}`);
    await c.query(`GRANT ${ident(groupRole(key))} TO ${ident(role)}`);
    // Replicas: the same user, read-only, on the primary's databases.
    for (const rk of replicasOf(key)) await ensureTwin(c, key, rk, user);
  }

  async function ensureTwin(c: pg.PoolClient, primaryKey: string, replicaKey: string, user: User): Promise<void> {
    const role = realRole(replicaKey, user.name);
    const pw = user.password ? `PASSWORD ${literal(user.password)}` : 'PASSWORD NULL';
    await c.query(`${(await roleExists(c, role)) ? 'ALTER' : 'CREATE'} ROLE ${ident(role)} LOGIN ${pw}`);
    await c.query(`ALTER ROLE ${ident(role)} SET default_transaction_read_only = on`);
    await ensureGroup(c, primaryKey);
    await c.query(`GRANT ${ident(groupRole(primaryKey))} TO ${ident(role)}`);
    // The primary user owns what it created; its twin reads through that ownership.
    if (await roleExists(c, realRole(primaryKey, user.name))) await c.query(`GRANT ${ident(realRole(primaryKey, user.name))} TO ${ident(role)}`);
  }

  async function ensureDatabase(c: pg.PoolClient, key: string, db: string): Promise<void> {
    await ensureGroup(c, key);
    const real = realDatabase(key, db);
    const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [real])).rowCount === 1;
    if (!exists) await c.query(`CREATE DATABASE ${ident(real)} OWNER ${ident(groupRole(key))}`);
    // PG15 took CREATE on public away from everyone; Cloud SQL users expect to build schemas.
    const dbc = new pg.Client({ ...admin, database: real });
    await dbc.connect();
    try {
      await dbc.query(`ALTER SCHEMA public OWNER TO ${ident(groupRole(key))}`);
      await dbc.query(`GRANT ALL ON SCHEMA public TO ${ident(groupRole(key))}`);
    } finally {
      await dbc.end();
    }
  }

  async function dropInstance(c: pg.PoolClient, key: string): Promise<void> {
    const prefix = `${prefixOf(key)}__`;
    const dbs = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const r of dbs.rows) await c.query(`DROP DATABASE IF EXISTS ${ident(r.datname)} WITH (FORCE)`);
    const roles = await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) OR rolname = $2', [prefix, groupRole(key)]);
    for (const r of roles.rows.sort((a, b) => (a.rolname === groupRole(key) ? 1 : b.rolname === groupRole(key) ? -1 : 0))) {
      // Objects a role owns in other instances' databases (a replica twin owns nothing) would block the drop.
      await c.query(`DROP ROLE IF EXISTS ${ident(r.rolname)}`).catch(async (e: Error) => {
        host?.log(`cloud sql: role ${r.rolname} kept: ${e.message}`);
      });
    }
    known.delete(key);
  }

  /** Everything the store says an instance has: databases, users, replica twins. */
  async function syncInstance(c: pg.PoolClient, key: string): Promise<void> {
    const inst = peekInst(key);
    if (!inst) return;
    known.add(key);
    const primary = primaryKeyOf(inst);
    const formerPrimary = replicaOf.get(key);
    if (!primary && formerPrimary) {
      await promote(c, formerPrimary, key);
      replicaOf.delete(key);
      for (const l of movedListeners) l(key);
      return;
    }
    if (primary) {
      replicaOf.set(key, primary);
      for (const u of store().collection<User>(COL.users).peekAll(`${primary}/users/`)) await ensureTwin(c, primary, key, u);
      return;
    }
    await ensureGroup(c, key);
    for (const d of store().collection<{ name: string }>(COL.databases).peekAll(`${key}/databases/`)) await ensureDatabase(c, key, d.name);
    for (const u of store().collection<User>(COL.users).peekAll(`${key}/users/`)) await ensureUser(c, key, u);
  }

  const instanceOf = (childKey: string) => childKey.split('/').slice(0, 4).join('/');

  /**
   * A promoted replica becomes its own instance with everything it had replicated: its own
   * copy of each of the primary's databases, and its users (the read-only twins) writable.
   */
  async function promote(c: pg.PoolClient, primaryKey: string, key: string): Promise<void> {
    await ensureGroup(c, key);
    const users = store().collection<User>(COL.users).peekAll(`${primaryKey}/users/`);
    for (const d of store().collection<{ name: string }>(COL.databases).peekAll(`${primaryKey}/databases/`)) {
      const from = realDatabase(primaryKey, d.name);
      const to = realDatabase(key, d.name);
      if ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [to])).rowCount === 1) continue;
      // A template must have no sessions: the primary's clients are cut for the copy and reconnect.
      for (let attempt = 0; ; attempt++) {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [from]);
        try {
          await c.query(`CREATE DATABASE ${ident(to)} TEMPLATE ${ident(from)} OWNER ${ident(groupRole(key))}`);
          break;
        } catch (e) {
          if (attempt >= 20 || !/being accessed by other users/.test((e as Error).message)) throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const dbc = new pg.Client({ ...admin, database: to });
      await dbc.connect();
      try {
        // What the primary's users owned in the copy, the promoted instance's same-named users own.
        for (const u of users) {
          const twin = realRole(key, u.name);
          if (await roleExists(c, twin)) await dbc.query(`REASSIGN OWNED BY ${ident(realRole(primaryKey, u.name))} TO ${ident(twin)}`);
        }
        await dbc.query(`ALTER SCHEMA public OWNER TO ${ident(groupRole(key))}`);
      } finally {
        await dbc.end();
      }
    }
    for (const u of users) {
      const twin = realRole(key, u.name);
      if (!(await roleExists(c, twin))) continue;
      await c.query(`ALTER ROLE ${ident(twin)} RESET default_transaction_read_only`);
      await c.query(`GRANT ${ident(groupRole(key))} TO ${ident(twin)}`);
      await c.query(`REVOKE ${ident(groupRole(primaryKey))} FROM ${ident(twin)}`);
      if (await roleExists(c, realRole(primaryKey, u.name))) await c.query(`REVOKE ${ident(realRole(primaryKey, u.name))} FROM ${ident(twin)}`);
    }
    host?.log(`cloud sql ${key}: promoted; it now has its own copy of ${primaryKey}'s databases`);
  }

  /** PGlite mode: one embedded server per primary; a replica is served by its primary's. */
  function servePglite(key: string): void {
    const inst = peekInst(key);
    if (!inst || primaryKeyOf(inst)) {
      if (inst) known.add(key);
      return;
    }
    known.add(key);
    void pglite!
      .ensure(key, prefixOf(key))
      .then((srv) => {
        pglitePorts.set(key, srv.port);
        host?.log(`cloud sql ${key}: embedded Postgres on 127.0.0.1:${srv.port}`);
      })
      .catch((e: Error) => host?.log(`cloud sql ${key}: embedded Postgres failed to start: ${e.message}`));
  }

  function attachPglite(h: DataPlaneHost): void {
    h.ctx.events.on('resource.changed', (ev) => {
      if (ev.api !== 'sqladmin' || ev.kind !== 'sql#instance' || !pglite) return;
      if (ev.change === 'deleted') {
        known.delete(ev.name);
        pglitePorts.delete(ev.name);
        void pglite.drop(ev.name, true);
      } else servePglite(ev.name);
    });
    for (const inst of store().collection<Instance>(COL.instances).peekAll()) servePglite(`projects/${inst.project}/instances/${inst.name}`);
  }

  /** The key whose server holds an instance's data: itself, or its primary for a replica. */
  const dataKey = (key: string) => {
    const inst = peekInst(key);
    return inst ? (primaryKeyOf(inst) ?? key) : key;
  };

  return {
    name: 'sql',
    async attach(h) {
      host = h;
      pool = new pg.Pool({ ...admin, database: admin.database ?? 'postgres', max: 2, idleTimeoutMillis: 5000 });
      pool.on('error', (e) => h.log(`cloud sql admin connection: ${e.message}`));
      try {
        const c = await pool.connect();
        c.release();
      } catch (e) {
        await pool.end();
        pool = undefined;
        const why = `no PostgreSQL at ${admin.host}:${admin.port} (${(e as Error).message})`;
        if (opts.pgliteFallback !== false && (await PgliteServers.available())) {
          pglite = new PgliteServers(h.ctx.dataDir);
          h.log(`${why}: Cloud SQL instances run on embedded Postgres (PGlite), one per primary; database and user names are not separated and replicas are not read-only there. Install PostgreSQL for the full behaviour.`);
          attachPglite(h);
        } else h.log(`${why}: Cloud SQL instances have no local database; install PostgreSQL (apt-get install postgresql, brew install postgresql@15, or docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15)`);
        return;
      }
      h.ctx.events.on('resource.changed', (ev) => {
        if (ev.api !== 'sqladmin' || !pool) return;
        const key = ev.kind === 'sql#instance' ? ev.name : instanceOf(ev.name);
        if (ev.kind === 'sql#instance') {
          if (ev.change === 'deleted') void enqueue(`delete ${key}`, (c) => dropInstance(c, key));
          else void enqueue(`sync ${key}`, (c) => syncInstance(c, key));
        } else if (ev.kind === 'sql#database') {
          const db = (ev.resource as { name: string }).name;
          if (ev.change === 'deleted') void enqueue(`drop database ${db}`, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(realDatabase(key, db))} WITH (FORCE)`).then(() => undefined));
          else void enqueue(`database ${db}`, (c) => ensureDatabase(c, key, db));
        } else if (ev.kind === 'sql#user') {
          // The event never carries the password; the store does.
          const stored = store().collection<User>(COL.users).peek(ev.name);
          const name = (ev.resource as User).name;
          if (ev.change === 'deleted') {
            void enqueue(`drop user ${name}`, async (c) => {
              for (const k of [key, ...replicasOf(key)]) await c.query(`DROP ROLE IF EXISTS ${ident(realRole(k, name))}`);
            });
          } else if (stored) void enqueue(`user ${name}`, (c) => ensureUser(c, key, stored));
        }
      });
      // A restarted emulator: make sure what the state dir says exists is there.
      for (const inst of store().collection<Instance>(COL.instances).peekAll()) {
        const key = `projects/${inst.project}/instances/${inst.name}`;
        void enqueue(`sync ${key}`, (c) => syncInstance(c, key));
      }
      await queue;
    },
    endpoint(key) {
      if (pglite) {
        const port = pglitePorts.get(dataKey(key));
        return port ? { host: '127.0.0.1', port } : undefined;
      }
      return pool && known.has(key) ? { host: admin.host, port: admin.port } : undefined;
    },
    /** The name prefix of an instance's databases and roles in this world. */
    prefixOf,
    onMoved(l) {
      movedListeners.push(l);
    },
    connection(key, database, user) {
      const inst = peekInst(key);
      if (pglite) {
        const port = pglitePorts.get(dataKey(key));
        return inst && port ? { host: '127.0.0.1', port, database: 'postgres', user: 'postgres' } : undefined;
      }
      if (!pool || !inst) return undefined;
      const dbOwner = primaryKeyOf(inst) ?? key;
      return { host: admin.host, port: admin.port, database: realDatabase(dbOwner, database), user: user ? realRole(key, user) : admin.user };
    },
    resolve(project, location, hostValue) {
      const all = store().collection<Instance>(COL.instances).peekAll(`projects/${project}/instances/`);
      const m = hostValue ? /^\/cloudsql\/([^:]+):([^:]+):(.+)$/.exec(hostValue) : null;
      if (m) return all.some((i) => i.name === m[3] && i.project === m[1]) ? `projects/${m[1]}/instances/${m[3]}` : undefined;
      const byIp = hostValue ? all.find((i) => (i.ipAddresses ?? []).some((a) => a.ipAddress === hostValue)) : undefined;
      if (byIp) return `projects/${project}/instances/${byIp.name}`;
      const inRegion = all.filter((i) => i.region === location);
      return inRegion.length === 1 ? `projects/${project}/instances/${inRegion[0]!.name}` : undefined;
    },
    /** Admin work queued so far is done (tests, and the run part before it starts services). */
    settled: async () => {
      await queue;
      if (pglite) await Promise.all(pglite.keys().map((k) => pglite!.port(k)?.catch(() => 0)));
    },
    async stop() {
      await queue;
      if (pglite) {
        const drop = opts.dropOnStop ?? (host ? ephemeralWorld(host.ctx.dataDir) : false);
        for (const k of pglite.keys()) await pglite.drop(k, drop);
        pglitePorts.clear();
      }
      if (pool && (opts.dropOnStop ?? (host ? ephemeralWorld(host.ctx.dataDir) : false))) {
        for (const key of [...known]) await enqueue(`delete ${key}`, (c) => dropInstance(c, key)).catch(() => {});
      }
      await pool?.end();
      pool = undefined;
    },
    async reset() {
      await queue;
      if (pglite) {
        for (const k of pglite.keys()) await pglite.drop(k, true);
        pglitePorts.clear();
        known.clear();
      }
      for (const key of [...known]) await enqueue(`delete ${key}`, (c) => dropInstance(c, key)).catch(() => {});
    },
    status() {
      return { server: pool ? `${admin.host}:${admin.port}` : pglite ? 'embedded PGlite' : 'unavailable', ...(pglite ? { pglite: Object.fromEntries(pglitePorts) } : {}), instances: [...known].map((k) => ({ instance: k, prefix: prefixOf(k) })), recentFailures: failures.slice(-5) };
    },
  } satisfies SqlPart;
}
