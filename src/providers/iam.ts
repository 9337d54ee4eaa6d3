/**
 * IAM: service accounts (IAM v1 through @googleapis/iam) and additive policy members
 * (like Terraform's *_iam_member: we add our members and remove only ours, never overwrite
 * a policy). Policies are read-modify-write with the etag; a concurrent change is a 409
 * ABORTED the engine retries after a fresh read.
 */
import { isNotFound } from '../gcp/errors.js';
import type { FieldChange, Observed, Resource } from '../engine/types.js';
import { diffFields, topOf } from './diff.js';
import { NO_RETRY } from './call-options.js';
import { lastSegment } from '../util/resource-name.js';

/** googleapis retries by default; the engine does it instead. */
const NO_GAXIOS_RETRY = { retry: false };
import { ownerOf, readOnce, type Obj } from './common.js';
import type { Provider, ProviderContext } from './types.js';

// ---------- service accounts ----------

function saObserved(ctx: ProviderContext, a: Obj): Observed {
  return {
    kind: 'iam.ServiceAccount',
    name: `projects/${ctx.project}/serviceAccounts/${String(a.email)}`,
    raw: { ...a, accountId: String(a.email ?? '').split('@')[0] },
    labels: {},
    owner: ownerOf(undefined, a.description),
    version: typeof a.etag === 'string' ? a.etag : undefined,
  };
}

const serviceAccount: Provider = {
  kind: 'iam.ServiceAccount',
  api: 'iam',
  scope: 'global',
  createSeconds: 2,
  immutable: ['accountId'],
  async list(ctx) {
    const out: Observed[] = [];
    let pageToken: string | undefined;
    do {
      const req = { name: `projects/${ctx.project}`, pageToken };
      const res = await readOnce(ctx, () => ctx.clients.iam.projects.serviceAccounts.list(req, NO_GAXIOS_RETRY));
      for (const a of res.data.accounts ?? []) out.push(saObserved(ctx, a as Obj));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  },
  async get(ctx, r) {
    try {
      const res = await ctx.clients.iam.projects.serviceAccounts.get({ name: r.name }, NO_GAXIOS_RETRY);
      return saObserved(ctx, res.data as Obj);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  diff(r, o) {
    return diffFields(r.spec, o.raw);
  },
  async create(ctx, r) {
    const { accountId, ...serviceAccount } = r.spec as { accountId: string } & Obj;
    await ctx.clients.iam.projects.serviceAccounts.create({ name: `projects/${ctx.project}`, requestBody: { accountId, serviceAccount } }, NO_GAXIOS_RETRY);
  },
  async update(ctx, r, o, changes) {
    const mask = [...new Set(changes.map((c) => topOf(c.path)))].filter((p) => p !== 'accountId');
    await ctx.clients.iam.projects.serviceAccounts.patch({
      name: r.name,
      requestBody: { serviceAccount: { displayName: r.spec.displayName as string, description: r.spec.description as string, etag: o.version }, updateMask: mask.join(',') },
    }, NO_GAXIOS_RETRY);
  },
  async delete(ctx, o) {
    await ctx.clients.iam.projects.serviceAccounts.delete({ name: o.name }, NO_GAXIOS_RETRY);
  },
};

// ---------- policy members ----------

interface Binding {
  role: string;
  members: string[];
  /** An IAM condition: a conditional binding is a different binding from the plain one of the same role. */
  condition?: { title: string; expression: string; description?: string };
}

/** Bindings are the same binding when role and condition expression agree. */
const sameBinding = (a: Binding, b: Binding) => a.role === b.role && (a.condition?.expression ?? '') === (b.condition?.expression ?? '');
interface Policy {
  etag?: string;
  version?: number;
  bindings?: Binding[];
}

/** Where a resource's policy lives: the project (Resource Manager), a Cloud Run service, a bucket. */
async function getPolicy(ctx: ProviderContext, resource: string): Promise<Policy> {
  if (/^projects\/[^/]+$/.test(resource)) {
    // Version 3 so that conditional bindings come back as they are (version 1 would mangle their roles).
    return ctx.clients.request<Policy>({ api: 'cloudresourcemanager', method: 'POST', path: `v1/${resource}:getIamPolicy`, data: { options: { requestedPolicyVersion: 3 } } });
  }
  if (resource.includes('/services/')) {
    const [p] = await ctx.clients.run.getIamPolicy({ resource }, NO_RETRY as never);
    return p as Policy;
  }
  if (resource.startsWith('projects/_/buckets/')) {
    const [p] = await ctx.clients.storage.bucket(lastSegment(resource)).iam.getPolicy({ requestedPolicyVersion: 3 });
    return p as Policy;
  }
  throw new Error(`no IAM policy support for ${resource}`);
}

async function setPolicy(ctx: ProviderContext, resource: string, given: Policy): Promise<void> {
  // A policy holding a condition must be written as version 3, or the API refuses it.
  const policy = given.bindings?.some((b) => b.condition) ? { ...given, version: 3 } : given;
  if (/^projects\/[^/]+$/.test(resource)) {
    await ctx.clients.request({ api: 'cloudresourcemanager', method: 'POST', path: `v1/${resource}:setIamPolicy`, data: { policy } });
    return;
  }
  if (resource.includes('/services/')) {
    await ctx.clients.run.setIamPolicy({ resource, policy: policy as never }, NO_RETRY as never);
    return;
  }
  await ctx.clients.storage.bucket(lastSegment(resource)).iam.setPolicy(policy as never);
}

function missing(want: Binding[], have: Binding[]): Binding[] {
  const out: Binding[] = [];
  for (const w of want) {
    const h = new Set(have.filter((b) => sameBinding(b, w)).flatMap((b) => b.members));
    const m = w.members.filter((x) => !h.has(x));
    if (m.length) out.push({ ...w, members: m });
  }
  return out;
}

function merge(policy: Policy, add: Binding[], remove: Binding[] = []): Policy {
  const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...b.members] }));
  for (const a of add) {
    const b = bindings.find((x) => sameBinding(x, a));
    if (b) b.members.push(...a.members.filter((m) => !b.members.includes(m)));
    else bindings.push({ ...a, members: [...a.members] });
  }
  for (const r of remove) {
    const b = bindings.find((x) => sameBinding(x, r));
    if (b) b.members = b.members.filter((m) => !r.members.includes(m));
  }
  return { ...policy, bindings: bindings.filter((b) => b.members.length > 0) };
}

