import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { openSession } from '../src/cli/session.js';
import { targetFlags } from '../src/cli/flags.js';
import { renderVerify, verify, type VerifyReport } from '../src/verify/index.js';
import { serviceWriteKey } from '../src/verify/write-key.js';

export default class VerifyCommand extends BaseCommand {
  static override summary = 'Check a deployed topology: services, health, data stores, load balancer, drift and latency';
  static override description = `Runs every check at once, each under its own deadline (a slow region never stalls the others):
per region, the Cloud Run service Ready with its latest revision serving the spec's traffic,
/health/ready through the service URL and through the load balancer with the region's
X-Client-Region header, Redis reachable and writable, Cloud SQL RUNNABLE (and replica lag),
Pub/Sub subscriptions pushing to the region's service with their dead-letter topic, the
bucket's settings; globally, the load balancer chain (forwarding rule -> proxy -> URL map ->
backends -> NEGs), the certificate and the Cloud Armor policy; drift (the plan's changes);
and --samples searches per region against the seed's targets (p50 < 10 ms, p99 < 50 ms).
Exit code 1 when any check fails; warnings alone exit 0.`;

  static override examples = [
    '<%= config.bin %> verify --local',
    '<%= config.bin %> verify -f ruvector.yaml --regions europe-west1 --samples 500',
    '<%= config.bin %> verify --local --json | jq \'.results[] | select(.verdict == "fail")\'',
  ];

  static override flags = {
    ...targetFlags,
    samples: Flags.integer({ summary: 'Searches per region for the latency check (0 skips it)', default: 100, min: 0, max: 100_000 }),
    timeout: Flags.integer({ summary: 'Per-check deadline in seconds (at most an hour)', default: 10, min: 1, max: 3600 }),
    drift: Flags.boolean({ summary: 'Compare every owned resource with the spec (a plan)', default: true, allowNo: true }),
    'api-key': Flags.string({ summary: 'Write key for the latency check\'s probe collection (default: RUVECTOR_API_KEY, else read from the spec\'s write-key secret)', env: 'RUVECTOR_API_KEY' }),
  };

  async run(): Promise<VerifyReport> {
    const { flags } = await this.parse(VerifyCommand);
    const opened = await openSession(flags, { start: false });
    const { session, targetLabel } = opened;
    try {
      const report = await verify(session, { samples: flags.samples, timeoutMs: flags.timeout * 1000, drift: flags.drift, apiKey: await serviceWriteKey(session, flags['api-key']) }, { targetLabel });
      if (!this.jsonEnabled()) this.log(renderVerify(report));
      return this.finish(report, report.summary.exitCode);
    } finally {
      await session.close();
    }
  }
}
