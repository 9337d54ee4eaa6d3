import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../../src/cli/base-command.js';
import { refuse, targetFlags } from '../../src/cli/flags.js';
import { openSession } from '../../src/cli/session.js';
import { rollout, type RolloutReport } from '../../src/rollout/index.js';
import { parseDuration } from '../../src/rollout/duration.js';
import { imageRefProblem } from '../../src/spec/image-ref.js';
import { describeEvent, renderResults } from '../../src/rollout/render.js';

export default class Rollout extends BaseCommand {
  static override summary = 'Roll out an image: a canary revision per region, its checks, then promotion or automatic rollback';
  static override description = `For each region (in waves, with --pause between them): a new Cloud Run revision on --image
takes --canary percent of the traffic (tagged "canary", so it also has its own URL); the
revision must become Ready and pass /health/ready (tagged URL, else through the split) and
verify's data-store checks. Then it is promoted to 100% — or, if anything failed, traffic
goes straight back to the previous revision and the template back to its image. A failed
region stops the rollout: later waves are not touched. Exit code 1 when a region was rolled
back or failed. --no-promote leaves healthy canaries for \`rollout promote\`.`;

  static override examples = [
    '<%= config.bin %> rollout --local --image ruvector:v2 --canary 10',
    '<%= config.bin %> rollout -f ruvector.yaml --image us-docker.pkg.dev/p/r/ruvector:1.4.0 --canary 5 --waves "us-central1;europe-west1,asia-northeast1" --pause 10m',
    '<%= config.bin %> rollout --local --image ruvector:v2 --no-promote   # then: rollout promote | rollout rollback',
  ];

  static override flags = {
    ...targetFlags,
    image: Flags.string({ summary: 'Container image for the new revision', required: true, parse: refuse(imageRefProblem) }),
    canary: Flags.integer({ summary: 'Percent of traffic the new revision takes while it is checked', default: 10, min: 1, max: 99 }),
    waves: Flags.string({ summary: 'Waves: a number ("3") or region lists ("a;b,c") [default: one region per wave]' }),
    pause: Flags.string({ summary: 'Pause between waves (e.g. 30s, 5m)', default: '60s' }),
    probes: Flags.integer({ summary: 'Health probes the canary must pass', default: 10, min: 1, max: 10_000 }),
    timeout: Flags.integer({ summary: 'Per-check deadline in seconds (at most an hour)', default: 10, min: 1, max: 3600 }),
    force: Flags.boolean({ summary: 'Roll out even where the image already serves (new instances reload the index from the latest snapshot)', default: false }),
    promote: Flags.boolean({ summary: 'Promote healthy canaries to 100%', default: true, allowNo: true }),
  };

  async run(): Promise<RolloutReport> {
    const { flags } = await this.parse(Rollout);
    let pauseMs: number;
    try {
      pauseMs = parseDuration(flags.pause, '--pause');
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const opened = await openSession(flags, { start: false });
    const { session, targetLabel } = opened;
    try {
      if (!this.jsonEnabled()) this.log(`Rolling out ${flags.image} to ${session.regions.join(', ')} on ${targetLabel} (canary ${flags.canary}%)`);
      let report: RolloutReport;
      try {
        report = await rollout(session, {
          image: flags.image,
          canary: flags.canary,
          waves: flags.waves,
          pauseMs,
          promote: flags.promote,
          probes: flags.probes,
          timeoutMs: flags.timeout * 1000,
          force: flags.force,
          onEvent: (e) => {
            const line = this.jsonEnabled() ? undefined : describeEvent(e);
            if (line) this.log(line);
          },
        });
      } catch (e) {
        if (e instanceof RangeError) throw new UserError(e.message);
        throw e;
      }
      if (!this.jsonEnabled()) {
        this.log('');
        this.log(renderResults(report.results));
        this.log('');
        this.log(report.ok ? 'Rollout complete.' : 'Rollout stopped: see the regions above (traffic is back on the previous revision where a canary failed).');
      }
      return this.finish(report, report.ok ? 0 : 1);
    } finally {
      await session.close();
    }
  }
}
