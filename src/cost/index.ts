import { loadSpec, type LoadedSpec } from '../spec/index.js';
import { costInputFromSpec } from './adapter.js';
import { compareEstimates, versusSeed } from './compare.js';
import { CostError } from './errors.js';
import { estimate } from './model.js';
import { loadPriceTable } from './prices.js';
import type { CostReport } from './render.js';
import type { Scenario } from './types.js';

export { CostError } from './errors.js';
export { costInputFromSpec } from './adapter.js';
export { estimate, capacityOf, RUN_CONCURRENCY_CEILING } from './model.js';
export { loadPriceTable, parsePriceTable, tieredAmount } from './prices.js';
export { versusSeed, compareEstimates, type CompareRow } from './compare.js';
export { renderTable, renderMarkdown, type CostReport, type GroupBy, type Format } from './render.js';
export type * from './types.js';

export interface CostReportOptions {
  specPath: string;
  rates: string;
  scenario: Scenario;
  comparePath?: string;
}

/** Points a CostError at the YAML line of the field it names, when the spec has one. */
function locate(err: unknown, loaded: LoadedSpec): never {
  if (err instanceof CostError) {
    const path = err.field.split('.').filter(Boolean);
    try {
      const { line, col } = loaded.positions.locate(path);
      throw new CostError(`${loaded.file}:${line}:${col}  ${err.field}`, err.message.slice(err.field.length + 2));
    } catch (inner) {
      if (inner instanceof CostError) throw inner;
    }
  }
  throw err;
}

async function estimateFile(path: string, rates: string, scenario: Scenario) {
  const loaded = await loadSpec(path);
  const table = loadPriceTable(rates);
  try {
    return { loaded, est: estimate(costInputFromSpec(loaded.spec), table, { scenario }) };
  } catch (err) {
    return locate(err, loaded);
  }
}

/**
 * Estimate a spec file: the estimate itself, the same topology at the seed's rates beside
 * it (when it is not already priced with them) and, with a second spec, the difference.
 */
export async function costReport(opts: CostReportOptions): Promise<CostReport> {
  const { loaded, est } = await estimateFile(opts.specPath, opts.rates, opts.scenario);
  const report: CostReport = { estimate: est };
  if (est.rates !== 'seed') {
    try {
      const seed = estimate(costInputFromSpec(loaded.spec), loadPriceTable('seed'), { scenario: opts.scenario });
      report.versusSeed = versusSeed(est, seed);
    } catch (err) {
      if (!(err instanceof CostError)) throw err;
      est.warnings.push(`no "vs seed" column: the seed's rates cannot price this spec (${err.message})`);
    }
  }
  if (opts.comparePath) {
    const other = (await estimateFile(opts.comparePath, opts.rates, opts.scenario)).est;
    report.compare = { other: opts.comparePath, rows: compareEstimates(est, other), total: est.total, otherTotal: other.total };
  }
  return report;
}