const policyMembers: Provider = {
  kind: 'iam.PolicyMembers',
  api: 'iam',
  scope: 'global',
  createSeconds: 1,
  // One read per resource: policies have no list call.
  async list(ctx, _regions, desired) {
    const out: Observed[] = [];
    for (const r of desired ?? []) {
      const o = await readOnce(ctx, () => this.get(ctx, r));
      if (o) out.push(o);
    }
    return out;
  },
  async get(ctx, r) {
    const resource = String((r as Partial<Resource>).spec?.resource ?? r.name.split('#')[0]);
    let policy: Policy;
    try {
      policy = await getPolicy(ctx, resource);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    // "Exists" means at least one of our members is bound; otherwise it is a create.
    const desired = (r as Partial<Resource>).spec?.bindings as Binding[] | undefined;
    const bindings = policy.bindings ?? [];
    const ours = desired ? desired.some((d) => bindings.some((b) => sameBinding(b, d) && d.members.some((m) => b.members.includes(m)))) : bindings.length > 0;
    if (!ours) return undefined;
    // `ours`: the members both the spec grants and the policy holds — all a delete may remove.
    const mine = (desired ?? []).map((d) => ({ ...d, members: d.members.filter((m) => bindings.some((b) => sameBinding(b, d) && b.members.includes(m))) }));
    return { kind: 'iam.PolicyMembers', name: r.name, raw: { resource, bindings, ours: mine }, labels: {}, owner: ctx.topology, version: policy.etag };
  },
  diff(r, o): FieldChange[] {
    const add = missing((r.spec.bindings as Binding[]) ?? [], (o.raw.bindings as Binding[]) ?? []);
    return add.length ? [{ path: 'bindings', before: '(members missing)', after: add }] : [];
  },
  async create(ctx, r) {
    const resource = r.spec.resource as string;
    const policy = await getPolicy(ctx, resource);
    await setPolicy(ctx, resource, merge(policy, r.spec.bindings as Binding[]));
  },
  async update(ctx, r) {
    await this.create(ctx, r, '');
  },
  async delete(ctx, o) {
    const resource = o.raw.resource as string;
    // Remove only the members our spec grants (the observed list is what we saw bound).
    const policy = await getPolicy(ctx, resource);
    await setPolicy(ctx, resource, merge(policy, [], (o.raw.ours as Binding[]) ?? []));
  },
};

export const iamProviders: Provider[] = [serviceAccount, policyMembers];
