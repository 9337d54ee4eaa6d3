/**
 * A revision's environment as the local instance sees it: the container's env with secret
 * references resolved from the emulator's Secret Manager, then the addresses rewritten to
 * the real local ones (the Memorystore instance REDIS_HOST names, the Cloud SQL instance
 * DB_HOST names, the emulator's own Storage and Pub/Sub endpoints).
 */
import type { EmulatorContext } from '../../core/types.js';
import type { EnvContribution, RedisResolver, SqlResolver } from '../types.js';

interface EnvVar {
  name: string;
  value?: string;
  valueSource?: { secretKeyRef?: { secret?: string; version?: string } };
}

/** A revision cannot start: Cloud Run reports this on the revision's Ready condition. */
export class RevisionError extends Error {}

const SECRETS = 'secretmanager.secrets';
const VERSIONS = 'secretmanager.versions';
const PAYLOADS = 'secretmanager.payloads';

function secretValue(ctx: EmulatorContext, project: string, ref: { secret?: string; version?: string }, field: string): string {
  const id = ref.secret ?? '';
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(id);
  const proj = m ? m[1]! : project;
  const key = `projects/${/^\d+$/.test(proj) ? proj : ctx.projectNumber(proj)}/secrets/${m ? m[2]! : id}`;
  const display = `projects/${proj}/secrets/${m ? m[2]! : id}/versions/${ref.version ?? 'latest'}`;
  if (!ctx.store.collection(SECRETS).peek(key)) throw new RevisionError(`${field}: Secret ${display} was not found`);
  let version = ref.version ?? 'latest';
  const versions = ctx.store.collection<{ name: string; state?: string }>(VERSIONS).peekAll(`${key}/versions/`);
  if (version === 'latest') {
    const nums = versions.map((v) => Number(v.name.split('/').pop())).filter(Number.isFinite);
    if (nums.length === 0) throw new RevisionError(`${field}: Secret ${display} was not found`);
    version = String(Math.max(...nums));
  }
  const v = versions.find((x) => x.name.split('/').pop() === version);
  if (!v) throw new RevisionError(`${field}: Secret ${display} was not found`);
  if (v.state && v.state !== 'ENABLED') throw new RevisionError(`${field}: Secret ${display} is ${v.state}`);
  const payload = ctx.store.collection<{ data: string }>(PAYLOADS).peek(`${key}/versions/${version}`);
  return Buffer.from(payload?.data ?? '', 'base64').toString('utf8');
}

export interface EnvInputs {
  ctx: EmulatorContext;
  service: { name: string; project: string; location: string; service: string };
  revision: string;
  env: EnvVar[] | undefined;
  port: number;
  redis?: RedisResolver;
  sql?: SqlResolver;
  contributions: readonly EnvContribution[];
}

export interface BuiltEnv {
  env: Record<string, string>;
  /** What was rewritten, for the status page (never values of secrets). */
  wiring: Record<string, string>;
}

export function buildEnv(i: EnvInputs): BuiltEnv {
  const { ctx, service } = i;
  const declared: Record<string, string> = {};
  (i.env ?? []).forEach((e, idx) => {
    const field = `spec.template.spec.containers[0].env[${idx}].value_from.secret_key_ref`;
    declared[e.name] = e.valueSource?.secretKeyRef ? secretValue(ctx, service.project, e.valueSource.secretKeyRef, field) : (e.value ?? '');
  });
  const contributed: Record<string, string> = {};
  for (const c of i.contributions) Object.assign(contributed, c(service) ?? {});
  const env: Record<string, string> = { ...contributed, ...declared };
  const wiring: Record<string, string> = {};
  const base = new URL(ctx.baseUrl());

  if ('REDIS_HOST' in declared && i.redis) {
    if (i.redis.unavailable()) {
      env.REDIS_HOST = '127.0.0.1';
      env.REDIS_PORT = '1';
      env.CACHE_SIZE_GB = '0';
      wiring.REDIS_HOST = 'no Redis on this machine: cache off';
    } else {
      const inst = i.redis.resolve(service.project, service.location, declared.REDIS_HOST);
      const ep = inst ? i.redis.endpoint(inst) : undefined;
      if (!ep) throw new RevisionError(`REDIS_HOST=${declared.REDIS_HOST} names no Memorystore instance that is serving in ${service.location}`);
      env.REDIS_HOST = ep.host;
      env.REDIS_PORT = String(ep.port);
      if (ep.keyPrefix) env.REDIS_KEY_PREFIX = ep.keyPrefix;
      if (ep.password && !env.REDIS_PASSWORD) env.REDIS_PASSWORD = ep.password;
      wiring.REDIS_HOST = `${inst} -> ${ep.host}:${ep.port}${ep.keyPrefix ? ` prefix ${ep.keyPrefix}` : ''}`;
    }
  }
  if ('DB_HOST' in declared && i.sql) {
    const inst = i.sql.resolve(service.project, service.location, declared.DB_HOST);
    const conn = inst ? i.sql.connection(inst, declared.DB_NAME ?? 'ruvector', declared.DB_USER) : undefined;
    if (!conn) throw new RevisionError(`DB_HOST=${declared.DB_HOST} names no Cloud SQL instance with a local database`);
    env.DB_HOST = conn.host;
    env.DB_PORT = String(conn.port);
    env.DB_NAME = conn.database;
    env.DB_USER = conn.user;
    wiring.DB_HOST = `${inst} -> ${conn.host}:${conn.port}/${conn.database} as ${conn.user}`;
  }
  if ('STORAGE_BUCKET' in declared && !env.STORAGE_EMULATOR_HOST) env.STORAGE_EMULATOR_HOST = base.origin;
  if ('PUBSUB_TOPIC' in declared && !env.PUBSUB_EMULATOR_HOST) env.PUBSUB_EMULATOR_HOST = base.host;

  // What Cloud Run itself sets.
  env.PORT = String(i.port);
  env.K_SERVICE = service.service;
  env.K_REVISION = i.revision;
  env.K_CONFIGURATION = service.service;
  env.GOOGLE_CLOUD_PROJECT ??= service.project;
  // A laptop, not a 4-vCPU instance: one search worker, quick drains.
  env.SEARCH_WORKERS ??= '1';
  env.DRAIN_TIMEOUT_MS ??= '2000';
  env.HOST = '127.0.0.1';
  return { env, wiring };
}
