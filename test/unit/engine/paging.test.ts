import { PageDescriptor } from 'google-gax';
import { describe, expect, it } from 'vitest';
import { withRetry } from '../../../src/engine/retry.js';
import { eachItem } from '../../../src/providers/common.js';
import type { ProviderContext } from '../../../src/providers/types.js';

type Page = { pageToken?: string };

/** google-gax's own paged iterator over an API whose calls fail as told. */
function pagedList(pages: string[][], failFirst: Map<number, number>, asked: number[]): AsyncIterable<string> {
  const call = async (req: Page): Promise<[string[], Page | null, unknown]> => {
    const i = Number(req.pageToken ?? 0);
    asked.push(i);
    const left = failFirst.get(i) ?? 0;
    if (left > 0) {
      failFirst.set(i, left - 1);
      throw Object.assign(new Error('The service is currently unavailable'), { code: 14 });
    }
    return [pages[i]!, i + 1 < pages.length ? { pageToken: String(i + 1) } : null, {}];
  };
  const d = new PageDescriptor('pageToken', 'nextPageToken', 'items');
  return d.asyncIterate(call as never, {}, {} as never) as AsyncIterable<string>;
}

const ctx = (read?: ProviderContext['read']): ProviderContext => ({ project: 'p', topology: 't', clients: {} as never, ownerLabels: {}, poll: { initialMs: 1, maxMs: 1, timeoutMs: 1 }, read });
const retry: ProviderContext['read'] = (request) => withRetry(request, { baseMs: 1, maxMs: 2, maxAttempts: 5 });

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('eachItem: a paged list with each page retried on its own', () => {
  it('asks a failed page again, not the list from its first page, and yields every item once', async () => {
    const asked: number[] = [];
    const items = await collect(eachItem(ctx(retry), pagedList([['a', 'b'], ['c'], ['d', 'e']], new Map([[1, 2], [2, 1]]), asked)));
    expect(items).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(asked).toEqual([0, 1, 1, 1, 2, 2]);
  });

  it('without a retry policy a failed page is the caller’s error', async () => {
    const asked: number[] = [];
    await expect(collect(eachItem(ctx(), pagedList([['a'], ['b']], new Map([[1, 1]]), asked)))).rejects.toThrow(/unavailable/);
    expect(asked).toEqual([0, 1]);
  });
});
