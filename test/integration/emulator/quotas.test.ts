/** Cloud Quotas v1 through @google-cloud/cloudquotas: quota infos and preferences raising limits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protos, type CloudQuotasClient } from '@google-cloud/cloudquotas';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

let t: TestEmulator;
let cq: CloudQuotasClient;
const parent = `projects/${PROJECT}/locations/global`;

beforeAll(async () => {
  t = await startTestEmulator();
  cq = t.clients.cloudQuotas();
});
afterAll(async () => {
  await t?.stop();
});

describe('Cloud Quotas', () => {
  it('lists and gets quota infos with per-region dimensions', async () => {
    const [infos] = await cq.listQuotaInfos({ parent: `${parent}/services/run.googleapis.com` });
    const ids = infos.map((i) => i.quotaId);
    expect(ids).toContain('CpuAllocPerProjectRegion');
    const [cpu] = await cq.getQuotaInfo({ name: `${parent}/services/run.googleapis.com/quotaInfos/CpuAllocPerProjectRegion` });
    expect(cpu.containerType).toBe('PROJECT');
    expect(cpu.dimensions).toEqual(['region']);
    expect(cpu.quotaIncreaseEligibility?.isEligible).toBe(true);
    const dflt = cpu.dimensionsInfos?.find((d) => Object.keys(d.dimensions ?? {}).length === 0);
    expect(Number(dflt?.details?.value)).toBe(1000);
    expect(dflt?.applicableLocations).toContain('us-central1');

    const [networks] = await cq.getQuotaInfo({ name: `${parent}/services/compute.googleapis.com/quotaInfos/NETWORKS-per-project` });
    expect(networks.metric).toBe('compute.googleapis.com/networks');
    expect(networks.dimensionsInfos?.[0]?.applicableLocations).toEqual(['global']);

    const missing = await cq.getQuotaInfo({ name: `${parent}/services/run.googleapis.com/quotaInfos/NoSuchQuota` }).catch((e: unknown) => e);
    expect(errorBody(missing).status).toBe('NOT_FOUND');
  });

  it('a modest preference is granted and raises the enforced limit', async () => {
    const [pref] = await cq.createQuotaPreference({
      parent,
      quotaPreferenceId: 'run-cpu-us-central1',
      quotaPreference: {
        service: 'run.googleapis.com',
        quotaId: 'CpuAllocPerProjectRegion',
        dimensions: { region: 'us-central1' },
        quotaConfig: { preferredValue: 1500 },
        justification: 'ruvector tier 1',
        contactEmail: 'ops@example.com',
      },
    });
    expect(pref.name).toBe(`${parent}/quotaPreferences/run-cpu-us-central1`);
    expect(pref.reconciling).toBe(false);
    expect(Number(pref.quotaConfig?.grantedValue?.value)).toBe(1500);
    expect(pref.contactEmail).toBeFalsy();
    expect(t.emu.ctx.quotas.limit('us-central1', 'CpuAllocPerProjectRegion')).toBe(1500);
    const [cpu] = await cq.getQuotaInfo({ name: `${parent}/services/run.googleapis.com/quotaInfos/CpuAllocPerProjectRegion` });
    const central = cpu.dimensionsInfos?.find((d) => d.dimensions?.region === 'us-central1');
    expect(Number(central?.details?.value)).toBe(1500);

    const dup = await cq.createQuotaPreference({ parent, quotaPreferenceId: 'run-cpu-us-central1', quotaPreference: pref }).catch((e: unknown) => e);
    expect(errorBody(dup).status).toBe('ALREADY_EXISTS');
  });

  it('a large preference stays pending (reconciling) and the limit does not move', async () => {
    const [pref] = await cq.createQuotaPreference({
      parent,
      quotaPreferenceId: 'run-cpu-europe-west1',
      quotaPreference: { service: 'run.googleapis.com', quotaId: 'CpuAllocPerProjectRegion', dimensions: { region: 'europe-west1' }, quotaConfig: { preferredValue: 40000 } },
    });
    expect(pref.reconciling).toBe(true);
    expect(Number(pref.quotaConfig?.grantedValue?.value)).toBe(1000);
    expect(pref.quotaConfig?.stateDetail).toContain('pending');
    expect(t.emu.ctx.quotas.limit('europe-west1', 'CpuAllocPerProjectRegion')).toBe(1000);

    const [pending] = await cq.listQuotaPreferences({ parent, filter: 'reconciling=true' });
    expect(pending.map((p) => p.name?.split('/').pop())).toEqual(['run-cpu-europe-west1']);
  });

  it('updates a preference; stale etag ABORTED; invalid ones refused', async () => {
    const name = `${parent}/quotaPreferences/run-cpu-europe-west1`;
    const [cur] = await cq.getQuotaPreference({ name });
    const [upd] = await cq.updateQuotaPreference({
      quotaPreference: { name, etag: cur.etag, quotaConfig: { preferredValue: 2000 } },
      updateMask: { paths: ['quota_config.preferred_value'] },
    });
    expect(upd.reconciling).toBe(false);
    expect(t.emu.ctx.quotas.limit('europe-west1', 'CpuAllocPerProjectRegion')).toBe(2000);
    const stale = await cq
      .updateQuotaPreference({ quotaPreference: { name, etag: cur.etag, quotaConfig: { preferredValue: 1800 } }, updateMask: { paths: ['quota_config.preferred_value'] } })
      .catch((e: unknown) => e);
    expect(errorBody(stale).status).toBe('ABORTED');

    const noRegion = await cq
      .createQuotaPreference({ parent, quotaPreference: { service: 'run.googleapis.com', quotaId: 'CpuAllocPerProjectRegion', quotaConfig: { preferredValue: 10 } } })
      .catch((e: unknown) => e);
    expect(errorBody(noRegion).status).toBe('INVALID_ARGUMENT');
    const unknown = await cq
      .createQuotaPreference({ parent, quotaPreference: { service: 'run.googleapis.com', quotaId: 'Nope', quotaConfig: { preferredValue: 10 } } })
      .catch((e: unknown) => e);
    expect(errorBody(unknown).status).toBe('INVALID_ARGUMENT');
  });

  it('refuses going below usage unless the safety check is waived', async () => {
    t.emu.ctx.quotas.use('global', 'NETWORKS', 3);
    const body = { service: 'compute.googleapis.com', quotaId: 'NETWORKS-per-project', quotaConfig: { preferredValue: 2 } };
    const refused = await cq.createQuotaPreference({ parent, quotaPreferenceId: 'networks', quotaPreference: body }).catch((e: unknown) => e);
    expect(errorBody(refused).status).toBe('FAILED_PRECONDITION');
    const [ok] = await cq.createQuotaPreference({ parent, quotaPreferenceId: 'networks', quotaPreference: body, ignoreSafetyChecks: [protos.google.api.cloudquotas.v1.QuotaSafetyCheck.QUOTA_DECREASE_BELOW_USAGE] });
    expect(ok.reconciling).toBe(false);
    expect(t.emu.ctx.quotas.limit('global', 'NETWORKS')).toBe(2);
  });
});

describe('quota preferences are enforced by the APIs', () => {
  it('lowering Cloud SQL instances to 1 makes the second create fail with quotaExceeded', async () => {
    const [pref] = await cq.createQuotaPreference({
      parent,
      quotaPreferenceId: 'sql-instances',
      quotaPreference: { service: 'sqladmin.googleapis.com', quotaId: 'InstancesPerProject', quotaConfig: { preferredValue: 1 } },
    });
    expect(pref.reconciling).toBe(false);
    const sql = t.clients.sqlInstances();
    const body = (name: string) => ({ name, databaseVersion: 'POSTGRES_15' as const, region: 'us-central1', settings: { tier: 'db-f1-micro' } });
    await sql.insert({ project: PROJECT, body: body('first-db') });
    const second = await sql.insert({ project: PROJECT, body: body('second-db') }).catch((e: unknown) => e);
    expect(errorBody(second).code).toBe(403);
    expect(errorBody(second).errors?.[0]?.reason).toBe('quotaExceeded');
  });
});
