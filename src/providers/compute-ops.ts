/** Waiting on Compute Engine operations: the client returns them and never polls. */
import { OperationFailedError } from '../gcp/errors.js';
import { pollOperation } from './op-wait.js';
import { NO_RETRY } from './call-options.js';
import type { ProviderContext } from './types.js';

export type { ComputeClients } from '../gcp/clients.js';

export interface ComputeOp {
  name?: string | null;
  status?: string | null;
  operationType?: string | null;
  targetLink?: string | null;
  httpErrorStatusCode?: number | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
}

/** QUOTA_EXCEEDED -> quotaExceeded, the reason the legacy error bodies use. */
function reasonOf(code: string): string {
  const special: Record<string, string> = { RESOURCE_NOT_FOUND: 'notFound', RESOURCE_ALREADY_EXISTS: 'alreadyExists' };
  return special[code] ?? code.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export async function waitComputeOp(ctx: ProviderContext, first: ComputeOp, region: string | undefined): Promise<void> {
  const target = first.targetLink ? first.targetLink.replace(/^.*\/projects\/[^/]+\//, '') : '';
  const what = `Compute operation ${first.name ?? '?'} (${[first.operationType, target].filter(Boolean).join(' ')})`;
  const op = await pollOperation(ctx, what, first, {
    done: (o) => o.status === 'DONE',
    // wait blocks server-side until done (or ~2 minutes), so this loop rarely turns.
    next: async (o) => {
      const [next] = region
        ? await ctx.clients.compute('RegionOperationsClient').wait({ project: ctx.project, region, operation: o.name }, NO_RETRY)
        : await ctx.clients.compute('GlobalOperationsClient').wait({ project: ctx.project, operation: o.name }, NO_RETRY);
      return next as ComputeOp;
    },
    blocking: true,
  });
  const e = op.error?.errors?.[0];
  if (e) {
    const code = e.code ?? 'UNKNOWN';
    throw new OperationFailedError(`${code}: ${e.message ?? ''}`.trim(), undefined, op.httpErrorStatusCode ?? undefined, reasonOf(code));
  }
}
