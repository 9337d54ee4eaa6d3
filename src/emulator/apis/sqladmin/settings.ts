/**
 * Instance settings as Cloud SQL stores them: the caller's fields plus every server default
 * the real API fills in (so a naive differ sees them), and the validation the real API
 * does at request time (tier vs edition, disk sizes, backup rules, flag values).
 */
import type { EmulatorContext } from '../../core/types.js';
import { zonesOf } from '../compute/shared/geo.js';
import { errs, sqlError, type Json } from './common.js';

export type Settings = Json;

function obj(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

export function isPostgres(version: string): boolean {
  return version.startsWith('POSTGRES_');
}

function majorOf(version: string): number {
  return Number.parseInt(version.split('_')[1] ?? '0', 10);
}

/** Patch-release the real service installs for a major version (databaseInstalledVersion). */
export function installedVersion(version: string): string {
  const known: Record<string, string> = {
    POSTGRES_13: 'POSTGRES_13_16',
    POSTGRES_14: 'POSTGRES_14_13',
    POSTGRES_15: 'POSTGRES_15_8',
    POSTGRES_16: 'POSTGRES_16_4',
    POSTGRES_17: 'POSTGRES_17_2',
    MYSQL_8_0: 'MYSQL_8_0_31',
    MYSQL_8_4: 'MYSQL_8_4_3',
  };
  return known[version] ?? version;
}

/** Postgres 16+ defaults to Enterprise Plus, earlier versions (and MySQL 8.0) to Enterprise. */
function defaultEdition(version: string): string {
  if (isPostgres(version)) return majorOf(version) >= 16 ? 'ENTERPRISE_PLUS' : 'ENTERPRISE';
  return version === 'MYSQL_8_4' ? 'ENTERPRISE_PLUS' : 'ENTERPRISE';
}

/** vCPUs of a tier, for quotas and the data plane; undefined for shared-core tiers. */
export function tierCpus(tier: string): number | undefined {
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (custom) return Number(custom[1]);
  const perf = /^db-perf-optimized-N-(\d+)$/.exec(tier);
  if (perf) return Number(perf[1]);
  const n1 = /^db-n1-(?:standard|highmem)-(\d+)$/.exec(tier);
  if (n1) return Number(n1[1]);
  return undefined;
}

function validateTier(tier: string, edition: string): void {
  const bad = () => errs.invalid(`Invalid Tier (${tier}) for (${edition}) Edition. Learn more at https://cloud.google.com/sql/docs/db-versions.`);
  if (!tier) throw errs.invalid('Invalid Tier () for instance. Settings.tier is required.');
  if (edition === 'ENTERPRISE_PLUS') {
    if (!/^db-perf-optimized-N-(2|4|8|16|32|48|64|80|96|128)$/.test(tier)) throw bad();
    return;
  }
  if (/^db-(f1-micro|g1-small)$/.test(tier) || /^db-n1-(standard|highmem)-(1|2|4|8|16|32|64|96)$/.test(tier)) return;
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (!custom) throw bad();
  const cpus = Number(custom[1]);
  const mb = Number(custom[2]);
  // Cloud SQL Enterprise custom machines: 1 or an even vCPU count up to 96, memory a
  // multiple of 256 MB between 0.9 and 6.5 GB per vCPU (and at least 3840 MB).
  const cpuOk = cpus === 1 || (cpus % 2 === 0 && cpus >= 2 && cpus <= 96);
  const memOk = mb % 256 === 0 && mb >= Math.max(3840, Math.ceil(921.6 * cpus)) && mb <= 6656 * cpus;
  if (!cpuOk || !memOk) throw bad();
}

/** Typed value checks for the flags a vector-search Postgres commonly sets. */
const PG_FLAGS: Record<string, { kind: 'int' | 'float'; min: number; max: number }> = {
  max_connections: { kind: 'int', min: 14, max: 262143 },
  shared_buffers: { kind: 'int', min: 16, max: 1073741823 }, // 8 kB pages
  effective_cache_size: { kind: 'int', min: 1, max: 2147483647 }, // 8 kB pages
  maintenance_work_mem: { kind: 'int', min: 1024, max: 2147483647 }, // kB
  work_mem: { kind: 'int', min: 64, max: 2147483647 }, // kB
  checkpoint_completion_target: { kind: 'float', min: 0, max: 1 },
  wal_buffers: { kind: 'int', min: -1, max: 262143 }, // 8 kB pages
  default_statistics_target: { kind: 'int', min: 1, max: 10000 },
  random_page_cost: { kind: 'float', min: 0, max: 1.79769e308 },
  effective_io_concurrency: { kind: 'int', min: 0, max: 1000 },
  max_wal_size: { kind: 'int', min: 2, max: 2147483647 },
  autovacuum: { kind: 'int', min: 0, max: 1 },
};

function validateFlags(version: string, flags: unknown): void {
  if (!Array.isArray(flags) || !isPostgres(version)) return;
  const seen = new Set<string>();
  for (const f of flags.map(obj)) {
    const name = String(f['name'] ?? '');
    const value = String(f['value'] ?? '');
    if (seen.has(name)) throw errs.invalid(`Duplicate flag name: ${name}.`);
    seen.add(name);
    const spec = PG_FLAGS[name];
    if (!spec) continue;
    const n = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(n) && (spec.kind === 'float' || Number.isInteger(n)) && n >= spec.min && n <= spec.max;
    // Cloud SQL takes Postgres memory flags as plain numbers in the flag's unit ("4096MB" is refused).
    if (!ok) throw sqlError(400, 'invalidFlagValue', `Invalid request: Invalid flag value for ${name}: "${value}".`);
  }
}

function syncSsl(ip: Json): void {
  const requireSsl = ip['requireSsl'];
  const sslMode = ip['sslMode'];
  if (sslMode === undefined) {
    ip['sslMode'] = requireSsl === true ? 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED' : 'ALLOW_UNENCRYPTED_AND_ENCRYPTED';
    ip['requireSsl'] = requireSsl === true;
  } else if (requireSsl === undefined) {
    ip['requireSsl'] = sslMode === 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED';
  } else if ((requireSsl === true) !== (sslMode === 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED')) {
    throw errs.invalid(`SSL mode ${String(sslMode)} conflicts with requireSsl=${String(requireSsl)}; set only sslMode.`);
  }
  if (ip['ipv4Enabled'] === undefined) ip['ipv4Enabled'] = true;
  if (!Array.isArray(ip['authorizedNetworks'])) ip['authorizedNetworks'] = [];
}

export interface SettingsContext {
  databaseVersion: string;
  region: string;
  isReplica: boolean;
}

/**
 * Complete a settings object with Cloud SQL's defaults and validate it. `settingsVersion`
 * is left to the caller (it is server-owned).
 */
export function completeSettings(ctx: EmulatorContext, input: Settings, sc: SettingsContext): Settings {
  const s: Settings = structuredClone(input);
  s['kind'] = 'sql#settings';
  s['edition'] ??= defaultEdition(sc.databaseVersion);
  if (s['edition'] === 'EDITION_UNSPECIFIED') s['edition'] = defaultEdition(sc.databaseVersion);
  validateTier(String(s['tier'] ?? ''), String(s['edition']));
  s['availabilityType'] ??= 'ZONAL';
  s['pricingPlan'] ??= 'PER_USE';
  s['replicationType'] ??= 'SYNCHRONOUS';
  s['activationPolicy'] ??= 'ALWAYS';
  s['dataDiskType'] ??= 'PD_SSD';
  s['dataDiskSizeGb'] ??= '10';
  s['storageAutoResize'] ??= true;
  s['storageAutoResizeLimit'] ??= '0';
  s['connectorEnforcement'] ??= 'NOT_REQUIRED';
  s['deletionProtectionEnabled'] ??= false;
  s['userLabels'] ??= {};
  s['databaseFlags'] ??= [];
  if (sc.isReplica) s['databaseReplicationEnabled'] ??= true;

  const disk = Number(s['dataDiskSizeGb']);
  if (!Number.isInteger(disk) || disk < 10 || disk > 65536) throw errs.invalid(`Invalid disk size ${String(s['dataDiskSizeGb'])}GB: must be between 10 and 65536.`);
  const limit = Number(s['storageAutoResizeLimit']);
  if (limit !== 0 && limit < disk) throw errs.invalid(`Storage auto-resize limit (${limit}GB) must be 0 or at least the disk size (${disk}GB).`);

  const ip = obj(s['ipConfiguration']);
  syncSsl(ip);
  if (ip['ipv4Enabled'] === false && !ip['privateNetwork'] && !ip['pscConfig']) {
    throw errs.invalid('At least one of Public IP or Private IP or PSC connectivity must be enabled.');
  }
  s['ipConfiguration'] = ip;

  const loc = obj(s['locationPreference']);
  loc['kind'] = 'sql#locationPreference';
  const zones = zonesOf(sc.region);
  if (!zones.length) throw errs.invalid(`Invalid region: ${sc.region}.`);
  const zone = typeof loc['zone'] === 'string' && loc['zone'] ? loc['zone'] : zones[Math.floor(ctx.random() * zones.length)]!;
  if (!zones.includes(zone)) throw errs.invalid(`Zone ${zone} is not a zone of region ${sc.region}.`);
  loc['zone'] = zone;
  s['locationPreference'] = loc;

  const mw = obj(s['maintenanceWindow']);
  mw['kind'] = 'sql#maintenanceWindow';
  mw['hour'] ??= 0;
  mw['day'] ??= 0;
  if (Number(mw['day']) < 0 || Number(mw['day']) > 7 || Number(mw['hour']) < 0 || Number(mw['hour']) > 23) {
    throw errs.invalid('Maintenance window day must be 1-7 (0 = any) and hour 0-23.');
  }
  s['maintenanceWindow'] = mw;

  const bc = obj(s['backupConfiguration']);
  bc['kind'] = 'sql#backupConfiguration';
  bc['enabled'] ??= false;
  if (sc.isReplica && bc['enabled'] === true) throw errs.invalid('Backups cannot be enabled on a read replica.');
  bc['startTime'] ??= `${String(Math.floor(ctx.random() * 24)).padStart(2, '0')}:00`;
  if (!/^([01]\d|2[0-3]):00$/.test(String(bc['startTime']))) throw errs.invalid(`Invalid backup start time ${String(bc['startTime'])}: use HH:00.`);
  bc['pointInTimeRecoveryEnabled'] ??= false;
  if (bc['pointInTimeRecoveryEnabled'] === true && bc['enabled'] !== true) throw errs.invalid('Point-in-time recovery requires backups to be enabled.');
  if (!isPostgres(sc.databaseVersion)) bc['binaryLogEnabled'] ??= false;
  const plus = s['edition'] === 'ENTERPRISE_PLUS';
  const maxLogDays = plus ? 35 : 7;
  bc['transactionLogRetentionDays'] ??= plus ? 14 : 7;
  const days = Number(bc['transactionLogRetentionDays']);
  if (days < 1 || days > maxLogDays) throw errs.invalid(`transactionLogRetentionDays must be between 1 and ${maxLogDays} for ${String(s['edition'])}.`);
  const brs = obj(bc['backupRetentionSettings']);
  brs['retentionUnit'] ??= 'COUNT';
  brs['retainedBackups'] ??= plus ? 15 : 7;
  const kept = Number(brs['retainedBackups']);
  if (kept < 1 || kept > 365) throw errs.invalid('retainedBackups must be between 1 and 365.');
  if (bc['enabled'] === true && days > kept) throw errs.invalid('transactionLogRetentionDays must not exceed the number of retained backups.');
  bc['backupRetentionSettings'] = brs;
  bc['transactionalLogStorageState'] ??= isPostgres(sc.databaseVersion) ? 'CLOUD_STORAGE' : 'DISK';
  bc['backupTier'] ??= 'STANDARD';
  s['backupConfiguration'] = bc;

  if (s['insightsConfig'] !== undefined) {
    const ic = obj(s['insightsConfig']);
    const len = ic['queryStringLength'];
    if (len !== undefined && (Number(len) < 256 || Number(len) > 4500)) throw errs.invalid('queryStringLength must be between 256 and 4500.');
    const plans = ic['queryPlansPerMinute'];
    if (plans !== undefined && (Number(plans) < 0 || Number(plans) > 20)) throw errs.invalid('queryPlansPerMinute must be between 0 and 20.');
  }

  validateFlags(sc.databaseVersion, s['databaseFlags']);
  return s;
}

/**
 * Patch semantics for settings: messages merge field by field, repeated fields and the
 * scalar values replace, label maps merge (a label set to null is removed).
 */
export function mergeSettings(current: Settings, patch: Settings, rawPatch: unknown): Settings {
  const out = structuredClone(current);
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'settingsVersion') continue;
    const cur = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) && k !== 'userLabels') {
      out[k] = mergeSettings(cur as Json, v as Json, undefined);
    } else {
      out[k] = v;
    }
  }
  // Labels: merge, and honour explicit nulls from the raw body (proto decoding drops them).
  const rawLabels = obj(obj(rawPatch)['userLabels']);
  if (patch['userLabels'] !== undefined || Object.keys(rawLabels).length) {
    const merged: Json = { ...obj(current['userLabels']), ...obj(patch['userLabels']) };
    for (const [k, v] of Object.entries(rawLabels)) if (v === null) delete merged[k];
    out['userLabels'] = merged;
  }
  return out;
}
