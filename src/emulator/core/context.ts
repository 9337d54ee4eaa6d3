import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from './events.js';
import { OperationBook } from './operations.js';
import { createPrng, projectNumber } from './prng.js';
import { QuotaBook, type QuotaMode } from './quotas.js';
import { FileStore } from './store.js';
import type { DataPlane, EmulatorContext } from './types.js';

export interface CoreOptions {
  stateDir?: string;
  latencyScale: number;
  seed: number;
  quotas: QuotaMode;
  consistencyDelayMs: number;
  dataPlane?: DataPlane;
}

/** The context plus the handles the server needs to load, reset and stop it. */
export interface Core {
  ctx: EmulatorContext;
  store: FileStore;
  ops: OperationBook;
  quotas: QuotaBook;
  events: EventBus;
  setBaseUrl(url: string): void;
  /** Forget the world (store, operations, usage) and restart the seeded streams. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  let random = createPrng(opts.seed);
  // Consistency draws get their own stream so module calls to ctx.random() do not shift them.
  let consistencyRandom = createPrng(opts.seed ^ 0x2545f491);
  const store = new FileStore({
    stateDir: opts.stateDir,
    consistencyDelayMs: opts.consistencyDelayMs,
    random: () => consistencyRandom(),
  });
  await store.load();
  // A restarted emulator must not replay the ids it generated before (operation names,
  // uids): each boot of the same state dir draws from its own, still seeded, stream.
  const meta = store.collection<{ boots: number }>('__meta');
  let boots = 0;
  const nextBoot = () => {
    boots += 1;
    const mix = boots > 1 ? Math.imul(boots, 0x9e3779b1) : 0;
    random = createPrng((opts.seed + mix) >>> 0);
    consistencyRandom = createPrng(((opts.seed ^ 0x2545f491) + mix) >>> 0);
    if (opts.stateDir) meta.put('boots', { boots });
  };
  boots = meta.peek('boots')?.boots ?? 0;
  nextBoot();

  let dataDir: string;
  let tempDataDir = false;
  if (opts.stateDir) {
    dataDir = join(opts.stateDir, 'data');
    await mkdir(dataDir, { recursive: true });
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'ruvector-emulator-'));
    tempDataDir = true;
  }

  let baseUrl = 'http://127.0.0.1:0';
  const latency = { scale: opts.latencyScale };
  const ops = new OperationBook(store, () => latency.scale, () => new Date());
  const quotas = new QuotaBook(store, opts.quotas);
  const events = new EventBus();

  const ctx: EmulatorContext = {
    store,
    ops,
    quotas,
    events,
    random: () => random(),
    now: () => new Date(),
    baseUrl: () => baseUrl,
    projectNumber,
    dataDir,
    get latencyScale() {
      return latency.scale;
    },
    set latencyScale(v: number) {
      latency.scale = v;
    },
    dataPlane: opts.dataPlane,
  };

  return {
    ctx,
    store,
    ops,
    quotas,
    events,
    setBaseUrl(url) {
      baseUrl = url;
    },
    async reset() {
      ops.clear();
      store.clear();
      // A reset world is new, but a later restart must still not replay its ids.
      nextBoot();
      await store.flush();
    },
    async close() {
      ops.stop();
      await ops.settle();
      await store.flush();
      if (tempDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
