/**
 * Private services access (Service Networking v1): one peering connection per consumer
 * network, shared by Memorystore and Cloud SQL. No client library is installed for it, so
 * this goes over authenticated REST from src/gcp/clients.ts. The API names the consumer
 * network by project NUMBER, so network is compared by its network name only.
 */
import { OperationFailedError, isNotFound } from '../gcp/errors.js';
import { pollOperation } from './op-wait.js';
import type { Observed, Resource } from '../engine/types.js';
import { diffFields } from './diff.js';
import { lastSegment, readOnce, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

interface Op {
  name: string;
  done?: boolean;
  error?: { code?: number; message?: string };
}

const base = (r: Pick<Resource, 'name'>): string => r.name.replace(/\/connections\/[^/]+$/, '/connections');

async function consumerNetwork(ctx: ProviderContext, network: string): Promise<string> {
  if (!ctx.clients.capabilities.serviceNetworkingByProjectNumber) return network;
  const project = /projects\/([^/]+)\//.exec(network)?.[1] ?? ctx.project;
  if (/^\d+$/.test(project)) return network;
  const p = await ctx.clients.request<{ projectNumber?: string }>({ api: 'cloudresourcemanager', method: 'GET', path: `v1/projects/${project}` });
  return network.replace(`projects/${project}/`, `projects/${p.projectNumber ?? project}/`);
}

async function waitOp(ctx: ProviderContext, first: Op): Promise<void> {
  const op = await pollOperation(ctx, `Service Networking operation ${first.name}`, first, {
    done: (o) => !!o.done,
    next: (o) => ctx.clients.request<Op>({ api: 'servicenetworking', method: 'GET', path: `v1/${o.name}` }),
  });
  if (op.error) throw new OperationFailedError(op.error.message ?? 'operation failed', op.error.code);
}

async function listFor(ctx: ProviderContext, r: Resource): Promise<Observed[]> {
  const network = await readOnce(ctx, () => consumerNetwork(ctx, String(r.spec.network)));
  const res = await readOnce(ctx, () => ctx.clients.request<{ connections?: Obj[] }>({ api: 'servicenetworking', method: 'GET', path: `v1/${base(r)}`, params: { network } }));
  return (res.connections ?? [])
    .filter((c) => lastSegment(String(c.network ?? '')) === lastSegment(String(r.spec.network)))
    .map((c) => ({ kind: 'servicenetworking.Connection', name: r.name, raw: c, labels: {}, owner: ctx.topology }));
}

export const serviceNetworkingProviders: Provider[] = [
  {
    kind: 'servicenetworking.Connection',
    api: 'servicenetworking',
    scope: 'global',
    createSeconds: 60,
    async list(ctx, _regions, desired) {
      const all = await Promise.all((desired ?? []).map((r) => listFor(ctx, r).catch((err) => (isNotFound(err) ? [] : Promise.reject(err)))));
      return all.flat();
    },
    async get(ctx, r) {
      if (!('spec' in r)) return undefined;
      return (await listFor(ctx, r as Resource))[0];
    },
    diff(r, o) {
      return diffFields(r.spec, o.raw, { ignore: ['network', 'service'], unordered: ['reservedPeeringRanges'] });
    },
    async create(ctx, r) {
      const network = await consumerNetwork(ctx, String(r.spec.network));
      const op = await ctx.clients.request<Op>({
        api: 'servicenetworking', method: 'POST', path: `v1/${base(r)}`,
        data: { network, reservedPeeringRanges: r.spec.reservedPeeringRanges },
      });
      await waitOp(ctx, op);
    },
    async update(ctx, r) {
      const network = await consumerNetwork(ctx, String(r.spec.network));
      const op = await ctx.clients.request<Op>({
        api: 'servicenetworking', method: 'PATCH', path: `v1/${r.name}`, params: { updateMask: 'reservedPeeringRanges', force: 'true' },
        data: { network, reservedPeeringRanges: r.spec.reservedPeeringRanges },
      });
      await waitOp(ctx, op);
    },
    async delete(ctx, o) {
      const network = String(o.raw.network);
      const op = await ctx.clients.request<Op>({ api: 'servicenetworking', method: 'POST', path: `v1/${o.name}:deleteConnection`, data: { consumerNetwork: network } });
      await waitOp(ctx, op);
    },
  },
];
