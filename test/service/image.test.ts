import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerfile } from '../../scripts/image/dockerfile.js';
import { buildContext } from '../../scripts/image/context.js';
import { buildImage, BuildError } from '../../scripts/image/build.js';
import { checkImage } from '../../scripts/image/check.js';
import { freePort } from '../../src/emulator/dataplane/ports.js';
import { TestEnv } from './helpers.js';
import { startGcpFixture, type GcpFixture } from './gcp-fixture.js';

/**
 * service/Dockerfile built without Docker (scripts/image/, `npm run image:replay`): what only
 * a container runtime adds (the base image's OS packages and users) comes from this machine;
 * everything else — the build context, every COPY and RUN, the pruned node_modules, the CMD
 * as the image's user, the HEALTHCHECK — is the Dockerfile's own.
 */
const root = process.cwd();
const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), name));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the image replay refuses what docker build would', () => {
  /** A throwaway repository holding `files`. */
  function repo(files: Record<string, string>): string {
    const d = tempDir('ruvector-replay-repo-');
    for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
    execFileSync('git', ['init', '-q'], { cwd: d });
    return d;
  }
  const build = (d: string) => {
    const file = join(d, 'Dockerfile');
    return buildImage(parseDockerfile(readFileSync(file, 'utf8'), 'Dockerfile'), buildContext(d, file), { dir: join(d, 'out'), file: 'Dockerfile' });
  };

  it('a COPY of a file the .dockerignore leaves out, naming the line', async () => {
    const d = repo({ Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY a.txt ./\nCOPY b.txt ./\nCMD ["node"]\n', '.dockerignore': 'b.txt\n', 'a.txt': 'a', 'b.txt': 'b' });
    await expect(build(d)).rejects.toThrow(/^Dockerfile:4: COPY b\.txt: not in the build context \(\.dockerignore leaves it out\)/);
  });

  it('a RUN that fails, with its output; and one that would touch this machine', async () => {
    const d = repo({ Dockerfile: 'FROM node:20\nRUN echo building && false\nCMD ["node"]\n' });
    await expect(build(d)).rejects.toThrow(/Dockerfile:2: RUN echo building && false: exited with 1\n[\s\S]*building/);
    const e = repo({ Dockerfile: 'FROM node:20\nRUN rm -rf /usr/local/lib\nCMD ["node"]\n' });
    const err = await build(e).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as Error).message).toMatch(/^Dockerfile:2: RUN uses an absolute path/);
  });

  it('a RUN that mixes OS setup with build steps (it would skip the build steps unseen)', async () => {
    const d = repo({ Dockerfile: 'FROM node:20\nRUN apt-get update && npm ci\nCMD ["node"]\n' });
    await expect(build(d)).rejects.toThrow('Dockerfile:2: RUN mixes OS setup with build steps, which the replay cannot run apart: split it into two RUNs');
  });

  it('copies a stage\'s directory as its contents, a file into a directory or to a name', async () => {
    const d = repo({
      Dockerfile: 'FROM node:20 AS a\nWORKDIR /w\nCOPY x/ ./x/\nFROM node:20\nCOPY --from=a /w/x /into/\nCOPY --from=a /w/x/f.txt /files/\nCOPY --from=a /w/x/f.txt /renamed.txt\nCMD ["node"]\n',
    });
    execFileSync('mkdir', ['x'], { cwd: d });
    writeFileSync(join(d, 'x/f.txt'), 'f');
    const img = await build(d);
    for (const f of ['into/f.txt', 'files/f.txt', 'renamed.txt']) expect(readFileSync(join(img.final.root, f), 'utf8'), f).toBe('f');
  });

  it('instructions it cannot carry out, by name', () => {
    expect(() => parseDockerfile('FROM node:20\nADD https://example.com/x /x\nCMD ["node"]\n', 'Dockerfile')).toThrow('Dockerfile:2: ADD is not supported by the replay');
    expect(() => parseDockerfile('FROM node:20\n', 'Dockerfile')).toThrow(/no CMD/);
  });
});

describe('service/Dockerfile', () => {
  const env = new TestEnv();
  let g: GcpFixture;
  beforeAll(async () => {
    await env.setup();
    g = await startGcpFixture({ bucket: 'ruvector-vectors-image-check', subscription: 'image-check' });
  });
  afterAll(async () => {
    await env.teardown();
    await g?.stop();
  });

  it('builds from its context alone, keeps only the packages the service imports, and the result runs as its user, passes its HEALTHCHECK, writes, searches, publishes and drains', async () => {
    const file = join(root, 'service/Dockerfile');
    const ctx = buildContext(root, file);
    // The context is the service: no tests, no CLI, no secrets or local state.
    expect([...ctx.files].filter((f) => !f.startsWith('service/src/') && !f.startsWith('scripts/'))).toEqual(['package-lock.json', 'package.json', 'tsconfig.json']);
    const img = await buildImage(parseDockerfile(readFileSync(file, 'utf8'), 'service/Dockerfile'), ctx, { dir: tempDir('ruvector-image-'), file: 'service/Dockerfile' });
    expect(img.skipped.map((s) => s.command.split(' ')[0])).toEqual(['apt-get', 'groupadd']);

    const modules = join(img.final.root, img.final.workdir, 'node_modules');
    for (const pkg of ['hnswlib-node', 'pg', 'ioredis', 'fastify', '@google-cloud/storage', '@google-cloud/pubsub']) expect(existsSync(join(modules, pkg)), pkg).toBe(true);
    // The CLI's dependencies and the toolchain stay out of the image.
    for (const pkg of ['@google-cloud/compute', '@google-cloud/run', '@oclif/core', '@electric-sql/pglite', 'typescript', 'tsx', 'vitest']) expect(existsSync(join(modules, pkg)), pkg).toBe(false);
    if (process.arch === 'x64') expect(existsSync(join(modules, 'hnswlib-node/avx2/addon.node'))).toBe(true);

    const check = await checkImage(img, {
      ...env.env({ SEARCH_WORKERS: '2' }),
      PORT: String(await freePort()),
      REGION: 'us-central1',
      ...g.env,
    });
    expect(check.searchOk).toBe(true);
    expect(check.drain).toMatchObject({ code: 0, signal: null });
    expect(check.drain.ms).toBeLessThan(10_000);
    if (process.getuid?.() === 0) expect(check.runsAs).toBe('ruvector (uid 10001, gid 10001)');
    expect(check.logTail.join('\n')).not.toMatch(/"severity":"(ERROR|FATAL)"/);
    // Each of the check's 50 writes was published by the image's Pub/Sub client.
    expect(await g.pull(50)).toHaveLength(50);
  }, 300_000);
});
