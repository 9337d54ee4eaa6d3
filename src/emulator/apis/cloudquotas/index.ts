/**
 * Cloud Quotas v1: quota infos (limits from the emulator's quota book, per region) and
 * quota preferences, which raise limits in the book.
 *
 * Approval rule (a model of GCP's automatic approval, documented for users):
 * - a preference at or below the current limit, or up to 2x the GCP default limit, is
 *   granted at once: grantedValue = preferredValue, reconciling false, the limit changes;
 * - a larger one stays pending like a request awaiting review: reconciling true,
 *   grantedValue = the current limit, stateDetail says so, the limit does not change;
 * - hard limits (isFixed) cannot be changed at all;
 * - going below current usage needs ignoreSafetyChecks QUOTA_DECREASE_BELOW_USAGE.
 */
import { type ApiModule, type EmuRequest, type EmuResponse, type EmulatorContext, type Route } from '../../core/types.js';
import { paginate, parseUpdateMask } from '../../core/helpers.js';
import { regionNames } from '../compute/shared/geo.js';
import { codecApi, ProtoCodec, protoRoot, type Json } from '../sqladmin/protojson.js';
import { catalog, findQuota, type QuotaEntry } from './catalog.js';

const API = 'cloudquotas';
const DOMAIN = 'cloudquotas.googleapis.com';
const COLLECTION = 'cloudquotas.preferences';
const codec = new ProtoCodec(protoRoot('@google-cloud/cloudquotas'), 'google.api.cloudquotas.v1');
const AUTO_APPROVE_FACTOR = 2;
const PREF_ID_RE = /^[a-z0-9]([-a-z0-9_]{0,61}[a-z0-9])?$/i;

const { err, decode, reply } = codecApi(codec, DOMAIN);

function checkLocation(req: EmuRequest): void {
  if (req.params['location'] !== 'global') throw err(400, 'INVALID_ARGUMENT', `Location '${String(req.params['location'])}' is not supported: use 'global'.`, 'parent');
}

// ---------- quota infos ----------

function quotaInfo(ctx: EmulatorContext, project: string, q: QuotaEntry): Json {
  let dimensionsInfos: Json[];
  if (q.scope === 'global') {
    dimensionsInfos = [{ dimensions: {}, details: { value: String(ctx.quotas.limit('global', q.bookMetric)) }, applicableLocations: ['global'] }];
  } else {
    // One entry per region whose limit differs from the default, then the default for the rest.
    const regions = regionNames();
    const custom = regions.filter((r) => ctx.quotas.limit(r, q.bookMetric) !== q.defaultLimit);
    dimensionsInfos = custom.map((r) => ({ dimensions: { region: r }, details: { value: String(ctx.quotas.limit(r, q.bookMetric)) }, applicableLocations: [r] }));
    const rest = regions.filter((r) => !custom.includes(r));
    if (rest.length) dimensionsInfos.push({ dimensions: {}, details: { value: String(ctx.quotas.limit(rest[0]!, q.bookMetric)) }, applicableLocations: rest });
  }
  return {
    name: `projects/${project}/locations/global/services/${q.service}/quotaInfos/${q.quotaId}`,
    quotaId: q.quotaId,
    metric: q.metric,
    service: q.service,
    isPrecise: true,
    containerType: 'PROJECT',
    dimensions: q.scope === 'region' ? ['region'] : [],
    metricDisplayName: q.displayName,
    quotaDisplayName: q.displayName,
    metricUnit: q.unit,
    quotaIncreaseEligibility: q.isFixed ? { isEligible: false, ineligibilityReason: 'NOT_SUPPORTED' } : { isEligible: true },
    isFixed: q.isFixed,
    dimensionsInfos,
    isConcurrent: false,
  };
}

async function listQuotaInfos(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkLocation(req);
  const { project, service } = req.params as { project: string; service: string };
  const items = catalog().filter((q) => q.service === service).map((q) => quotaInfo(ctx, project, q));
  const { page, nextPageToken } = paginate(items, req.query.get('pageSize'), req.query.get('pageToken'), 100, 1000);
  return reply(req, 'ListQuotaInfosResponse', { quotaInfos: page, ...(nextPageToken ? { nextPageToken } : {}) });
}

async function getQuotaInfo(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkLocation(req);
  const { project, service, quotaInfo: id } = req.params as { project: string; service: string; quotaInfo: string };
  const q = findQuota(service, id);
  if (!q) throw err(404, 'NOT_FOUND', `QuotaInfo projects/${project}/locations/global/services/${service}/quotaInfos/${id} not found.`);
  return reply(req, 'QuotaInfo', quotaInfo(ctx, project, q));
}

// ---------- quota preferences ----------

function prefs(ctx: EmulatorContext) {
  return ctx.store.collection<Json>(COLLECTION);
}

function etag(ctx: EmulatorContext): string {
  return Array.from({ length: 16 }, () => Math.floor(ctx.random() * 16).toString(16)).join('');
}

