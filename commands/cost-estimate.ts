import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { costReport, renderMarkdown, renderTable, type CostReport, type GroupBy } from '../src/cost/index.js';
import { refreshPrices, type RefreshResult } from '../src/cost/refresh.js';
import type { Scenario } from '../src/cost/types.js';
import { specFileFlag } from '../src/cli/spec-file-flag.js';

export default class CostEstimate extends BaseCommand {
  static override summary = 'Estimate the monthly cost of a topology spec';
  static override description = `A transparent cost model: every line shows its quantity, unit, rate and the source of the rate.
Prices come from config/prices/<rates>.json (seed = the seed document's stated rates, list = GCP list prices);
traffic and volumes from the spec's usage: section. No network is needed, except for --refresh-prices.`;

  static override examples = [
    '<%= config.bin %> cost-estimate -f templates/production.yaml --rates seed',
    '<%= config.bin %> cost-estimate -f templates/production.yaml --rates list --scenario burst',
    '<%= config.bin %> cost-estimate -f templates/production.yaml --compare templates/regional.yaml --format markdown',
    'RUVECTOR_BILLING_API_KEY=... <%= config.bin %> cost-estimate --refresh-prices',
  ];

  static override flags = {
    file: specFileFlag('Topology spec (YAML)', { default: 'ruvector.yaml' }),
    scenario: Flags.string({ summary: 'baseline (seed 8.1), burst (8.2) or optimized (8.3)', options: ['baseline', 'burst', 'optimized'], default: 'baseline' }),
    rates: Flags.string({ summary: 'Price table: seed, list, or a path to a price-table JSON', default: 'list' }),
    by: Flags.string({ summary: 'Rows by line (default), service or region', options: ['line', 'service', 'region'], default: 'line' }),
    compare: Flags.string({ summary: 'Another spec: print the monthly difference by line' }),
    format: Flags.string({ summary: 'Output format', options: ['table', 'json', 'markdown'], default: 'table' }),
    'refresh-prices': Flags.boolean({ summary: 'Rebuild the list price table from the Cloud Billing Catalog API, then exit', default: false }),
    out: Flags.string({ summary: 'With --refresh-prices: where to write the table (default: the table it read)' }),
    endpoint: Flags.string({ summary: 'With --refresh-prices: Cloud Billing API base URL', env: 'RUVECTOR_BILLING_ENDPOINT' }),
  };

  async run(): Promise<CostReport | RefreshResult> {
    const { flags } = await this.parse(CostEstimate);
    if (flags['refresh-prices']) {
      const result = await refreshPrices({ table: flags.rates === 'seed' ? 'list' : flags.rates, out: flags.out, endpoint: flags.endpoint });
      if (!this.jsonEnabled()) {
        this.log(`Refreshed ${result.updated.length} entries of ${result.path} (priced ${result.pricedAsOf}); ${result.unchanged.length} entries have no catalog SKU and kept their figures.`);
        for (const c of result.changes) this.log(`  ${c}`);
      }
      return this.finish(result);
    }
    const report = await costReport({
      specPath: flags.file,
      rates: flags.rates,
      scenario: flags.scenario as Scenario,
      comparePath: flags.compare,
    });
    if (this.jsonEnabled()) return this.finish(report);
    const by = flags.by as GroupBy;
    if (flags.format === 'json') this.log(JSON.stringify(report, null, 2));
    else if (flags.format === 'markdown') this.log(renderMarkdown(report, by));
    else this.log(renderTable(report, by));
    return this.finish(report);
  }
}
