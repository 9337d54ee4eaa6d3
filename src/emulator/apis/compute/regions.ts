import { quotaDefault } from '../../core/quota-defaults.js';
import type { EmulatorContext, Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { checkRegion, regionNames, zonesOf } from './shared/geo.js';
import { createHash } from 'node:crypto';
import { listPage } from './shared/list.js';

/** A stable uint64-looking id for fixed objects (regions, zones), derived from the name. */
function stableId(name: string): string {
  return BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 15)}`).toString();
}

const CREATED = '1969-12-31T16:00:00.000-08:00';

/** Quota rows as Compute prints them: Compute's own metrics, finite limits only (JSON has no Infinity). */
function quotas(ctx: EmulatorContext, scope: string): { metric: string; limit: number; usage: number }[] {
  return ctx.quotas
    .all(scope)
    .filter((q) => (quotaDefault(q.metric)?.service ?? 'compute.googleapis.com') === 'compute.googleapis.com')
    .filter((q) => Number.isFinite(q.limit) && Number.isFinite(q.usage))
    .map((q) => ({ metric: q.metric, limit: q.limit, usage: q.usage }));
}

function region(ctx: EmulatorContext, project: string, name: string): Record<string, unknown> {
  const base = `${ctx.baseUrl()}/compute/v1/projects/${project}`;
  return {
    kind: 'compute#region',
    id: stableId(name),
    creationTimestamp: CREATED,
    name,
    description: name,
    status: 'UP',
    zones: zonesOf(name).map((z) => `${base}/zones/${z}`),
    quotas: quotas(ctx, name),
    selfLink: `${base}/regions/${name}`,
    supportsPzs: false,
  };
}

function zone(ctx: EmulatorContext, project: string, name: string): Record<string, unknown> {
  const base = `${ctx.baseUrl()}/compute/v1/projects/${project}`;
  const regionName = name.replace(/-[a-z]$/, '');
  return {
    kind: 'compute#zone',
    id: stableId(name),
    creationTimestamp: CREATED,
    name,
    description: name,
    status: 'UP',
    region: `${base}/regions/${regionName}`,
    selfLink: `${base}/zones/${name}`,
    availableCpuPlatforms: ['Intel Cascade Lake', 'Intel Ice Lake', 'AMD Milan', 'AMD Genoa'],
    supportsPzs: false,
  };
}

export function regionRoutes(): Route[] {
  const p = '/compute/v1/projects/{project}';
  const route = (path: string, handler: Route['handler']): Route => ({ method: 'GET', path: `${p}${path}`, style: 'compute', api: 'compute', handler });
  return [
    route('/regions/{region}', (req, ctx) => {
      checkRegion(ctx, req.params.project!, req.params.region!);
      return { body: region(ctx, req.params.project!, req.params.region!) };
    }),
    route('/regions', (req, ctx) => {
      const prj = req.params.project!;
      const items = regionNames().map((r) => region(ctx, prj, r));
      return { body: listPage(req, items, { kind: 'compute#regionList', id: `projects/${prj}/regions`, selfLink: `${ctx.baseUrl()}/compute/v1/projects/${prj}/regions` }) };
    }),
    route('/zones/{zone}', (req, ctx) => {
      const z = req.params.zone!;
      if (!zonesOf(z.replace(/-[a-z]$/, '')).includes(z)) throw err.notFound(`projects/${req.params.project}/zones/${z}`);
      return { body: zone(ctx, req.params.project!, z) };
    }),
    route('/zones', (req, ctx) => {
      const prj = req.params.project!;
      const items = regionNames().flatMap((r) => zonesOf(r)).map((z) => zone(ctx, prj, z));
      return { body: listPage(req, items, { kind: 'compute#zoneList', id: `projects/${prj}/zones`, selfLink: `${ctx.baseUrl()}/compute/v1/projects/${prj}/zones` }) };
    }),
    route('', (req, ctx) => {
      const prj = req.params.project!;
      const number = ctx.projectNumber(prj);
      return {
        body: {
          kind: 'compute#project',
          id: number,
          creationTimestamp: CREATED,
          name: prj,
          commonInstanceMetadata: { kind: 'compute#metadata', fingerprint: 'VlSWB2t5aQ8=' },
          quotas: quotas(ctx, 'global'),
          selfLink: `${ctx.baseUrl()}/compute/v1/projects/${prj}`,
          defaultServiceAccount: `${number}-compute@developer.gserviceaccount.com`,
          xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
          defaultNetworkTier: 'PREMIUM',
          vmDnsSetting: 'ZONAL_ONLY',
        },
      };
    }),
  ];
}