/** Validate a preference against its quota and apply the approval rule. */
function decide(ctx: EmulatorContext, body: Json, ignoreChecks: string[]): { entry: QuotaEntry; scope: string; preferred: number } {
  const service = String(body['service'] ?? '');
  const quotaId = String(body['quotaId'] ?? '');
  if (!service) throw err(400, 'INVALID_ARGUMENT', 'service is required.', 'quota_preference.service');
  if (!quotaId) throw err(400, 'INVALID_ARGUMENT', 'quota_id is required.', 'quota_preference.quota_id');
  const entry = findQuota(service, quotaId);
  if (!entry) throw err(400, 'INVALID_ARGUMENT', `Quota ${quotaId} of service ${service} does not exist.`, 'quota_preference.quota_id');
  const dims = (body['dimensions'] as Record<string, string> | undefined) ?? {};
  const keys = Object.keys(dims);
  let scope = 'global';
  if (entry.scope === 'region') {
    if (!dims['region'] || keys.some((k) => k !== 'region')) throw err(400, 'INVALID_ARGUMENT', `Quota ${quotaId} needs exactly the dimension 'region'.`, 'quota_preference.dimensions');
    if (!regionNames().includes(dims['region'])) throw err(400, 'INVALID_ARGUMENT', `Unknown region '${dims['region']}'.`, 'quota_preference.dimensions');
    scope = dims['region'];
  } else if (keys.length) {
    throw err(400, 'INVALID_ARGUMENT', `Quota ${quotaId} has no dimensions.`, 'quota_preference.dimensions');
  }
  const config = (body['quotaConfig'] as Json | undefined) ?? {};
  if (config['preferredValue'] === undefined) throw err(400, 'INVALID_ARGUMENT', 'quota_config.preferred_value is required.', 'quota_preference.quota_config.preferred_value');
  const preferred = Number(config['preferredValue']);
  if (!Number.isInteger(preferred) || preferred < 0) throw err(400, 'INVALID_ARGUMENT', 'preferred_value must be a non-negative integer.', 'quota_preference.quota_config.preferred_value');
  if (entry.isFixed) throw err(400, 'FAILED_PRECONDITION', `Quota ${quotaId} is a fixed limit and cannot be adjusted.`);
  const usage = ctx.quotas.usage(scope, entry.bookMetric);
  if (preferred < usage && !ignoreChecks.includes('QUOTA_DECREASE_BELOW_USAGE')) {
    throw err(400, 'FAILED_PRECONDITION', `The requested value ${preferred} is below the current usage ${usage}; set ignore_safety_checks QUOTA_DECREASE_BELOW_USAGE to proceed.`);
  }
  return { entry, scope, preferred };
}

function apply(ctx: EmulatorContext, pref: Json, d: { entry: QuotaEntry; scope: string; preferred: number }): Json {
  const current = ctx.quotas.limit(d.scope, d.entry.bookMetric);
  const granted = d.preferred <= current || d.preferred <= d.entry.defaultLimit * AUTO_APPROVE_FACTOR;
  if (granted) ctx.quotas.setLimit(d.scope, d.entry.bookMetric, d.preferred);
  const config = { ...((pref['quotaConfig'] as Json | undefined) ?? {}) };
  config['preferredValue'] = String(d.preferred);
  config['grantedValue'] = String(granted ? d.preferred : current);
  config['traceId'] = etag(ctx);
  config['requestOrigin'] = 'ORIGIN_UNSPECIFIED';
  if (granted) delete config['stateDetail'];
  else config['stateDetail'] = `The request for ${d.preferred} exceeds the automatic approval limit (${d.entry.defaultLimit * AUTO_APPROVE_FACTOR}) and is pending review.`;
  const out: Json = { ...pref, quotaConfig: config, reconciling: !granted, etag: etag(ctx), updateTime: ctx.now().toISOString() };
  delete out['contactEmail'];
  ctx.events.emit('resource.changed', { api: API, kind: 'QuotaPreference', name: String(out['name']), resource: out, change: 'updated' });
  return out;
}

function ignoreList(req: EmuRequest, body: Json): string[] {
  const fromQuery = req.query.getAll('ignoreSafetyChecks');
  const fromBody = Array.isArray(body['ignoreSafetyChecks']) ? body['ignoreSafetyChecks'].map(String) : [];
  const names: Record<string, string> = { '1': 'QUOTA_DECREASE_BELOW_USAGE', '2': 'QUOTA_DECREASE_PERCENTAGE_TOO_HIGH' };
  return [...fromQuery, ...fromBody].map((v) => names[v] ?? v);
}

async function createPreference(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkLocation(req);
  const project = req.params['project']!;
  const body = decode('QuotaPreference', req.body);
  const id = req.query.get('quotaPreferenceId') || `pref-${etag(ctx).slice(0, 12)}`;
  if (!PREF_ID_RE.test(id)) throw err(400, 'INVALID_ARGUMENT', `Invalid quota_preference_id '${id}'.`, 'quota_preference_id');
  const name = `projects/${project}/locations/global/quotaPreferences/${id}`;
  if (prefs(ctx).peek(name)) throw err(409, 'ALREADY_EXISTS', `QuotaPreference ${name} already exists.`);
  const d = decide(ctx, body, ignoreList(req, body));
  const now = ctx.now().toISOString();
  const pref = apply(ctx, { ...body, name, createTime: now }, d);
  prefs(ctx).insert(name, pref);
  return reply(req, 'QuotaPreference', pref);
}

