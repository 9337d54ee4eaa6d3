/**
 * Live progress of an apply. On a terminal: listr2 with regions as groups and resources as
 * tasks (elapsed time, retry counts). Elsewhere: one plain line per event. With --json: one
 * JSON object per line (NDJSON), so scripts can follow along.
 */
import { Listr, type ListrTask } from 'listr2';
import type { ApplyEvent } from '../engine/apply.js';
import type { PlanItem } from '../engine/types.js';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'silent';

export interface Progress {
  onEvent(e: ApplyEvent): void;
  /** Resolves once the renderer has drawn the final state. */
  finish(): Promise<void>;
}

const short = (name: string): string => name.replace(/^projects\/[^/]+\//, '');

export function chooseMode(o: { json: boolean; isTTY: boolean }): ProgressMode {
  if (o.json) return 'json';
  return o.isTTY && !process.env.CI ? 'tty' : 'plain';
}

export function createProgress(items: PlanItem[], mode: ProgressMode, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Progress {
  const t0 = Date.now();
  if (mode === 'silent') return { onEvent: () => undefined, finish: async () => undefined };
  if (mode === 'json') {
    return {
      onEvent: (e) => write(JSON.stringify({ event: e.type, at: new Date().toISOString(), ...e })),
      finish: async () => undefined,
    };
  }
  if (mode === 'plain') {
    const stamp = (): string => `[+${((Date.now() - t0) / 1000).toFixed(1)}s]`;
    return {
      onEvent: (e) => {
        const where = (e.region ?? 'global').padEnd(24);
        const head = `${stamp()} ${where} ${e.action.padEnd(7)} ${e.kind} ${short(e.name)}`;
        if (e.type === 'start') write(`${head} ...`);
        if (e.type === 'retry') write(`${head} retry ${e.attempt} in ${e.delayMs}ms (${e.reason})`);
        if (e.type === 'wait') write(`${head} waiting for ${e.what}`);
        if (e.type === 'done') write(`${head} done in ${(e.ms / 1000).toFixed(1)}s${e.retries ? `, ${e.retries} retries` : ''}`);
        if (e.type === 'failed') write(`${head} FAILED after ${(e.ms / 1000).toFixed(1)}s: ${e.error}`);
        if (e.type === 'skipped') write(`${head} skipped (${short(e.blockedBy)} failed)`);
      },
      finish: async () => undefined,
    };
  }
  return listrProgress(items);
}

interface Slot {
  settled?: boolean;
  settle: (outcome: { ok: true } | { ok: false; error: string } | { skip: string }) => void;
  wait: Promise<{ ok: true } | { ok: false; error: string } | { skip: string }>;
  started?: number;
  retries: number;
  update?: (title: string) => void;
}

function listrProgress(items: PlanItem[]): Progress {
  const work = items.filter((i) => (i.action !== 'noop' || i.waitReady) && !i.blocked && !i.deferred && !i.kept);
  const slots = new Map<string, Slot>();
  for (const i of work) {
    let settle!: Slot['settle'];
    const wait = new Promise<Parameters<Slot['settle']>[0]>((r) => (settle = r));
    const slot: Slot = { settle: (o) => { slot.settled = true; settle(o); }, wait, retries: 0 };
    slots.set(i.name, slot);
  }
  const regions = new Map<string, PlanItem[]>();
  for (const i of work) regions.set(i.region ?? 'global', [...(regions.get(i.region ?? 'global') ?? []), i]);
  const title = (i: PlanItem, s: Slot, extra = ''): string => {
    const elapsed = s.started ? ` ${((Date.now() - s.started) / 1000).toFixed(1)}s` : '';
    return `${i.action} ${i.kind} ${short(i.name)}${elapsed}${s.retries ? ` (${s.retries} retries)` : ''}${extra}`;
  };
  const tasks: ListrTask[] = [...regions].map(([region, list]) => ({
    title: `${region} (${list.length})`,
    task: (_ctx, group) =>
      group.newListr(
        list.map((i) => ({
          title: `${i.action} ${i.kind} ${short(i.name)}`,
          task: async (_c, t) => {
            const s = slots.get(i.name)!;
            s.update = (text) => (t.title = text);
            const out = await s.wait;
            if ('skip' in out) return t.skip(`${short(i.name)} skipped: ${short(out.skip)} failed`);
            t.title = title(i, s);
            if (!out.ok) throw new Error(`${title(i, s)}: ${out.error}`);
          },
        })),
        { concurrent: true, exitOnError: false },
      ),
  }));
  const list = new Listr(tasks, { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: true } });
  const running = list.run().catch(() => undefined);
  const byName = new Map(work.map((i) => [i.name, i]));
  return {
    onEvent: (e) => {
      const s = slots.get(e.name);
      const i = byName.get(e.name);
      if (!s || !i) return;
      if (e.type === 'start') {
        s.started = Date.now();
        s.update?.(title(i, s, ' ...'));
      }
      if (e.type === 'wait') s.update?.(title(i, s, ` waiting for ${e.what}`));
      if (e.type === 'retry') {
        s.retries = e.attempt;
        s.update?.(title(i, s, ` retrying (${e.reason})`));
      }
      if (e.type === 'done') s.settle({ ok: true });
      if (e.type === 'failed') s.settle({ ok: false, error: e.error });
      if (e.type === 'skipped') s.settle({ skip: e.blockedBy });
    },
    finish: async () => {
      for (const s of slots.values()) if (!s.settled) s.settle({ skip: '(not run)' });
      await running;
    },
  };
}
