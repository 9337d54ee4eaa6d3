/**
 * Every command, as a user runs it, refuses a flag it does not know (exit 2, oclif's message,
 * no stack trace) before it does anything: a mistyped flag must never be silently ignored.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, ROOT, ruvector } from './helpers.js';

let home: string;
const saved = process.env.RUVECTOR_HOME;
beforeAll(() => {
  ensureBuilt();
  // Its own home: no command may reach a daemon of the developer's.
  home = mkdtempSync(join(tmpdir(), 'ruvector-flags-'));
  process.env.RUVECTOR_HOME = home;
});
afterAll(() => {
  if (saved === undefined) delete process.env.RUVECTOR_HOME;
  else process.env.RUVECTOR_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

it('every command refuses an unknown flag with exit 2 and says which', async () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
  const ids = Object.keys(manifest.commands).sort();
  expect(ids).toEqual(expect.arrayContaining(['deploy', 'verify', 'emulator:status', 'emulator:stop', 'emulator:reset']));
  const runs = await Promise.all(ids.map(async (id) => ({ id, r: await ruvector([...id.split(':'), '--no-such-flag'], home) })));
  const wrong = runs
    .filter(({ r }) => r.code !== 2 || !/Nonexistent flag: --no-such-flag/.test(r.stderr) || /\n\s+at /.test(r.stderr))
    .map(({ id, r }) => `${id}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  expect(wrong).toEqual([]);
}, 120_000);

it('a --regions that names no region, or a malformed --project, is refused before anything starts', async () => {
  for (const args of [['render', '--regions', ',,'], ['deploy', '--local', '--regions', ' , ', '--yes'], ['plan', '--local', '--regions', '']]) {
    const r = await ruvector(args, home);
    expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(/^Error: --regions: no region given in ".*" \(a comma-separated list/);
    expect(r.stdout).toBe('');
  }
  const badProject = await ruvector(['plan', '--local', '--project', 'My_Project'], home);
  expect(badProject.code).toBe(2);
  expect(badProject.stderr).toMatch(/Parsing --project[\s\S]*"My_Project" is not a GCP project id/);
  // Nothing was started: no emulator record in this home.
  expect(readdirSync(home).filter((f) => f.startsWith('emulator'))).toEqual([]);
}, 60_000);

it('without Google credentials, or offline, commands that call GCP say what to fix at once (no stack trace, no crash, no silent retrying)', async () => {
  const init = await ruvector(['init', '--out', join(home, 'ruvector.yaml')], home);
  expect(init.code, init.stderr).toBe(0);
  // No ADC anywhere: an empty HOME and gcloud config, no key file, no metadata server lookup.
  const keep = { HTTPS_PROXY: process.env.HTTPS_PROXY, HOME: process.env.HOME, CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG, GOOGLE_APPLICATION_CREDENTIALS: process.env.GOOGLE_APPLICATION_CREDENTIALS, METADATA_SERVER_DETECTION: process.env.METADATA_SERVER_DETECTION };
  Object.assign(process.env, { HOME: home, CLOUDSDK_CONFIG: join(home, 'gcloud'), METADATA_SERVER_DETECTION: 'none' });
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  try {
    for (const args of [['plan'], ['quotas'], ['verify', '--samples', '0']]) {
      const r = await ruvector(args, home);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/^Error: no Google Cloud credentials for project [a-z0-9-]+: run `gcloud auth application-default login`/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // With a key but a proxy whose name does not resolve (or no network): a prompt error, not
    // ~15 minutes of silent retries. `.invalid` never resolves (RFC 2606).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = join(home, 'key.json');
    writeFileSync(key, JSON.stringify({ type: 'service_account', project_id: 'my-gcp-project', private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: 'ruvector@my-gcp-project.iam.gserviceaccount.com', client_id: '1' }));
    Object.assign(process.env, { GOOGLE_APPLICATION_CREDENTIALS: key, HTTPS_PROXY: 'http://proxy.invalid:3128' });
    const offline = await ruvector(['plan'], home);
    expect(offline.code, offline.stderr).toBe(1);
    expect(offline.stderr).toMatch(/^Error: ENOTFOUND: .*proxy\.invalid \(is this machine online\? check DNS and any proxy settings\)/);
  } finally {
    for (const [k, v] of Object.entries(keep)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}, 60_000);
