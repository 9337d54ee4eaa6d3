import { BaseCommand } from '../../src/cli/base-command.js';
import { daemonStatus } from '../../src/emulator/lifecycle.js';

export default class EmulatorStatus extends BaseCommand {
  static override description = 'Show whether the emulator is running, where, and with which settings';

  async run() {
    // Unknown flags and stray arguments are refused, not ignored.
    await this.parse(EmulatorStatus);
    const s = await daemonStatus();
    if (s.running && s.health) {
      const h = s.health;
      this.log(`Emulator running at ${s.url} (pid ${h.pid}, ${s.source === 'env' ? 'from RUVECTOR_EMULATOR_HOST' : 'started by ruvector'})`);
      if (s.restoredRecord) this.log('  note:    it was running without a record (an earlier start was cut short); recorded it again');
      this.log(`  state:   ${h.stateDir ?? 'in memory'}`);
      this.log(`  uptime:  ${Math.round(h.uptimeMs / 1000)} s`);
      this.log(`  latency: x${h.latencyScale}   quotas: ${h.quotas}`);
      this.log(`  apis:    ${h.modules.join(', ')}`);
      if (h.requests) this.log(`  calls:   ${h.requests.total} (${h.requests.writes} writes, ${h.requests.faults} injected faults)`);
    } else if (s.stale) {
      const other = s.answeredBy ? `; another emulator (pid ${s.answeredBy}) answers there instead of the recorded pid ${s.pid}` : '';
      this.log(`No emulator answers at ${s.url}${s.source === 'env' ? ' (RUVECTOR_EMULATOR_HOST)' : ' (stale record; run `ruvector emulator start`)'}${other}.`);
    } else {
      this.log('No emulator is running. Start one with: ruvector emulator start');
    }
    return this.finish(s);
  }
}
