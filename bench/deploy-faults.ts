/**
 * tsx bench/deploy-faults.ts — one deploy of a template on a fresh emulator that answers a
 * fraction of all API calls with 429/503, once clean and once per seed. Prints, per run:
 * whether ONE deploy converged (apply ok and the next plan a no-op), the API calls it took
 * (and as a ratio to the clean run measured here), the faults met, and the most versions any
 * secret ended with (a retried create must not mint a second value).
 * Usage: tsx bench/deploy-faults.ts [--template production] [--fault-rate 0.3] [--seeds 1,2,3]
 *        [--latency-scale 0.001] [--consistency-delay-ms 0]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../src/emulator/server.js';
import { hasChanges } from '../src/engine/plan.js';
import { Session } from '../src/engine/session.js';
import { describeError } from '../src/gcp/errors.js';
import { templateSpec } from '../test/integration/engine/helpers.js';

const { values } = parseArgs({
  options: {
    template: { type: 'string', default: 'production' },
    'fault-rate': { type: 'string', default: '0.3' },
    seeds: { type: 'string', default: '1,2,3' },
    'latency-scale': { type: 'string', default: '0.001' },
    'consistency-delay-ms': { type: 'string', default: '0' },
  },
});
const template = values.template as 'production' | 'local' | 'regional';
const rate = Number(values['fault-rate']);
const scale = Number(values['latency-scale']);
const delay = Number(values['consistency-delay-ms']);
const seeds = values.seeds!.split(',').map(Number);
const spec = templateSpec(template);

interface Run {
  label: string;
  converged: boolean;
  calls: number;
  faults: number;
  maxVersions: number;
  seconds: number;
  note: string;
}

async function once(label: string, faultRate: number, seed: number): Promise<Run> {
  const emu = await startEmulator({ port: 0, latencyScale: scale, quotas: 'unlimited', faultRate, seed, consistencyDelayMs: delay });
  const home = mkdtempSync(join(tmpdir(), 'rv-bench-faults-'));
  const s = new Session(spec, { kind: 'emulator', project: spec.project, host: emu.host, port: emu.port, timeScale: scale }, { home });
  const t0 = Date.now();
  try {
    let note = '';
    let ok = false;
    try {
      const { plan, observed } = await s.plan();
      const result = await s.apply(plan, observed);
      ok = result.ok;
      if (!ok) note = result.results.filter((r) => r.status === 'failed').slice(0, 2).map((r) => `${r.name}: ${r.error}`).join('; ');
    } catch (err) {
      note = `plan failed: ${describeError(err)}`;
    }
    const calls = emu.requestLog.mark();
    const faults = emu.requestLog.entries({}).filter((e) => e.fault === '429' || e.fault === '503').length;
    const seconds = (Date.now() - t0) / 1000;
    // Judged without faults, after the consistency window: did that one run reach the spec?
    emu.faults.configure({ rate: 0 });
    await new Promise((r) => setTimeout(r, delay + 50));
    const after = ok ? await s.plan() : undefined;
    const converged = ok && !!after && !hasChanges(after.plan);
    if (ok && !converged) note = `next plan not a no-op: ${after!.plan.items.filter((i) => i.action !== 'noop').slice(0, 3).map((i) => `${i.action} ${i.name}`).join(', ')}`;
    const versions = new Map<string, number>();
    for (const v of emu.core.store.collection<{ name: string }>('secretmanager.versions').peekAll()) {
      const secret = v.name.replace(/\/versions\/[^/]+$/, '');
      versions.set(secret, (versions.get(secret) ?? 0) + 1);
    }
    return { label, converged, calls, faults, maxVersions: Math.max(0, ...versions.values()), seconds, note };
  } finally {
    await s.close();
    await emu.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

const runs: Run[] = [await once('clean', 0, 1)];
for (const seed of seeds) runs.push(await once(`seed ${seed}`, rate, seed));
const clean = runs[0]!.calls;
console.log(`templates/${template}.yaml, one deploy per run, ${rate * 100}% injected 429/503, latency scale ${scale}, consistency delay ${delay} ms`);
for (const r of runs) {
  console.log(
    `${r.label.padEnd(8)} converged in one run: ${r.converged ? 'yes' : 'NO '}  calls ${String(r.calls).padStart(5)} (${(r.calls / clean).toFixed(2)}x clean)  faults ${String(r.faults).padStart(4)}  max secret versions ${r.maxVersions}  ${r.seconds.toFixed(1)} s${r.note ? `  ${r.note.slice(0, 300)}` : ''}`,
  );
}
