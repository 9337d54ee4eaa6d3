/** Cloud SQL settings defaults and validation (the rules the real API applies at request time). */
import { describe, expect, it } from 'vitest';
import type { EmulatorContext } from '../../../src/emulator/core/types.js';
import { completeSettings, mergeSettings, tierCpus } from '../../../src/emulator/apis/sqladmin/settings.js';

let n = 0;
const ctx = { random: () => ((n = (n * 9301 + 49297) % 233280) / 233280) } as unknown as EmulatorContext;
const pg = { databaseVersion: 'POSTGRES_15', region: 'us-central1', isReplica: false };

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { reason?: string }).reason ?? 'thrown';
  }
}

describe('completeSettings', () => {
  it('fills the server defaults a naive differ would trip on', () => {
    const s = completeSettings(ctx, { tier: 'db-custom-4-16384' }, pg);
    expect(s).toMatchObject({
      kind: 'sql#settings',
      edition: 'ENTERPRISE',
      availabilityType: 'ZONAL',
      pricingPlan: 'PER_USE',
      activationPolicy: 'ALWAYS',
      dataDiskType: 'PD_SSD',
      dataDiskSizeGb: '10',
      storageAutoResize: true,
      storageAutoResizeLimit: '0',
      deletionProtectionEnabled: false,
      ipConfiguration: { ipv4Enabled: true, requireSsl: false, sslMode: 'ALLOW_UNENCRYPTED_AND_ENCRYPTED' },
      backupConfiguration: { enabled: false, pointInTimeRecoveryEnabled: false, transactionLogRetentionDays: 7, backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: 7 } },
    });
    expect(String((s['locationPreference'] as Record<string, unknown>)['zone'])).toMatch(/^us-central1-[a-f]$/);
    expect(completeSettings(ctx, { tier: 'db-perf-optimized-N-8' }, { ...pg, databaseVersion: 'POSTGRES_16' })['edition']).toBe('ENTERPRISE_PLUS');
  });

  it('checks tiers against the edition', () => {
    expect(reason(() => completeSettings(ctx, { tier: 'db-custom-4-16384' }, pg))).toBeUndefined();
    expect(reason(() => completeSettings(ctx, { tier: 'db-custom-3-16384' }, pg))).toBe('invalid'); // odd vCPUs
    expect(reason(() => completeSettings(ctx, { tier: 'db-custom-4-65536' }, pg))).toBe('invalid'); // > 6.5 GB per vCPU
    expect(reason(() => completeSettings(ctx, { tier: 'db-custom-4-16384', edition: 'ENTERPRISE_PLUS' }, pg))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, {}, pg))).toBe('invalid');
    expect(tierCpus('db-custom-4-16384')).toBe(4);
    expect(tierCpus('db-f1-micro')).toBeUndefined();
  });

  it('checks backups, disks, SSL and zones', () => {
    const base = { tier: 'db-custom-2-8192' };
    expect(reason(() => completeSettings(ctx, { ...base, backupConfiguration: { pointInTimeRecoveryEnabled: true } }, pg))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, { ...base, backupConfiguration: { enabled: true, transactionLogRetentionDays: 8 } }, pg))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, { ...base, backupConfiguration: { enabled: true } }, { ...pg, isReplica: true }))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, { ...base, dataDiskSizeGb: '100', storageAutoResizeLimit: '50' }, pg))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, { ...base, ipConfiguration: { ipv4Enabled: false } }, pg))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, { ...base, ipConfiguration: { requireSsl: true, sslMode: 'ENCRYPTED_ONLY' } }, pg))).toBe('invalid');
    expect(reason(() => completeSettings(ctx, { ...base, locationPreference: { zone: 'europe-west1-a' } }, { ...pg, region: 'europe-west1' }))).toBe('invalid');
    const ssl = completeSettings(ctx, { ...base, ipConfiguration: { requireSsl: true } }, pg);
    expect((ssl['ipConfiguration'] as Record<string, unknown>)['sslMode']).toBe('TRUSTED_CLIENT_CERTIFICATE_REQUIRED');
  });

  it('checks the seed\'s Postgres flags by type and range', () => {
    const flags = (value: string) => ({ tier: 'db-custom-4-16384', databaseFlags: [{ name: 'effective_cache_size', value }] });
    expect(reason(() => completeSettings(ctx, flags('1572864'), pg))).toBeUndefined();
    expect(reason(() => completeSettings(ctx, flags('12GB'), pg))).toBe('invalidFlagValue');
    expect(reason(() => completeSettings(ctx, { tier: 'db-custom-4-16384', databaseFlags: [{ name: 'checkpoint_completion_target', value: '1.5' }] }, pg))).toBe('invalidFlagValue');
    expect(reason(() => completeSettings(ctx, { tier: 'db-custom-4-16384', databaseFlags: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }] }, pg))).toBe('invalid');
  });
});

describe('mergeSettings', () => {
  it('merges messages, replaces lists, merges labels and drops null labels', () => {
    const cur = { tier: 'db-custom-2-8192', userLabels: { a: '1', b: '2' }, databaseFlags: [{ name: 'x', value: '1' }], backupConfiguration: { enabled: true, startTime: '03:00' } };
    const out = mergeSettings(cur, { userLabels: { c: '3' }, databaseFlags: [{ name: 'y', value: '2' }], backupConfiguration: { startTime: '04:00' } }, { userLabels: { c: '3', a: null } });
    expect(out).toEqual({
      tier: 'db-custom-2-8192',
      userLabels: { b: '2', c: '3' },
      databaseFlags: [{ name: 'y', value: '2' }],
      backupConfiguration: { enabled: true, startTime: '04:00' },
    });
  });
});
