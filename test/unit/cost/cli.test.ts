import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/spec/paths.js';
import { startCatalog } from './catalog-server.js';

/** `ruvector cost-estimate` as a user runs it: the built CLI in a child process. */
const root = packageRoot();
const run = promisify(execFile);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [join(root, 'bin', 'run.js'), 'cost-estimate', ...args], { cwd: root, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  // `npm run build` (CI builds on install); build here only when the command is not built yet.
  if (!existsSync(join(root, 'dist', 'commands', 'cost-estimate.js'))) {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
    } catch {
      // tsc exits non-zero on type errors anywhere but still emits; the tests below tell.
    }
  }
}, 300_000);

describe('ruvector cost-estimate', () => {
  it('reproduces the seed with --rates seed', async () => {
    const r = await cli(['-f', 'templates/production.yaml', '--rates', 'seed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Total\s+\$4,026,500$/m);
    expect(r.stdout).toContain('per concurrent stream: $0.00805');
    expect(r.stdout).toContain('per million requests: $4.84');
    expect(r.stdout).toContain('$1,261,440, not the stated $1,263,000');
    expect(r.stdout).toContain('$75,686, not the stated $76,000');
    expect(r.stdout).toContain('SHORT by 100x');
  });

  it('prints JSON with every line', async () => {
    const r = await cli(['-f', 'templates/production.yaml', '--rates', 'seed', '--scenario', 'optimized', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { estimate: { total: number; items: { quantity: number; unit: string; rate: number; source: string; amount: number }[] } };
    expect(report.estimate.total).toBeCloseTo(2_752_000, 6);
    for (const i of report.estimate.items) expect(Object.keys(i)).toEqual(expect.arrayContaining(['quantity', 'unit', 'rate', 'source', 'amount']));
  });

  it('prints Markdown with a vs-seed column at list prices, and the difference to another spec', async () => {
    const md = await cli(['-f', 'templates/production.yaml', '--compare', 'templates/regional.yaml', '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^### Cost estimate: ruvector-prod — baseline, list rates/);
    expect(md.stdout).toContain('| vs seed | Why |');
    expect(md.stdout).toContain('#### Compared with templates/regional.yaml');
    expect(md.stdout).toMatch(/^\| Cloud CDN \| \$1,828,096 \| \$775 \| \+\$1,827,321 \|$/m);
  });

  it('names the field of bad input, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ruvector-cost-cli-'));
    const spec = join(dir, 'bad.yaml');
    writeFileSync(spec, readFileSync(join(root, 'templates', 'local.yaml'), 'utf8').replace('storageGb: 1', 'storageGb: -1'));
    const r = await cli(['-f', spec]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+\s+usage\.storageGb/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  describe('--refresh-prices', () => {
    let catalog: Awaited<ReturnType<typeof startCatalog>>;
    beforeAll(async () => {
      catalog = await startCatalog('cli-key');
    });
    afterAll(() => catalog.close());

    it('rebuilds the list table from the catalog', async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'ruvector-cost-cli-')), 'list.json');
      const r = await cli(['--refresh-prices', '--out', out], { RUVECTOR_BILLING_ENDPOINT: catalog.endpoint, RUVECTOR_BILLING_API_KEY: 'cli-key' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Refreshed \d+ entries/);
      expect(r.stdout).toContain('redis.STANDARD_HA.M5');
      expect(JSON.parse(readFileSync(out, 'utf8')).entries['redis.STANDARD_HA.M5'].rate).toBe(0.031);
    });
  });
});
