/**
 * IAM v1 service accounts (as @googleapis/iam sends them) plus project IAM policies
 * (Cloud Resource Manager v1 and v3 `projects:getIamPolicy` / `:setIamPolicy`), so a
 * deployer can create its runtime identities and grant them roles.
 */
import { type ApiModule, type EmuRequest, type EmuResponse, type EmulatorContext, type Route } from '../../core/types.js';
import { domainErrors, paginate } from '../../core/helpers.js';
import { getPolicy, setPolicy, type Policy } from './policy.js';

const API = 'iam';
const DOMAIN = 'iam.googleapis.com';
const COLLECTION = 'iam.serviceAccounts';
/** GCP's default: 100 service accounts per project. */
const MAX_ACCOUNTS = 100;
const ACCOUNT_ID_RE = /^[a-z]([-a-z0-9]*[a-z0-9])$/;

type Json = Record<string, unknown>;

export interface ServiceAccount extends Json {
  name: string;
  projectId: string;
  uniqueId: string;
  email: string;
  etag: string;
  oauth2ClientId: string;
  displayName?: string;
  description?: string;
  disabled?: boolean;
}

const err = domainErrors(DOMAIN);

function accounts(ctx: EmulatorContext) {
  return ctx.store.collection<ServiceAccount>(COLLECTION);
}

function etag(ctx: EmulatorContext): string {
  const b = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) b[i] = Math.floor(ctx.random() * 256);
  return b.toString('base64');
}

function uniqueId(ctx: EmulatorContext): string {
  // 21-digit numeric ids, as IAM hands out.
  return '1' + Array.from({ length: 20 }, () => Math.floor(ctx.random() * 10)).join('');
}

/** Accepts `projects/{p}/serviceAccounts/{email|uniqueId}` with `-` as a wildcard project. */
function find(ctx: EmulatorContext, project: string, ref: string): ServiceAccount {
  const all = accounts(ctx).list('projects/');
  const sa = all.find((a) => (project === '-' || a.projectId === project) && (a.email === ref || a.uniqueId === ref));
  if (!sa) throw err(404, 'NOT_FOUND', `Unknown service account`);
  return sa;
}

function key(sa: { projectId: string; email: string }): string {
  return `projects/${sa.projectId}/serviceAccounts/${sa.email}`;
}

function emit(ctx: EmulatorContext, sa: ServiceAccount, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: API, kind: 'ServiceAccount', name: key(sa), resource: sa, change });
}

async function createAccount(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const project = req.params['project']!;
  const body = (req.body as Json | undefined) ?? {};
  const accountId = String(body['accountId'] ?? '');
  if (accountId.length < 6 || accountId.length > 30 || !ACCOUNT_ID_RE.test(accountId)) {
    throw err(400, 'INVALID_ARGUMENT', `Invalid account ID '${accountId}': it must be 6-30 characters, lowercase letters, digits and hyphens, start with a letter and not end with a hyphen.`, 'account_id');
  }
  const email = `${accountId}@${project}.iam.gserviceaccount.com`;
  if (accounts(ctx).peek(key({ projectId: project, email }))) {
    throw err(409, 'ALREADY_EXISTS', `Service account ${accountId} already exists within project projects/${project}.`);
  }
  if (accounts(ctx).peekAll(`projects/${project}/`).length >= MAX_ACCOUNTS) {
    throw err(429, 'RESOURCE_EXHAUSTED', `Maximum number of service accounts on project reached (${MAX_ACCOUNTS}).`);
  }
  const input = (body['serviceAccount'] as Json | undefined) ?? {};
  const display = input['displayName'];
  if (typeof display === 'string' && display.length > 100) throw err(400, 'INVALID_ARGUMENT', 'displayName must be at most 100 characters.', 'service_account.display_name');
  const description = input['description'];
  if (typeof description === 'string' && description.length > 256) throw err(400, 'INVALID_ARGUMENT', 'description must be at most 256 characters.', 'service_account.description');
  const id = uniqueId(ctx);
  const sa: ServiceAccount = {
    name: `projects/${project}/serviceAccounts/${email}`,
    projectId: project,
    uniqueId: id,
    email,
    etag: etag(ctx),
    oauth2ClientId: id,
    ...(typeof display === 'string' && display ? { displayName: display } : {}),
    ...(typeof description === 'string' && description ? { description } : {}),
  };
  accounts(ctx).insert(key(sa), sa);
  emit(ctx, sa, 'created');
  return { body: sa };
}

async function getAccount(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  return { body: find(ctx, req.params['project']!, req.params['account']!) };
}

async function listAccounts(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const project = req.params['project']!;
  const items = accounts(ctx).list(`projects/${project}/`);
  const { page, nextPageToken } = paginate(items, req.query.get('pageSize'), req.query.get('pageToken'), 20, 100);
  return { body: { ...(page.length ? { accounts: page } : {}), ...(nextPageToken ? { nextPageToken } : {}) } };
}

const MUTABLE = ['displayName', 'description'];

