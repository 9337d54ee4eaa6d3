import { BaseCommand } from '../../src/cli/base-command.js';
import { stopDaemon } from '../../src/emulator/lifecycle.js';

export default class EmulatorStop extends BaseCommand {
  static override description = 'Stop the background emulator (state is flushed to its state directory first)';

  async run() {
    // Unknown flags and stray arguments are refused, not ignored.
    await this.parse(EmulatorStop);
    const r = await stopDaemon();
    if (!r.wasRunning) this.log('No emulator was running.');
    else this.log(`Emulator stopped (pid ${r.pid}${r.unrecorded ? ', found by its state-directory lock: it had no record' : ''}${r.forced ? ', killed after the graceful stop timed out' : ''}).`);
    return this.finish(r);
  }
}
