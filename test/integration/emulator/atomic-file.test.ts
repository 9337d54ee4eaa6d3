/**
 * The record and lock files other processes poll are never seen half-written: the CLI's
 * `emulator start` once failed with "Unexpected end of JSON input" reading the daemon's file
 * mid-write. A reader polls while a writer rewrites the file; plain writeFile is the control
 * that shows the reader does catch torn content.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createFileExclusive, writeFileAtomic } from '../../../src/emulator/atomic-file.js';

const dir = mkdtempSync(join(tmpdir(), 'rv-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tornReads(write: (path: string, content: string) => Promise<void>, file: string): Promise<{ torn: number; reads: number }> {
  const payload = (i: number) => JSON.stringify({ pid: i, pad: 'x'.repeat(256 * 1024) });
  await write(file, payload(0));
  let done = false;
  let torn = 0;
  let reads = 0;
  const reader = (async () => {
    while (!done) {
      const text = await readFile(file, 'utf8').catch(() => '');
      reads++;
      try {
        JSON.parse(text);
      } catch {
        torn++;
      }
    }
  })();
  for (let i = 1; i <= 150; i++) await write(file, payload(i));
  done = true;
  await reader;
  return { torn, reads };
}

it('a polling reader never sees a record half-written (plain writeFile, the control, is seen torn)', async () => {
  const control = await tornReads((p, c) => writeFile(p, c), join(dir, 'plain.json'));
  expect(control.torn).toBeGreaterThan(0);
  const atomic = await tornReads(writeFileAtomic, join(dir, 'atomic.json'));
  expect(atomic.reads).toBeGreaterThan(10);
  expect(atomic.torn).toBe(0);
}, 60_000);

it('of many concurrent claims on one lock exactly one wins, and its content is whole', async () => {
  const lock = join(dir, 'emulator.lock');
  const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => createFileExclusive(lock, JSON.stringify({ pid: i }))));
  expect(wins.filter(Boolean)).toHaveLength(1);
  expect(JSON.parse(await readFile(lock, 'utf8'))).toEqual({ pid: wins.indexOf(true) });
});
