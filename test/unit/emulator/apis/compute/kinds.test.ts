import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPUTE_KINDS } from '../../../../../src/emulator/apis/compute/kinds.js';
import type { KindDef } from '../../../../../src/emulator/apis/compute/shared/resource.js';

const dir = fileURLToPath(new URL('../../../../../src/emulator/apis/compute', import.meta.url));
const isKind = (v: unknown): v is KindDef => !!v && typeof v === 'object' && typeof (v as KindDef).plural === 'string' && typeof (v as KindDef).build === 'function';

describe('the Compute kind registry', () => {
  it('lists every kind a compute module defines, once', async () => {
    const defined: { file: string; name: string; def: KindDef }[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(join(dir, file))) as Record<string, unknown>;
      for (const [name, v] of Object.entries(mod)) if (isKind(v)) defined.push({ file, name, def: v });
    }
    expect(defined.length).toBeGreaterThanOrEqual(16);
    // A kind defined but not listed would be invisible to in-use checks and aggregatedList.
    const missing = defined.filter((d) => !COMPUTE_KINDS.includes(d.def)).map((d) => `${d.file}:${d.name}`);
    expect(missing).toEqual([]);
    expect(new Set(COMPUTE_KINDS).size).toBe(COMPUTE_KINDS.length);
    expect(new Set(COMPUTE_KINDS.map((k) => `${k.scope}/${k.plural}`)).size).toBe(COMPUTE_KINDS.length);
  });
});
