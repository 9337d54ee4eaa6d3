/**
 * npm run image:replay [-- --dockerfile service/Dockerfile --keep --json]
 *
 * Builds the service image's file system from its Dockerfile without Docker (scripts/image/),
 * then runs it against this machine's Postgres and Redis as Cloud Run would: its CMD as its
 * USER, its HEALTHCHECK until it passes, a write and a search, SIGTERM. What only a container
 * runtime does (the base image's OS packages and users) is taken from this machine and listed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { parseDockerfile, DockerfileError } from './image/dockerfile.js';
import { buildContext } from './image/context.js';
import { buildImage, BuildError } from './image/build.js';
import { checkImage, treeBytes, ImageCheckError } from './image/check.js';
import { freePort } from '../src/emulator/dataplane/ports.js';

const { values: a } = parseArgs({
  options: {
    dockerfile: { type: 'string', default: 'service/Dockerfile' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const root = process.cwd();
const dockerfile = resolve(a.dockerfile!);
const file = relative(root, dockerfile);
const say = (msg: string) => {
  if (!a.json) console.error(msg);
};
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ruvector-image-'));
  const db = `ruvector_image_${randomBytes(4).toString('hex')}`;
  const prefix = `${db}:`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let created = false;
  try {
    const steps = parseDockerfile(readFileSync(dockerfile, 'utf8'), file);
    const ctx = buildContext(root, dockerfile);
    say(`context: ${ctx.files.size} files (${ctx.ignoreFile ?? 'no .dockerignore'})`);
    const t0 = performance.now();
    const img = await buildImage(steps, ctx, { dir, file, progress: (m) => say(`  ${m}`) });
    const buildSec = (performance.now() - t0) / 1000;
    const stages = img.stages.map((s) => ({ name: s.name, from: s.image, bytes: treeBytes(s.root) }));
    for (const s of stages) say(`stage ${s.name} (${s.from}): ${(s.bytes / 1e6).toFixed(1)} MB of files`);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    created = true;
    const pgUrl = new URL(PG_URL);
    const env: Record<string, string> = {
      PORT: String(await freePort()),
      DB_HOST: pgUrl.hostname,
      DB_PORT: pgUrl.port || '5432',
      DB_USER: decodeURIComponent(pgUrl.username || 'postgres'),
      ...(pgUrl.password ? { DB_PASSWORD: decodeURIComponent(pgUrl.password) } : {}),
      DB_NAME: db,
      REDIS_HOST: REDIS_URL.hostname,
      REDIS_PORT: REDIS_URL.port || '6379',
      REDIS_KEY_PREFIX: prefix,
      RUVECTOR_API_KEY: randomBytes(16).toString('hex'),
    };
    say(`running ${img.final.cmd.join(' ')} on port ${env.PORT}`);
    const check = await checkImage(img, env);
    const ok = check.searchOk && check.drain.code === 0;
    const report = { ok, dockerfile: file, context: ctx.files.size, buildSeconds: buildSec, stages, notRun: img.skipped, runsAs: check.runsAs, hnswlib: check.hnswlib, healthySeconds: check.healthyMs / 1000, searchOk: check.searchOk, drain: check.drain, ...(a.keep ? { dir } : {}) };
    if (a.json) console.log(JSON.stringify(report, null, 2));
    else {
      for (const s of img.skipped) say(`not run (OS setup, from this machine): ${file}:${s.line} ${s.command}`);
      say(`runs as ${check.runsAs}; hnswlib-node build ${check.hnswlib ?? 'unknown'}; HEALTHCHECK passed after ${(check.healthyMs / 1000).toFixed(1)} s`);
      say(`write + search: ${check.searchOk ? 'ok' : 'FAILED (the nearest neighbour of a stored vector was not itself)'}`);
      say(`SIGTERM: ${check.drain.code !== null ? `exit ${check.drain.code}` : check.drain.signal} after ${check.drain.ms.toFixed(0)} ms`);
      say(`${ok ? 'PASS' : 'FAIL'}: ${file} built in ${buildSec.toFixed(0)} s${a.keep ? `; kept in ${dir}` : ''}`);
    }
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof DockerfileError || e instanceof BuildError || e instanceof ImageCheckError) {
      if (a.json) console.log(JSON.stringify({ ok: false, dockerfile: file, error: e.message }, null, 2));
      else console.error(`FAIL: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    if (!a.keep) rmSync(dir, { recursive: true, force: true });
    if (created) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end().catch(() => undefined);
    const r = new Redis({ host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379), lazyConnect: true });
    await r.connect().then(async () => {
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
    }, () => undefined);
    r.disconnect();
  }
}

process.exitCode = await main();
