import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, TOPOLOGY_LABEL } from '../topology/kinds.js';
import type { Observed, Resource } from '../engine/types.js';
import type { ProviderContext } from './types.js';

const MARKER = new RegExp(`${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}\\s+${TOPOLOGY_LABEL}=([a-z0-9-]+)`);

/** The topology that owns an object, from its labels or its description marker. */
export function ownerOf(labels: Record<string, string> | undefined, description?: unknown): string | undefined {
  if (labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && labels[TOPOLOGY_LABEL]) return labels[TOPOLOGY_LABEL];
  if (typeof description === 'string') return MARKER.exec(description)?.[1];
  return undefined;
}

/** For kinds with no labels and no description: the object is ours when the spec names it. */
export function ownedByName(o: Observed, desired: Resource[] | undefined, ctx: ProviderContext): Observed {
  return desired?.some((r) => r.name === o.name) ? { ...o, owner: ctx.topology } : o;
}

export { lastSegment, regionFromName } from '../util/resource-name.js';

export function labelsOf(raw: Record<string, unknown>, field = 'labels'): Record<string, string> {
  const l = raw[field];
  return l && typeof l === 'object' ? (l as Record<string, string>) : {};
}

export type Obj = Record<string, unknown>;

/** One read request, retried on its own when the caller asked for it (ProviderContext.read). */
export function readOnce<T>(ctx: ProviderContext, request: () => Promise<T>): Promise<T> {
  return ctx.read ? ctx.read(request) : request();
}

/**
 * The items of a client library's paged list, with each page's request retried on its own.
 * google-gax's async iterators keep the failed page's request when a page call throws (the
 * next-page request is assigned only from a reply), so a retried next() asks for that page
 * again rather than starting over; test/unit/engine/paging.test.ts pins this.
 */
export async function* eachItem<T>(ctx: ProviderContext, pages: AsyncIterable<T>): AsyncGenerator<T> {
  const it = pages[Symbol.asyncIterator]();
  for (;;) {
    const step = await readOnce(ctx, () => it.next());
    if (step.done) return;
    yield step.value;
  }
}
