import { BaseCommand, UserError } from '../../src/cli/base-command.js';
import { EmulatorLifecycleError, resetEmulator } from '../../src/emulator/lifecycle.js';

export default class EmulatorReset extends BaseCommand {
  static override description = 'Delete every emulated resource, operation and quota usage (the emulator keeps running)';

  async run() {
    // Unknown flags and stray arguments are refused, not ignored.
    await this.parse(EmulatorReset);
    try {
      const r = await resetEmulator();
      this.log(`Emulator at ${r.url} reset: every resource is gone.`);
      return this.finish({ reset: true, url: r.url });
    } catch (e) {
      if (e instanceof EmulatorLifecycleError) throw new UserError(e.message);
      throw e;
    }
  }
}
