/** deploy's quota pre-check: refuse to start work that cannot fit, before anything is created. */
import type { Clients } from '../gcp/clients.js';
import { checkQuotas } from './index.js';
import type { QuotaGraph } from './required.js';
import { shortfalls } from './report.js';

/** undefined when everything fits; otherwise the message deploy stops with. */
export async function quotaPreflight(clients: Clients, graph: QuotaGraph): Promise<string | undefined> {
  const short = shortfalls(await checkQuotas(clients, graph));
  if (!short.length) return undefined;
  const fmt = (n: number | undefined) => (n === undefined ? '?' : n.toLocaleString('en-US'));
  const lines = short.map((r) => `  ${r.title}${r.region ? ` in ${r.region}` : ''}: needs ${fmt(r.needed)} ${r.unit}, limit ${fmt(r.limit)} (ask for ${fmt(r.request?.preferredValue)})`);
  return [
    `the topology does not fit the project's quotas (${short.length} shortfall(s)); nothing was changed:`,
    ...lines,
    'Request the increases with `ruvector quotas --request`, or deploy anyway with --skip-quota-check.',
  ].join('\n');
}
