/**
 * Builds an image's file system the way `docker build` would, without Docker: each stage is a
 * directory standing for its root, COPY takes from the build context (as .dockerignore leaves
 * it) or from an earlier stage, RUN runs with the stage's working directory and environment.
 * What the base image's OS provides is taken from this machine: RUN steps that only install OS
 * packages or add OS users are recorded, not run (the replay is not root in a container).
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, createWriteStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import type { BuildContext } from './context.js';
import type { Step } from './dockerfile.js';

export class BuildError extends Error {}

export interface Stage {
  name: string;
  image: string;
  /** The directory standing for the stage's /. */
  root: string;
  /** Absolute inside the image. */
  workdir: string;
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  healthcheck?: string[];
}

export interface OsUser {
  uid: number;
  gid: number;
}

export interface BuiltImage {
  stages: Stage[];
  /** The last stage: what the image holds and runs. */
  final: Stage & { cmd: string[] };
  /** Users and groups the skipped OS steps would have added, by name. */
  users: Map<string, OsUser>;
  /** Every RUN step not run, with its line. */
  skipped: { line: number; command: string }[];
}

export interface BuildOptions {
  /** Where the stage directories go (empty or new). */
  dir: string;
  /** Shown for each step; RUN output goes to `${dir}/build.log`. */
  progress?: (msg: string) => void;
  /** The Dockerfile's name in messages. */
  file: string;
}

const OS_SETUP = /^\s*(apt-get|apt|apk|yum|dnf|microdnf|groupadd|useradd|addgroup|adduser)\b/;
/** The package managers' cache clean-up that follows an install in the same RUN. */
const OS_CLEANUP = /^\s*rm -rf \/var\/(lib\/apt\/lists|cache\/(apk|apt|dnf|yum))\/?\*?\s*$/;

/** Whether a RUN only sets up the OS; one that mixes OS setup with build steps is refused, so no step is skipped unseen. */
function osSetup(command: string, where: string): boolean {
  const parts = command.split('&&');
  const os = parts.map((p) => OS_SETUP.test(p) || OS_CLEANUP.test(p));
  if (!os[0]) return false;
  if (os.every(Boolean)) return true;
  throw new BuildError(`${where}: RUN mixes OS setup with build steps, which the replay cannot run apart: split it into two RUNs`);
}

/** groupadd/useradd with numeric ids, as service/Dockerfile writes them. */
function recordOsUsers(command: string, users: Map<string, OsUser>, groups: Map<string, number>): void {
  for (const part of command.split('&&')) {
    const words = part.trim().split(/\s+/);
    const opt = (name: string) => {
      const i = words.indexOf(name);
      return i >= 0 ? words[i + 1] : undefined;
    };
    const name = words.at(-1)!;
    if (words[0] === 'groupadd' && opt('--gid')) groups.set(name, Number(opt('--gid')));
    if (words[0] === 'useradd' && opt('--uid')) {
      const g = opt('--gid');
      const gid = g === undefined ? Number(opt('--uid')) : /^\d+$/.test(g) ? Number(g) : groups.get(g);
      if (gid === undefined) throw new BuildError(`useradd ${name}: group ${g} was not added first`);
      users.set(name, { uid: Number(opt('--uid')), gid });
    }
  }
}

/**
 * What a RUN sees of this machine besides the stage's ENV: where its tools are and how it
 * reaches the registry, nothing of the shell or test runner that started the replay.
 */
const HOST_ENV = ['PATH', 'HOME', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'npm_config_registry', 'npm_config_cache'];
const hostEnv = () => Object.fromEntries(HOST_ENV.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));

function run(command: string, cwd: string, env: Record<string, string>, log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(log, { flags: 'a' });
    out.write(`\n$ ${command}\n`);
    const p = spawn('/bin/sh', ['-c', command], { cwd, env: { ...hostEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.pipe(out, { end: false });
    p.stderr.pipe(out, { end: false });
    p.on('error', reject);
    p.on('close', (code) => {
      out.end(() => (code === 0 ? resolve() : reject(new BuildError(`exited with ${code}`))));
    });
  });
}

function tail(file: string, lines: number): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
}

function chownTree(path: string, who: OsUser): void {
  chownSync(path, who.uid, who.gid);
  if (lstatSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), who);
}

