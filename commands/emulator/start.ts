import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand, UserError } from '../../src/cli/base-command.js';
import { ruvectorHome } from '../../src/util/home.js';
import { EmulatorLifecycleError, startDaemon } from '../../src/emulator/lifecycle.js';

export default class EmulatorStart extends BaseCommand {
  static override description = 'Start the local GCP emulator as a background daemon and record its address for other commands';
  static override examples = ['<%= config.bin %> emulator start', '<%= config.bin %> emulator start --fault-rate 0.05 --seed 42', '<%= config.bin %> emulator start --quotas unlimited --latency-scale 0.001'];

  static override flags = {
    port: Flags.integer({ description: 'TCP port (0 picks a free one)', default: 0, min: 0, max: 65535 }),
    state: Flags.string({ description: 'State directory; a restart with the same directory keeps the world [default: $RUVECTOR_HOME/emulator-state]' }),
    'latency-scale': Flags.string({ description: 'Multiplier on real GCP operation durations (1 = real time)', default: '0.01' }),
    'fault-rate': Flags.string({ description: 'Fraction of API calls answered 429/503 (seeded)', default: '0' }),
    'fault-delay-rate': Flags.string({ description: 'Fraction of API calls delayed by --fault-delay-ms (seeded)', default: '0' }),
    'fault-delay-ms': Flags.integer({ description: 'Delay for delayed calls, ms', default: 0, min: 0 }),
    'consistency-delay-ms': Flags.integer({ description: 'Up to this long a new resource stays invisible to get/list', default: 0, min: 0 }),
    seed: Flags.integer({ description: 'Seed for faults, consistency delays and generated ids', default: 1 }),
    quotas: Flags.string({ description: 'Quota limits to enforce', options: ['gcp-defaults', 'unlimited'], default: 'gcp-defaults' }),
    'data-plane': Flags.string({ description: 'Module that builds the local data plane (real processes behind the emulated resources) [default: the built-in one]' }),
    'no-data-plane': Flags.boolean({ description: 'Control plane only: record resources, start no Redis, Postgres databases or service processes', default: false, exclusive: ['data-plane'] }),
  };

  async run() {
    const { flags } = await this.parse(EmulatorStart);
    const fraction = (name: string, v: string, max = Infinity) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > max) throw new UserError(`--${name} must be a number between 0 and ${max === Infinity ? 'any' : max}, got '${v}'`);
      return this.finish(n);
    };
    try {
      const r = await startDaemon({
        port: flags.port,
        stateDir: flags.state ?? join(ruvectorHome(), 'emulator-state'),
        latencyScale: fraction('latency-scale', flags['latency-scale']),
        faultRate: fraction('fault-rate', flags['fault-rate'], 1),
        faultDelayRate: fraction('fault-delay-rate', flags['fault-delay-rate'], 1),
        faultDelayMs: flags['fault-delay-ms'],
        consistencyDelayMs: flags['consistency-delay-ms'],
        seed: flags.seed,
        quotas: flags.quotas as 'gcp-defaults' | 'unlimited',
        dataPlane: flags['no-data-plane'] ? 'none' : flags['data-plane'],
      });
      this.log(`Emulator running at ${r.url} (pid ${r.pid})`);
      this.log(`  state: ${r.stateDir}`);
      this.log(`  log:   ${r.logFile}`);
      this.log(`  point other tools at it with RUVECTOR_EMULATOR_HOST=${r.host}:${r.port}`);
      return this.finish(r);
    } catch (e) {
      if (e instanceof EmulatorLifecycleError) throw new UserError(e.message);
      throw e;
    }
  }
}
