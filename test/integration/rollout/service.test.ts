/**
 * rollout and scale write Cloud Run services through the run.Service provider's update, the
 * call a deploy makes: a session whose provider records its updates sees every write, and the
 * emulator's service shows what was written. No data plane: only the control plane is asked.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import type { Registry } from '../../../src/engine/plan.js';
import type { Session } from '../../../src/engine/session.js';
import { registry } from '../../../src/providers/index.js';
import type { Provider } from '../../../src/providers/types.js';
import { readService } from '../../../src/rollout/service.js';
import { applyBurst, planScale, restore } from '../../../src/scale/index.js';
import { deployUntilOk, failures, Homes, sessionFor, startTestEmulator, templateSpec } from '../engine/helpers.js';

const US = 'projects/ruvector-local/locations/us-central1/services/ruvector-streaming';
let emu: RunningEmulator;
let session: Session;
const homes = new Homes();
const updates: { name: string; minInstanceCount: unknown; etag: unknown }[] = [];

/** The default registry, with run.Service's update recording what it was asked to send. */
function recordingRegistry(): Registry {
  const base = registry();
  const run = base.get('run.Service')!;
  const recording: Provider = {
    ...run,
    update: async (ctx, r, o, changes) => {
      const scaling = ((r.spec.template ?? {}) as { scaling?: { minInstanceCount?: unknown } }).scaling;
      updates.push({ name: r.name, minInstanceCount: scaling?.minInstanceCount, etag: o.raw.etag });
      return run.update(ctx, r, o, changes);
    },
  };
  return { get: (k) => (k === 'run.Service' ? recording : base.get(k)), all: () => base.all().map((p) => (p.kind === 'run.Service' ? recording : p)) };
}

beforeAll(async () => {
  emu = await startTestEmulator();
  const deployer = sessionFor(templateSpec('local'), emu, homes.make(), ['us-central1']);
  const { result } = await deployUntilOk(deployer);
  await deployer.close();
  if (!result.ok) throw new Error(`deploy failed: ${failures(result)}`);
  session = sessionFor(templateSpec('local'), emu, homes.make(), ['us-central1'], { registry: recordingRegistry() });
}, 120_000);

afterAll(async () => {
  await session?.close();
  await emu?.stop();
  homes.cleanup();
});

it('scale raises and restores the minimum through the provider, echoing the live etag', async () => {
  const min = async (): Promise<number> => Number((((await readService(session, US))!.raw.template as { scaling?: { minInstanceCount?: number } }).scaling?.minInstanceCount));
  const etagBefore = (await readService(session, US))!.raw.etag;
  const plan = planScale(session, { multiplier: 50, hours: 4, rates: 'list' });
  const raised = await applyBurst(session, plan, new Date(Date.now() + 3_600_000));
  expect(raised[0]!.outcome, raised[0]!.reason).toBe('raised');
  expect(await min()).toBe(2);
  expect(updates).toEqual([{ name: US, minInstanceCount: 2, etag: etagBefore }]);

  const restored = await restore(session, { force: true });
  expect(restored[0]!.outcome, restored[0]!.reason).toBe('restored');
  expect(await min()).toBe(1);
  expect(updates.map((u) => [u.name, u.minInstanceCount])).toEqual([[US, 2], [US, 1]]);
}, 120_000);
