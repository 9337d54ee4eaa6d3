import { mkdir, readFile, rename, rm, writeFile, appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorContext } from '../../core/types.js';

/**
 * Object bytes live on disk under the emulator's data dir, one file per generation
 * (generations are unique per bucket), so a restarted emulator serves what it stored.
 */
function blobDir(ctx: EmulatorContext, bucket: string): string {
  return join(ctx.dataDir, 'storage', 'blobs', bucket);
}

export function blobPath(ctx: EmulatorContext, bucket: string, generation: string): string {
  return join(blobDir(ctx, bucket), generation);
}

export async function writeBlob(ctx: EmulatorContext, bucket: string, generation: string, data: Buffer): Promise<void> {
  await mkdir(blobDir(ctx, bucket), { recursive: true });
  await writeFile(blobPath(ctx, bucket, generation), data);
}

/** Moves a finished upload's spool file into place without copying it. */
export async function adoptBlob(ctx: EmulatorContext, bucket: string, generation: string, from: string): Promise<void> {
  await mkdir(blobDir(ctx, bucket), { recursive: true });
  await rename(from, blobPath(ctx, bucket, generation));
}

export async function readBlob(ctx: EmulatorContext, bucket: string, generation: string): Promise<Buffer> {
  return readFile(blobPath(ctx, bucket, generation));
}

export async function deleteBlob(ctx: EmulatorContext, bucket: string, generation: string): Promise<void> {
  await rm(blobPath(ctx, bucket, generation), { force: true });
}

export async function removeBucketBlobs(ctx: EmulatorContext, bucket: string): Promise<void> {
  await rm(blobDir(ctx, bucket), { recursive: true, force: true });
}

/** Resumable upload spool files. */
export function spoolPath(ctx: EmulatorContext, uploadId: string): string {
  return join(ctx.dataDir, 'storage', 'uploads', uploadId);
}

export async function appendSpool(ctx: EmulatorContext, uploadId: string, data: Buffer): Promise<number> {
  const p = spoolPath(ctx, uploadId);
  await mkdir(join(ctx.dataDir, 'storage', 'uploads'), { recursive: true });
  await appendFile(p, data);
  return (await stat(p)).size;
}

export async function spoolSize(ctx: EmulatorContext, uploadId: string): Promise<number> {
  try {
    return (await stat(spoolPath(ctx, uploadId))).size;
  } catch {
    return 0;
  }
}

export async function removeSpool(ctx: EmulatorContext, uploadId: string): Promise<void> {
  await rm(spoolPath(ctx, uploadId), { force: true });
}