async function getPreference(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkLocation(req);
  const name = `projects/${req.params['project']!}/locations/global/quotaPreferences/${req.params['preference']!}`;
  const p = prefs(ctx).get(name);
  if (!p) throw err(404, 'NOT_FOUND', `QuotaPreference ${name} not found.`);
  return reply(req, 'QuotaPreference', p);
}

async function listPreferences(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkLocation(req);
  let items = prefs(ctx).list(`projects/${req.params['project']!}/locations/global/quotaPreferences/`);
  const filter = req.query.get('filter');
  if (filter) {
    for (const term of filter.split(/\s+AND\s+/)) {
      const m = /^(service|quotaId|quota_id|reconciling)\s*=\s*"?([^"]*)"?$/.exec(term.trim());
      if (!m) throw err(400, 'INVALID_ARGUMENT', `Unsupported filter: ${filter}`, 'filter');
      const field = m[1] === 'quota_id' ? 'quotaId' : m[1]!;
      items = items.filter((p) => String(p[field] ?? (field === 'reconciling' ? false : '')) === m[2]);
    }
  }
  const { page, nextPageToken } = paginate(items, req.query.get('pageSize'), req.query.get('pageToken'), 100, 1000);
  return reply(req, 'ListQuotaPreferencesResponse', { quotaPreferences: page, ...(nextPageToken ? { nextPageToken } : {}) });
}

async function updatePreference(req: EmuRequest, ctx: EmulatorContext): Promise<EmuResponse> {
  checkLocation(req);
  const project = req.params['project']!;
  const name = `projects/${project}/locations/global/quotaPreferences/${req.params['preference']!}`;
  const body = decode('QuotaPreference', req.body);
  const existing = prefs(ctx).get(name);
  const validateOnly = req.query.get('validateOnly') === 'true';
  if (!existing) {
    if (req.query.get('allowMissing') !== 'true') throw err(404, 'NOT_FOUND', `QuotaPreference ${name} not found.`);
    const d = decide(ctx, body, ignoreList(req, body));
    if (validateOnly) return reply(req, 'QuotaPreference', { ...body, name });
    const pref = apply(ctx, { ...body, name, createTime: ctx.now().toISOString() }, d);
    prefs(ctx).insert(name, pref);
    return reply(req, 'QuotaPreference', pref);
  }
  if (body['etag'] && body['etag'] !== existing['etag']) throw err(409, 'ABORTED', `The etag of QuotaPreference ${name} does not match: it was changed concurrently.`);
  for (const f of ['service', 'quotaId']) {
    if (body[f] !== undefined && body[f] !== existing[f]) throw err(400, 'INVALID_ARGUMENT', `${f} cannot be changed.`, `quota_preference.${f}`);
  }
  if (body['dimensions'] !== undefined && JSON.stringify(body['dimensions']) !== JSON.stringify(existing['dimensions'] ?? {})) {
    throw err(400, 'INVALID_ARGUMENT', 'dimensions cannot be changed.', 'quota_preference.dimensions');
  }
  const mask = parseUpdateMask(req);
  const fields = mask.length ? mask : ['quotaConfig.preferredValue', 'justification'];
  const merged: Json = { ...existing };
  for (const f of fields) {
    if (f === 'quotaConfig' || f === 'quotaConfig.preferredValue') {
      const pv = (body['quotaConfig'] as Json | undefined)?.['preferredValue'];
      if (pv !== undefined) merged['quotaConfig'] = { ...((existing['quotaConfig'] as Json | undefined) ?? {}), preferredValue: pv };
    } else if (f === 'justification') {
      if (body['justification'] !== undefined) merged['justification'] = body['justification'];
    } else if (f !== 'contactEmail') {
      throw err(400, 'INVALID_ARGUMENT', `Invalid update_mask path: ${f}.`, 'update_mask');
    }
  }
  const d = decide(ctx, merged, ignoreList(req, body));
  if (validateOnly) return reply(req, 'QuotaPreference', merged);
  const pref = apply(ctx, merged, d);
  prefs(ctx).put(name, pref);
  return reply(req, 'QuotaPreference', pref);
}

const cloudquotas: ApiModule = {
  name: API,
  routes(): Route[] {
    const r = (method: Route['method'], path: string, handler: Route['handler']): Route => ({ method, path, style: 'gax', api: API, write: method !== 'GET', handler });
    const loc = '/v1/projects/{project}/locations/{location}';
    return [
      r('GET', `${loc}/services/{service}/quotaInfos`, listQuotaInfos),
      r('GET', `${loc}/services/{service}/quotaInfos/{quotaInfo}`, getQuotaInfo),
      r('POST', `${loc}/quotaPreferences`, createPreference),
      r('GET', `${loc}/quotaPreferences`, listPreferences),
      r('GET', `${loc}/quotaPreferences/{preference}`, getPreference),
      r('PATCH', `${loc}/quotaPreferences/{preference}`, updatePreference),
    ];
  },
};

export default cloudquotas;
