/** Waiting on Compute Engine operations: the client returns them and never polls. */
import { classify, OperationFailedError, OperationTimeoutError } from '../gcp/errors.js';
import { sleep } from '../engine/retry.js';
import { NO_RETRY } from './call-options.js';
import type { ProviderContext } from './types.js';

export type { ComputeClients } from '../gcp/clients.js';

export interface ComputeOp {
  name?: string | null;
  status?: string | null;
  httpErrorStatusCode?: number | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
}

/** QUOTA_EXCEEDED -> quotaExceeded, the reason the legacy error bodies use. */
function reasonOf(code: string): string {
  const special: Record<string, string> = { RESOURCE_NOT_FOUND: 'notFound', RESOURCE_ALREADY_EXISTS: 'alreadyExists' };
  return special[code] ?? code.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export async function waitComputeOp(ctx: ProviderContext, first: ComputeOp, region: string | undefined): Promise<void> {
  let op = first;
  const deadline = Date.now() + ctx.poll.timeoutMs;
  let failures = 0;
  while (op.status !== 'DONE') {
    if (Date.now() > deadline) throw new OperationTimeoutError(`operation ${op.name} still ${op.status} after ${Math.round(ctx.poll.timeoutMs / 1000)}s`);
    try {
      // wait blocks server-side until done (or ~2 minutes), so this loop rarely turns.
      const [next] = region
        ? await ctx.clients.compute('RegionOperationsClient').wait({ project: ctx.project, region, operation: op.name }, NO_RETRY)
        : await ctx.clients.compute('GlobalOperationsClient').wait({ project: ctx.project, operation: op.name }, NO_RETRY);
      op = next as ComputeOp;
      failures = 0;
    } catch (err) {
      // Polling is a read: a throttled or failed poll is retried here, not surfaced.
      if (!classify(err).retryable || ++failures > 8) throw err;
      await sleep(Math.min(ctx.poll.maxMs, ctx.poll.initialMs * 2 ** failures));
    }
  }
  const e = op.error?.errors?.[0];
  if (e) {
    const code = e.code ?? 'UNKNOWN';
    throw new OperationFailedError(`${code}: ${e.message ?? ''}`.trim(), undefined, op.httpErrorStatusCode ?? undefined, reasonOf(code));
  }
}
