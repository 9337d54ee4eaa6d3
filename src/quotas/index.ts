/** Quotas a spec needs vs what the project has: the pre-flight for deploy and `ruvector quotas`. */
import type { Clients } from '../gcp/clients.js';
import { observeQuotas } from './observe.js';
import { compareQuotas, type QuotaRow } from './report.js';
import { requiredQuotas, type QuotaGraph } from './required.js';

export { requiredQuotas, type Requirement, type QuotaGraph } from './required.js';
export { compareQuotas, shortfalls, type QuotaRow, type QuotaVerdict } from './report.js';
export { requestIncreases, type FiledRequest } from './request.js';
export { renderQuotaReport } from './render.js';

export async function checkQuotas(clients: Clients, graph: QuotaGraph): Promise<QuotaRow[]> {
  const reqs = requiredQuotas(graph);
  return compareQuotas(reqs, await observeQuotas(clients, reqs));
}
