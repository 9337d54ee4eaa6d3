import { describe, expect, it } from 'vitest';
import { CycleError, criticalPath, runDag, topoOrder, type DagTask } from '../../../src/engine/dag.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

function task(id: string, deps: string[], log: string[], opts: { bucket?: string; fail?: boolean; weight?: number } = {}): DagTask {
  return {
    id,
    deps,
    bucket: opts.bucket ?? 'b',
    weight: opts.weight,
    run: async () => {
      log.push(`start ${id}`);
      await tick();
      log.push(`end ${id}`);
      if (opts.fail) throw new Error(`${id} broke`);
    },
  };
}

describe('runDag', () => {
  it('runs every task after its dependencies', async () => {
    const log: string[] = [];
    const tasks = [task('net', [], log), task('subnet', ['net'], log), task('conn', ['subnet'], log), task('fw', ['net'], log)];
    const out = await runDag(tasks, { perBucket: 10 });
    expect([...out.values()].every((o) => o.status === 'done')).toBe(true);
    for (const [a, b] of [['net', 'subnet'], ['subnet', 'conn'], ['net', 'fw']]) {
      expect(log.indexOf(`end ${a}`)).toBeLessThan(log.indexOf(`start ${b}`));
    }
  });

  it('isolates a failure to its dependents', async () => {
    const log: string[] = [];
    const tasks = [
      task('a', [], log, { fail: true }),
      task('a1', ['a'], log),
      task('a2', ['a1'], log),
      task('b', [], log),
      task('b1', ['b'], log),
    ];
    const out = await runDag(tasks, { perBucket: 10 });
    expect(out.get('a')!.status).toBe('failed');
    expect(out.get('a1')).toMatchObject({ status: 'skipped', blockedBy: 'a' });
    expect(out.get('a2')).toMatchObject({ status: 'skipped', blockedBy: 'a' }); // names the root failure
    expect(out.get('b1')!.status).toBe('done');
    expect(log).not.toContain('start a1');
  });

  it('bounds concurrency per bucket and overall', async () => {
    let running = 0;
    let peak = 0;
    const perBucketPeak = new Map<string, number>();
    const active = new Map<string, number>();
    const tasks: DagTask[] = Array.from({ length: 30 }, (_, i) => {
      const bucket = `api/r${i % 3}`;
      return {
        id: `t${i}`,
        deps: [],
        bucket,
        run: async () => {
          running++;
          active.set(bucket, (active.get(bucket) ?? 0) + 1);
          peak = Math.max(peak, running);
          perBucketPeak.set(bucket, Math.max(perBucketPeak.get(bucket) ?? 0, active.get(bucket)!));
          await tick(2);
          active.set(bucket, active.get(bucket)! - 1);
          running--;
        },
      };
    });
    await runDag(tasks, { perBucket: 2, maxConcurrent: 5 });
    expect(Math.max(...perBucketPeak.values())).toBe(2);
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThan(2); // buckets really run side by side
  });

  it('starts the longest remaining path first when a bucket is full', async () => {
    const log: string[] = [];
    const tasks = [task('short', [], log, { weight: 1 }), task('long', [], log, { weight: 1 }), task('long2', ['long'], log, { weight: 10 })];
    await runDag(tasks, { perBucket: 1 });
    expect(log[0]).toBe('start long');
  });

  it('rejects cycles before running anything', async () => {
    const log: string[] = [];
    await expect(runDag([task('a', ['b'], log), task('b', ['a'], log)], { perBucket: 1 })).rejects.toBeInstanceOf(CycleError);
    expect(log).toEqual([]);
  });

  it('treats dependencies outside the task set as satisfied', async () => {
    const log: string[] = [];
    const out = await runDag([task('a', ['already-there'], log)], { perBucket: 1 });
    expect(out.get('a')!.status).toBe('done');
  });

  it('computes the critical path by weight', () => {
    const g = [
      { id: 'a', deps: [], weight: 2 },
      { id: 'b', deps: ['a'], weight: 3 },
      { id: 'c', deps: ['a'], weight: 10 },
      { id: 'd', deps: ['b', 'c'], weight: 1 },
    ];
    expect(criticalPath(g)).toBe(13);
    expect(topoOrder(g).indexOf('a')).toBeLessThan(topoOrder(g).indexOf('d'));
  });
});
