/**
 * Rebuilds config/prices/list.json from the Cloud Billing Catalog API (the same code as
 * `ruvector cost-estimate --refresh-prices`):
 *
 *   RUVECTOR_BILLING_API_KEY=... npx tsx config/refresh-prices.ts [table-or-path] [--out file]
 *
 * Without an API key it uses Application Default Credentials. RUVECTOR_BILLING_ENDPOINT
 * points it at another server (the tests serve recorded catalog pages).
 */
import { refreshPrices } from '../src/cost/refresh.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : undefined;
const table = args.find((a, i) => !a.startsWith('--') && i !== outAt + 1) ?? 'list';

try {
  const r = await refreshPrices({ table, out });
  console.log(`refreshed ${r.updated.length} entries of ${r.path} (priced ${r.pricedAsOf}); ${r.unchanged.length} kept their figures`);
  for (const c of r.changes) console.log(`  ${c}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
