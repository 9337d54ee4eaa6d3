/**
 * Files Cloud Quotas quota preferences for shortfalls. The preference id is derived from
 * quota and region, so running it twice updates the same request instead of filing another.
 */
import type { protos } from '@google-cloud/cloudquotas';
import type { Clients } from '../gcp/clients.js';
import type { QuotaRow } from './report.js';

export interface FiledRequest {
  key: string;
  name: string;
  preferredValue: number;
  grantedValue?: number;
  /** true while GCP is still reviewing it (the limit has not moved yet). */
  pending: boolean;
  action: 'created' | 'updated';
}

export function preferenceId(row: QuotaRow): string {
  return `ruvector-${row.quotaId}-${row.region ?? 'global'}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63);
}

const isNotFound = (e: unknown) => {
  const err = e as { code?: number | string; message?: string };
  return err.code === 5 || err.code === 404 || /NOT_FOUND|not found/i.test(err.message ?? '');
};

export async function requestIncreases(clients: Clients, rows: QuotaRow[], justification: string): Promise<FiledRequest[]> {
  const parent = `projects/${clients.project}/locations/global`;
  const filed: FiledRequest[] = [];
  for (const row of rows) {
    if (!row.request) continue;
    const id = preferenceId(row);
    const name = `${parent}/quotaPreferences/${id}`;
    const dimensions: Record<string, string> = row.region ? { region: row.region } : {};
    const preference: protos.google.api.cloudquotas.v1.IQuotaPreference = {
      name,
      service: row.service,
      quotaId: row.quotaId,
      dimensions,
      quotaConfig: { preferredValue: row.request.preferredValue },
      justification,
    };
    let action: FiledRequest['action'] = 'updated';
    let result: protos.google.api.cloudquotas.v1.IQuotaPreference;
    try {
      [result] = await clients.cloudQuotas.getQuotaPreference({ name });
      [result] = await clients.cloudQuotas.updateQuotaPreference({ quotaPreference: { ...preference, etag: result.etag }, updateMask: { paths: ['quota_config.preferred_value', 'justification'] } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      action = 'created';
      [result] = await clients.cloudQuotas.createQuotaPreference({ parent, quotaPreferenceId: id, quotaPreference: preference });
    }
    const granted = result.quotaConfig?.grantedValue;
    filed.push({
      key: row.key,
      name,
      preferredValue: row.request.preferredValue,
      grantedValue: granted === undefined || granted === null ? undefined : Number(granted),
      pending: Boolean(result.reconciling),
      action,
    });
  }
  return filed;
}
