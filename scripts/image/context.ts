/**
 * The build context `docker build` would send: the repository's files (tracked, and untracked
 * ones git does not ignore) less what the Dockerfile's .dockerignore excludes. BuildKit reads
 * <Dockerfile>.dockerignore beside the Dockerfile before the root's .dockerignore.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';

// A CommonJS module whose types declare an ES default export: require() gives the function.
const ignore = createRequire(import.meta.url)('@balena/dockerignore') as () => Ignore;

export interface BuildContext {
  root: string;
  /** Paths relative to root, '/'-separated. */
  files: Set<string>;
  /** The ignore file applied, relative to root. */
  ignoreFile?: string;
  /** Whether the ignore file leaves this path out (for saying why a COPY found nothing). */
  excluded(path: string): boolean;
}

export function buildContext(root: string, dockerfile: string): BuildContext {
  const candidates = [`${dockerfile}.dockerignore`, join(root, '.dockerignore')];
  const ignoreFile = candidates.find((f) => existsSync(f));
  const ig = ignore();
  if (ignoreFile) ig.add(readFileSync(ignoreFile, 'utf8'));
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter((f) => f && existsSync(join(root, f)));
  return {
    root,
    files: new Set(ig.filter(listed)),
    ...(ignoreFile ? { ignoreFile: relative(root, ignoreFile) } : {}),
    excluded: (path) => ig.ignores(path),
  };
}
