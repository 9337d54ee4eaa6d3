/** How to start the vector service: the built entry (npm run build) when present, else its TypeScript source through tsx. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServiceEntry {
  command: string;
  args: string[];
  cwd: string;
  /** Human description for the status page and logs. */
  describe: string;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'service'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the ruvector checkout (package.json next to service/) above the emulator');
}

/** RUVECTOR_SERVICE_ENTRY overrides (a .js file run with node). */
export function serviceEntry(memoryMiB: number): ServiceEntry {
  const heap = `--max-old-space-size=${Math.max(128, Math.min(Math.floor(memoryMiB * 0.75), 384))}`;
  const override = process.env.RUVECTOR_SERVICE_ENTRY;
  const root = repoRoot();
  if (override) return { command: process.execPath, args: [heap, override], cwd: root, describe: override };
  const built = join(root, 'dist/service/src/main.js');
  if (existsSync(built)) return { command: process.execPath, args: [heap, built], cwd: root, describe: built };
  const source = join(root, 'service/src/main.ts');
  return { command: process.execPath, args: [heap, '--import', 'tsx', source], cwd: root, describe: `${source} (via tsx; run npm run build for a faster start)` };
}
