import { createHash } from 'node:crypto';
import { checkLabels, seededToken } from '../../core/helpers.js';
import { EmuError, type EmulatorContext } from '../../core/types.js';
import { cpuCores, memoryGiB, quantityValue } from '../../../util/quantity.js';

/** The parts of google.cloud.run.v2.Service this emulator reasons about; the rest passes through. */
export interface Container {
  name?: string;
  image?: string;
  resources?: { limits?: Record<string, string>; cpuIdle?: boolean; startupCpuBoost?: boolean };
  ports?: { name?: string; containerPort?: number }[];
  startupProbe?: Record<string, unknown>;
  [k: string]: unknown;
}
export interface Template {
  revision?: string;
  scaling?: { minInstanceCount?: number; maxInstanceCount?: number };
  containers?: Container[];
  timeout?: string;
  serviceAccount?: string;
  maxInstanceRequestConcurrency?: number;
  [k: string]: unknown;
}
export interface TrafficTarget {
  type?: string;
  revision?: string;
  percent?: number;
  tag?: string;
}
export interface Condition {
  type: string;
  state: string;
  message?: string;
  lastTransitionTime?: string;
  severity?: string;
  reason?: string;
  /** v2 Condition.revision_reason (e.g. HEALTH_CHECK_CONTAINER_ERROR), on a revision's conditions. */
  revisionReason?: string;
}
export interface Service {
  name: string;
  uid?: string;
  generation?: string;
  observedGeneration?: string;
  template?: Template;
  traffic?: TrafficTarget[];
  trafficStatuses?: (TrafficTarget & { uri?: string })[];
  createTime?: string;
  updateTime?: string;
  deleteTime?: string;
  etag?: string;
  uri?: string;
  urls?: string[];
  reconciling?: boolean;
  terminalCondition?: Condition;
  conditions?: Condition[];
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  [k: string]: unknown;
}
export interface Revision {
  name: string;
  service: string;
  generation: string;
  createTime: string;
  conditions?: Condition[];
  reconciling?: boolean;
  scaling?: Template['scaling'];
  containers?: Container[];
  [k: string]: unknown;
}

export const SERVICES = 'run.services';
export const REVISIONS = 'run.revisions';
export const IAM = 'run.iam';
export const CALLER = 'emulator-user@ruvector.local';

/** Cloud Run serves these as output only: a client sending them back must not change anything. */
export const OUTPUT_ONLY = [
  'name', 'uid', 'generation', 'createTime', 'updateTime', 'deleteTime', 'expireTime', 'creator', 'lastModifier',
  'observedGeneration', 'terminalCondition', 'conditions', 'latestReadyRevision', 'latestCreatedRevision',
  'trafficStatuses', 'uri', 'urls', 'satisfiesPzs', 'reconciling', 'etag',
] as const;

/** Fields of a Service that are spec: a change to any of them is a new generation. */
export function specOf(s: Service): Record<string, unknown> {
  const out: Record<string, unknown> = { ...s };
  for (const k of OUTPUT_ONLY) delete out[k];
  return out;
}

/** JSON with sorted keys, so equal specs compare equal however the client ordered them. */
export function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function parseName(name: string): { project: string; location: string; service: string } {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/.exec(name);
  if (!m) throw new EmuError(400, 'INVALID_ARGUMENT', `Invalid service name ${name}`);
  return { project: m[1]!, location: m[2]!, service: m[3]! };
}

/** Cloud Run service names: lowercase letters, digits, hyphens; a letter first; at most 49 characters. */
export function validateServiceId(id: string | null): string {
  if (!id) throw new EmuError(400, 'INVALID_ARGUMENT', 'service_id must be set', 'INVALID_ARGUMENT', { fieldViolations: [{ field: 'service_id', description: 'Required' }] });
  if (!/^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/.test(id)) {
    throw new EmuError(400, 'INVALID_ARGUMENT', `Invalid service_id '${id}': must use only lowercase alphanumeric characters and dashes, cannot begin or end with a dash, and cannot be longer than 49 characters.`, undefined, {
      fieldViolations: [{ field: 'service_id', description: 'must match ^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$' }],
    });
  }
  return id;
}

/** Region short code used in legacy run.app hostnames: us-central1 -> uc, europe-west1 -> ew. */
function regionCode(location: string): string {
  return location
    .replace(/\d+$/, '')
    .split('-')
    .map((p) => p[0])
    .join('');
}

export function defaultUrls(ctx: EmulatorContext, name: string): string[] {
  const { project, location, service } = parseName(name);
  const hash = createHash('sha256').update(`${project}/${location}`).digest('hex').replace(/[a-f]/g, (c) => String(c.charCodeAt(0) % 10)).slice(0, 10);
  return [`https://${service}-${ctx.projectNumber(project)}.${location}.run.app`, `https://${service}-${hash}-${regionCode(location)}.a.run.app`];
}

/** Cloud Run etags are quoted opaque strings that change with every write. */
export function newEtag(s: Service): string {
  return `"${createHash('sha256').update(`${s.name}|${s.generation}|${s.updateTime}|${s.reconciling}`).digest('base64url').slice(0, 27)}"`;
}