export async function buildImage(steps: Step[], ctx: BuildContext, o: BuildOptions): Promise<BuiltImage> {
  const stages: Stage[] = [];
  const users = new Map<string, OsUser>();
  const groups = new Map<string, number>();
  const skipped: BuiltImage['skipped'] = [];
  const log = join(o.dir, 'build.log');
  mkdirSync(o.dir, { recursive: true });
  // The image's user must reach its files, as in a container where / is world-traversable.
  chmodSync(o.dir, 0o755);
  const say = o.progress ?? (() => undefined);
  const inImage = (s: Stage, p: string) => join(s.root, posix.resolve(s.workdir, p));

  for (const step of steps) {
    const where = `${o.file}:${step.line}`;
    const stage = stages.at(-1);
    if (step.kind === 'from') {
      const root = join(o.dir, `stage-${stages.length}`);
      mkdirSync(root);
      chmodSync(root, 0o755);
      const base = stages.find((s) => s.name === step.image);
      stages.push(base ? { ...base, name: step.stage ?? String(stages.length), image: step.image, root, env: { ...base.env } } : { name: step.stage ?? String(stages.length), image: step.image, root, workdir: '/', env: {} });
      if (base) cpSync(base.root, root, { recursive: true, verbatimSymlinks: true });
      say(`FROM ${step.image}${step.stage ? ` AS ${step.stage}` : ''}`);
      continue;
    }
    if (!stage) throw new BuildError(`${where}: ${step.kind.toUpperCase()} before FROM`);
    switch (step.kind) {
      case 'workdir':
        stage.workdir = posix.resolve(stage.workdir, step.path);
        mkdirSync(join(stage.root, stage.workdir), { recursive: true });
        break;
      case 'env':
        Object.assign(stage.env, step.vars);
        break;
      case 'user':
        stage.user = step.user;
        break;
      case 'healthcheck':
        stage.healthcheck = step.command;
        break;
      case 'cmd':
        stage.cmd = step.command;
        break;
      case 'copy': {
        const dest = inImage(stage, step.dest);
        const intoDir = step.dest.endsWith('/') || step.sources.length > 1;
        const copied: string[] = [];
        for (const src of step.sources) {
          if (step.from !== undefined) {
            const from = stages.find((s) => s.name === step.from);
            if (!from) throw new BuildError(`${where}: COPY --from=${step.from}: no earlier stage has that name`);
            const path = join(from.root, posix.resolve('/', src));
            if (!existsSync(path)) throw new BuildError(`${where}: COPY --from=${step.from} ${src}: stage ${step.from} has no such path`);
            // A directory's contents go into dest, as from the context; a file goes into dest/ or becomes dest.
            const isDir = statSync(path).isDirectory();
            const to = !isDir && intoDir ? join(dest, basename(path)) : dest;
            mkdirSync(isDir ? to : dirname(to), { recursive: true });
            cpSync(path, to, { recursive: true, verbatimSymlinks: true });
            copied.push(to);
            continue;
          }
          const rel = posix.normalize(src).replace(/^(\.\/)+/, '').replace(/\/$/, '');
          const under = rel === '.' ? [...ctx.files] : [...ctx.files].filter((f) => f.startsWith(`${rel}/`));
          if (ctx.files.has(rel)) {
            const to = intoDir ? join(dest, basename(rel)) : dest;
            mkdirSync(dirname(to), { recursive: true });
            cpSync(join(ctx.root, rel), to);
            copied.push(to);
          } else if (under.length > 0) {
            // A directory source copies its contents, as Docker does.
            for (const f of under) {
              const to = join(dest, rel === '.' ? f : f.slice(rel.length + 1));
              mkdirSync(dirname(to), { recursive: true });
              cpSync(join(ctx.root, f), to);
            }
            copied.push(dest);
          } else if (existsSync(join(ctx.root, rel))) {
            throw new BuildError(`${where}: COPY ${src}: not in the build context (${ctx.ignoreFile ?? 'the ignore rules'} leave${ctx.ignoreFile ? 's' : ''} it out)`);
          } else {
            throw new BuildError(`${where}: COPY ${src}: no such file in the repository`);
          }
        }
        if (step.chown !== undefined) {
          const [u, g] = step.chown.split(':');
          const who = users.get(u!) ?? (/^\d+$/.test(u!) ? { uid: Number(u), gid: Number(g ?? u) } : undefined);
          if (!who) throw new BuildError(`${where}: COPY --chown=${step.chown}: no such user was added`);
          if (g !== undefined && !/^\d+$/.test(g) && !groups.has(g)) throw new BuildError(`${where}: COPY --chown=${step.chown}: no such group was added`);
          // Only root can give files away; as another user the copies stay ours (and readable).
          if (process.getuid?.() === 0) for (const p of copied) chownTree(p, who);
        }
        say(`COPY ${step.from !== undefined ? `--from=${step.from} ` : ''}${step.sources.join(' ')} ${step.dest}`);
        break;
      }
      case 'run': {
        const oneLine = step.command.replace(/\s+/g, ' ').trim();
        if (osSetup(step.command, where)) {
          recordOsUsers(step.command, users, groups);
          skipped.push({ line: step.line, command: oneLine });
          say(`RUN (OS setup, not run here) ${oneLine}`);
          break;
        }
        // A path outside the stage would be this machine's, not the image's.
        if (/(^|[\s=;&|])\/(?!dev\/null)/.test(step.command)) throw new BuildError(`${where}: RUN uses an absolute path, which the replay cannot map into the image: ${oneLine}`);
        say(`RUN ${oneLine}`);
        try {
          await run(step.command, join(stage.root, stage.workdir), stage.env, log);
        } catch (e) {
          throw new BuildError(`${where}: RUN ${oneLine}: ${(e as Error).message}\n${tail(log, 30)}`);
        }
        break;
      }
    }
  }
  const final = stages.at(-1);
  if (!final?.cmd) throw new BuildError(`${o.file}: the last stage has no CMD`);
  return { stages, final: { ...final, cmd: final.cmd }, users, skipped };
}
