import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { serviceWriteKey } from '../../../src/verify/write-key.js';
import { Homes, sessionFor, startTestEmulator, templateSpec } from '../engine/helpers.js';

let emu: RunningEmulator;
const homes = new Homes();

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.stop();
  homes.cleanup();
});

describe('verify finds the service write key', () => {
  it('prefers --api-key, else reads the secret the spec wires to RUVECTOR_API_KEY, else has none', async () => {
    const spec = templateSpec('local');
    const s = sessionFor(spec, emu, homes.make());
    try {
      expect(await serviceWriteKey(s, 'given')).toBe('given');
      // Not deployed yet: no secret, no key (the latency check then says how to pass one).
      expect(await serviceWriteKey(s)).toBeUndefined();
      const parent = `projects/${spec.project}`;
      await s.clients.secrets.createSecret({ parent, secretId: 'ruvector-api-key', secret: { replication: { automatic: {} } } });
      await s.clients.secrets.addSecretVersion({ parent: `${parent}/secrets/ruvector-api-key`, payload: { data: Buffer.from('k-123') } });
      expect(await serviceWriteKey(s)).toBe('k-123');
    } finally {
      await s.close();
    }
  });
});