/** Fill what the API fills when a field is left empty (what `validateOnly` shows). */
export function applyDefaults(s: Service, ctx: EmulatorContext, project: string): Service {
  s.launchStage ??= 'GA';
  s.ingress ??= 'INGRESS_TRAFFIC_ALL';
  const t: Template = (s.template ??= {});
  t.scaling ??= {};
  t.scaling.maxInstanceCount ??= 100;
  t.timeout ??= '300s';
  t.serviceAccount ??= `${ctx.projectNumber(project)}-compute@developer.gserviceaccount.com`;
  t.maxInstanceRequestConcurrency ??= 80;
  for (const c of t.containers ?? []) {
    c.resources ??= {};
    c.resources.limits = { cpu: '1000m', memory: '512Mi', ...(c.resources.limits ?? {}) };
    c.resources.cpuIdle ??= true;
    c.ports ??= [{ name: 'http1', containerPort: 8080 }];
    const port = c.ports[0]?.containerPort ?? 8080;
    c.startupProbe ??= { timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1, tcpSocket: { port } };
  }
  if (!s.traffic || s.traffic.length === 0) s.traffic = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
  return s;
}

/** v1 system namespaces: Cloud Run v2 has a field for each, and rejects them as keys. */
const SYSTEM_NAMESPACES = ['run.googleapis.com', 'cloud.googleapis.com', 'serving.knative.dev', 'autoscaling.knative.dev'];

function checkSystemKeys(map: unknown, field: string): void {
  for (const key of Object.keys((map ?? {}) as Record<string, string>)) {
    const ns = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
    if (SYSTEM_NAMESPACES.some((n) => ns === n || ns.endsWith(`.${n}`))) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `${field}: Cloud Run API v2 does not support the key '${key}': system ${field.split('.').pop()} from v1 have their own fields in v2.`, undefined, {
        fieldViolations: [{ field, description: `key '${key}' uses the reserved namespace '${ns}'` }],
      });
    }
  }
}

export function validateSpec(s: Service, isCreate = false): void {
  checkLabels(s.labels, 'service.labels');
  checkLabels(s.template?.labels, 'service.template.labels');
  checkSystemKeys(s.labels, 'service.labels');
  checkSystemKeys(s.template?.labels, 'service.template.labels');
  checkSystemKeys(s.template?.annotations, 'service.template.annotations');
  // Service-level annotations are only refused "in new resources".
  if (isCreate) checkSystemKeys(s.annotations, 'service.annotations');
  const t = s.template ?? {};
  if (!t.containers || t.containers.length === 0) {
    throw new EmuError(400, 'INVALID_ARGUMENT', 'service.template.containers: at least one container is required', undefined, {
      fieldViolations: [{ field: 'service.template.containers', description: 'at least one container is required' }],
    });
  }
  t.containers.forEach((c, i) => {
    if (!c.image) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `service.template.containers[${i}].image: Container image must be specified`, undefined, {
        fieldViolations: [{ field: `service.template.containers[${i}].image`, description: 'Container image must be specified' }],
      });
    }
    const cpu = c.resources?.limits?.cpu;
    if (cpu !== undefined && !((quantityValue(cpu) ?? 0) > 0)) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `Invalid value for CPU limit: '${cpu}'`, undefined, {
        fieldViolations: [{ field: `service.template.containers[${i}].resources.limits.cpu`, description: 'invalid quantity' }],
      });
    }
    // Cloud Run refuses a limit that is not a quantity; allocation() reads it for quotas.
    const memory = c.resources?.limits?.memory;
    if (memory !== undefined && !((quantityValue(memory) ?? 0) > 0)) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `Invalid value for memory limit: '${memory}'`, undefined, {
        fieldViolations: [{ field: `service.template.containers[${i}].resources.limits.memory`, description: 'invalid quantity' }],
      });
    }
  });
  const min = t.scaling?.minInstanceCount ?? 0;
  const max = t.scaling?.maxInstanceCount ?? 100;
  if (min > max) {
    throw new EmuError(400, 'INVALID_ARGUMENT', `min_instance_count (${min}) must not exceed max_instance_count (${max})`, undefined, {
      fieldViolations: [{ field: 'service.template.scaling', description: 'min_instance_count exceeds max_instance_count' }],
    });
  }
  const total = (s.traffic ?? []).reduce((a, x) => a + (x.percent ?? 0), 0);
  if (s.traffic && s.traffic.length > 0 && total !== 100) {
    throw new EmuError(400, 'INVALID_ARGUMENT', `Traffic percentages must add up to 100, got ${total}`, undefined, {
      fieldViolations: [{ field: 'service.traffic', description: 'percentages must add up to 100' }],
    });
  }
}

/** What a revision can claim at full scale: max instances x per-instance CPU and memory. */
export function allocation(s: Service | undefined): { cpu: number; memGiB: number } {
  if (!s?.template) return { cpu: 0, memGiB: 0 };
  const max = s.template.scaling?.maxInstanceCount ?? 100;
  let cpu = 0;
  let mem = 0;
  for (const c of s.template.containers ?? []) {
    cpu += cpuCores(c.resources?.limits?.cpu ?? '1');
    mem += memoryGiB(c.resources?.limits?.memory ?? '512Mi');
  }
  return { cpu: cpu * max, memGiB: mem * max };
}

export function revisionName(ctx: EmulatorContext, s: Service): string {
  const { service } = parseName(s.name);
  const t = s.template ?? {};
  if (t.revision) {
    if (!t.revision.startsWith(`${service}-`)) {
      throw new EmuError(400, 'INVALID_ARGUMENT', `Revision name '${t.revision}' must be prefixed by the service name '${service}-'`, undefined, {
        fieldViolations: [{ field: 'service.template.revision', description: `must start with ${service}-` }],
      });
    }
    return t.revision;
  }
  return `${service}-${String(Number(s.generation ?? '1')).padStart(5, '0')}-${seededToken(() => ctx.random(), 3, 'abcdefghijklmnopqrstuvwxyz')}`;
}

export function condition(type: string, state: string, at: string, message?: string): Condition {
  return { type, state, lastTransitionTime: at, ...(message ? { message } : {}) };
}