/** PATCH takes `{serviceAccount, updateMask}`; PUT (deprecated update) takes the account itself. */
async function changeAccount(req: EmuRequest, ctx: EmulatorContext, mode: 'patch' | 'update'): Promise<EmuResponse> {
  const sa = find(ctx, req.params['project']!, req.params['account']!);
  const body = (req.body as Json | undefined) ?? {};
  const input = mode === 'patch' ? ((body['serviceAccount'] as Json | undefined) ?? {}) : body;
  const mask = mode === 'patch' ? String(body['updateMask'] ?? '').split(',').map((s) => s.trim()).filter(Boolean) : MUTABLE;
  if (mode === 'patch' && mask.length === 0) throw err(400, 'INVALID_ARGUMENT', 'update_mask is required.', 'update_mask');
  for (const m of mask) if (!MUTABLE.includes(m)) throw err(400, 'INVALID_ARGUMENT', `Invalid update_mask path: ${m}.`, 'update_mask');
  if (input['etag'] && input['etag'] !== sa.etag) throw err(409, 'ABORTED', 'The etag of the service account does not match the current one: it was changed concurrently.');
  const next: ServiceAccount = { ...sa };
  for (const f of mask) {
    const v = input[f];
    if (typeof v === 'string' && v) next[f] = v;
    else delete next[f];
  }
  next.etag = etag(ctx);
  accounts(ctx).put(key(sa), next);
  emit(ctx, next, 'updated');
  return { body: next };
}

async function deleteAccount(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const sa = find(ctx, req.params['project']!, req.params['account']!);
  accounts(ctx).delete(key(sa));
  emit(ctx, sa, 'deleted');
  return { body: {} };
}

function setDisabled(disabled: boolean) {
  return async (req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> => {
    const sa = find(ctx, req.params['project']!, req.params['account']!);
    const next: ServiceAccount = { ...sa, etag: etag(ctx) };
    if (disabled) next.disabled = true;
    else delete next.disabled;
    accounts(ctx).put(key(sa), next);
    emit(ctx, next, 'updated');
    return { body: {} };
  };
}

async function getAccountPolicy(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const sa = find(ctx, req.params['project']!, req.params['account']!);
  return { body: getPolicy(ctx, key(sa)) };
}

async function setAccountPolicy(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const sa = find(ctx, req.params['project']!, req.params['account']!);
  const policy = ((req.body as Json | undefined) ?? {})['policy'];
  checkMembers(ctx, policy);
  return { body: setPolicy(ctx, key(sa), policy) };
}

/** IAM refuses bindings for service accounts that do not exist (in projects we emulate). */
function checkMembers(ctx: EmulatorContext, policy: unknown): void {
  const bindings = ((policy as Partial<Policy> | undefined)?.bindings ?? []) as { members?: string[] }[];
  for (const b of bindings) {
    for (const m of b.members ?? []) {
      const match = /^serviceAccount:([^@]+)@([^.]+)\.iam\.gserviceaccount\.com$/.exec(m);
      if (!match) continue;
      const email = m.slice('serviceAccount:'.length);
      // `get`, not `peek`: a just-created account is briefly unknown to IAM, as in GCP.
      if (!accounts(ctx).get(`projects/${match[2]}/serviceAccounts/${email}`)) {
        throw err(400, 'INVALID_ARGUMENT', `Service account ${email} does not exist.`, 'policy.bindings.members');
      }
    }
  }
}

async function getProjectPolicy(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  return { body: getPolicy(ctx, `projects/${req.params['project']!}`) };
}

async function setProjectPolicy(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  const policy = ((req.body as Json | undefined) ?? {})['policy'];
  checkMembers(ctx, policy);
  return { body: setPolicy(ctx, `projects/${req.params['project']!}`, policy) };
}

const iam: ApiModule = {
  name: API,
  routes(): Route[] {
    const r = (method: Route['method'], path: string, handler: Route['handler'], write = method !== 'GET'): Route => ({ method, path, style: 'gax', api: API, write, handler });
    const sa = '/v1/projects/{project}/serviceAccounts/{account}';
    return [
      r('POST', '/v1/projects/{project}/serviceAccounts', createAccount),
      r('GET', '/v1/projects/{project}/serviceAccounts', listAccounts),
      r('GET', sa, getAccount),
      r('PATCH', sa, (req, ctx) => changeAccount(req, ctx, 'patch')),
      r('PUT', sa, (req, ctx) => changeAccount(req, ctx, 'update')),
      r('DELETE', sa, deleteAccount),
      r('POST', `${sa}:disable`, setDisabled(true)),
      r('POST', `${sa}:enable`, setDisabled(false)),
      r('POST', `${sa}:getIamPolicy`, getAccountPolicy, false),
      r('POST', `${sa}:setIamPolicy`, setAccountPolicy),
      // Cloud Resource Manager: project policies (v1 and v3 share the shape).
      r('POST', '/v1/projects/{project}:getIamPolicy', getProjectPolicy, false),
      r('POST', '/v1/projects/{project}:setIamPolicy', setProjectPolicy),
      r('POST', '/v3/projects/{project}:getIamPolicy', getProjectPolicy, false),
      r('POST', '/v3/projects/{project}:setIamPolicy', setProjectPolicy),
    ];
  },
};

export default iam;
