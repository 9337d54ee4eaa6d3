/**
 * Small files other processes poll (the emulator's record and its state-directory lock),
 * written so a reader sees the old content or the new, never half of it: a reader that met
 * a half-written file failed with "Unexpected end of JSON input".
 */
import { randomUUID } from 'node:crypto';
import { link, rename, rm, writeFile } from 'node:fs/promises';

// Unique per call: two writes at once in one process must not share a temporary file.
const tempFor = (path: string) => `${path}.${randomUUID()}.tmp`;

/** Replace `path` with `content` in one step (write a temporary file, then rename it over). */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = tempFor(path);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Create `path` with `content` only if it does not exist, in one step (a hard link of a
 * complete temporary file fails with EEXIST when `path` is there): false when it was.
 */
export async function createFileExclusive(path: string, content: string): Promise<boolean> {
  const temp = tempFor(path);
  try {
    await writeFile(temp, content);
    await link(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(temp, { force: true });
  }
}
