/**
 * `ruvector emulator start` / `emulator stop`, N times, as a user runs them (the compiled
 * CLI, a private RUVECTOR_HOME). A cycle fails when start or stop exits non-zero, when the
 * started daemon is not the one its record names, or when stop leaves the daemon or its
 * record behind. Prints each failure and the total; exit 1 if any cycle failed.
 * Usage: tsx scripts/emulator-cycles.ts [--cycles 100] [--data-plane] (default: control plane only)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isProcessAlive, probeHealth, readRecord } from '../src/emulator/discovery.js';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '100' }, 'data-plane': { type: 'boolean', default: false } } });
const root = resolve(import.meta.dirname, '..');
const cycles = Number(values.cycles);
const home = mkdtempSync(join(tmpdir(), 'rv-cycles-'));
const env: NodeJS.ProcessEnv = { ...process.env, RUVECTOR_HOME: home, NO_COLOR: '1' };
delete env.RUVECTOR_EMULATOR_HOST;

function cli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'bin', 'run.js'), ...args], { env, cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}`.trim() });
    });
  });
}

const failures: string[] = [];
const started: number[] = [];
const t0 = Date.now();
try {
  for (let i = 1; i <= cycles; i++) {
    const start = await cli(['emulator', 'start', '--json', '--latency-scale', '0.001', ...(values['data-plane'] ? [] : ['--no-data-plane'])]);
    if (start.code !== 0) {
      failures.push(`cycle ${i}: start exit ${start.code}: ${start.out.split('\n').slice(0, 3).join(' | ')}`);
    } else {
      const r = JSON.parse(start.out) as { pid: number; host: string; port: number };
      started.push(r.pid);
      const rec = await readRecord(env);
      const health = await probeHealth(r, 5000);
      if (rec?.pid !== r.pid) failures.push(`cycle ${i}: the record names pid ${rec?.pid}, start said ${r.pid}`);
      if (health?.pid !== r.pid) failures.push(`cycle ${i}: ${r.host}:${r.port} answered as pid ${health?.pid}, start said ${r.pid}`);
    }
    const stop = await cli(['emulator', 'stop', '--json']);
    if (stop.code !== 0) failures.push(`cycle ${i}: stop exit ${stop.code}: ${stop.out.split('\n')[0]}`);
    const last = started[started.length - 1];
    if (last !== undefined && isProcessAlive(last)) failures.push(`cycle ${i}: pid ${last} still alive after stop`);
    if (existsSync(join(home, 'emulator.json'))) failures.push(`cycle ${i}: a record is left after stop: ${readFileSync(join(home, 'emulator.json'), 'utf8').trim()}`);
    if (i % 10 === 0) process.stdout.write(`${i} cycles, ${failures.length} failures, ${((Date.now() - t0) / i / 1000).toFixed(2)} s per cycle\n`);
  }
} finally {
  for (const pid of started) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
}
for (const f of failures) console.log(f);
console.log(`${cycles} start/stop cycles: ${cycles - new Set(failures.map((f) => f.split(':')[0])).size} clean, ${failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(failures.length > 0 ? 1 : 0);
