import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { openSession } from '../src/cli/session.js';
import { targetFlags } from '../src/cli/flags.js';
import { checkQuotas, renderQuotaReport, requestIncreases, shortfalls, type FiledRequest, type QuotaRow } from '../src/quotas/index.js';

export interface QuotasResult {
  target: string;
  rows: QuotaRow[];
  shortfalls: number;
  filed?: FiledRequest[];
}

export default class QuotasCommand extends BaseCommand {
  static override summary = 'Check the quotas a spec needs against the project\'s limits';
  static override description = `Derives every quota the topology consumes from the spec (Cloud Run CPU, memory and
instances per region at max scale, Memorystore GB per region, Cloud SQL instances, VPC
connectors, routers with NAT, peerings, the load balancer's pieces, Cloud Armor rules) and
reads limits and usage from Compute regions.get/projects.get and Cloud Quotas. Each shortfall
comes with the exact value to request; --request files those as Cloud Quotas quota
preferences. Exits 1 when something does not fit.`;

  static override examples = [
    '<%= config.bin %> quotas -f templates/production.yaml',
    '<%= config.bin %> quotas --local --json',
    '<%= config.bin %> quotas -f ruvector.yaml --request --justification "World Cup launch"',
  ];

  static override flags = {
    ...targetFlags,
    request: Flags.boolean({ summary: 'File a quota preference for every shortfall', default: false }),
    justification: Flags.string({ summary: 'Justification sent with --request', default: 'ruvector topology capacity (ruvector quotas --request)' }),
  };

  async run(): Promise<QuotasResult> {
    const { flags } = await this.parse(QuotasCommand);
    const opened = await openSession(flags, { start: true });
    const { session, targetLabel } = opened;
    try {
      const rows = await checkQuotas(session.clients, { resources: session.desired });
      const short = shortfalls(rows);
      const filed = flags.request && short.length ? await requestIncreases(session.clients, short, flags.justification) : undefined;
      if (!this.jsonEnabled()) this.log(renderQuotaReport(rows, { targetLabel, filed }));
      const result: QuotasResult = { target: targetLabel, rows, shortfalls: short.length, filed };
      // A filed request does not change today's limits: the exit code still says "does not fit".
      return this.finish(result, short.length ? 1 : 0);
    } finally {
      await session.close();
    }
  }
}
