/**
 * Reading and updating one Cloud Run service for a rollout. The body sent is what deploy
 * sends (the spec's fields, references resolved) with the live scaling kept, so a rollout
 * never undoes a `ruvector scale` window, and only the image, revision name and traffic changed.
 * The write goes through the run.Service provider's update, the same call and operation wait
 * a deploy makes, so the two can never send a service differently.
 */
import { fromClient } from '../gcp/proto.js';
import type { Session } from '../engine/session.js';
import type { Observed, Resource } from '../engine/types.js';
import { classify } from '../gcp/errors.js';
import { withRetry } from '../engine/retry.js';
import { findRefs, resolveRefs } from '../topology/refs.js';
import { Live } from '../verify/live.js';
import { shares, type Share, type TrafficTarget } from './traffic.js';
import { lastSegment, regionFromName } from '../util/resource-name.js';

type Obj = Record<string, unknown>;
const TYPE = 'google.cloud.run.v2.Service';

export interface LiveService {
  name: string;
  raw: Obj;
  image: string;
  latestReady: string;
  latestCreated: string;
  shares: Share[];
}

const short = (s: unknown): string => lastSegment(String(s ?? ''));

export function imageOf(template: unknown): string {
  const c = ((template as Obj | undefined)?.containers ?? []) as Obj[];
  return String(c[0]?.image ?? '');
}

export async function readService(session: Session, name: string): Promise<LiveService | undefined> {
  try {
    const [obj] = await withRetry(() => session.clients.run.getService({ name }), session.timing.backoff);
    const raw = fromClient('run', TYPE, obj);
    return {
      name,
      raw,
      image: imageOf(raw.template),
      latestReady: short(raw.latestReadyRevision),
      latestCreated: short(raw.latestCreatedRevision),
      shares: shares(raw.trafficStatuses as TrafficTarget[] | undefined, short(raw.latestReadyRevision)),
    };
  } catch (err) {
    if ((err as { code?: number }).code === 5 || (err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export function desiredService(session: Session, region: string): Resource {
  const d = session.desired.find((r) => r.kind === 'run.Service' && r.region === region);
  if (!d) throw new Error(`the spec has no Cloud Run service in ${region}`);
  return d;
}

export interface ServiceChange {
  image: string;
  /** Name the new revision (a canary), or keep the latest one (undefined + keepRevision). */
  revision?: string;
  traffic: TrafficTarget[];
  /** Service annotations to add (what `rollout rollback` needs to know later). */
  annotations?: Record<string, string | null>;
  /** template.scaling to send instead of the live one (`ruvector scale`). */
  scaling?: Record<string, unknown>;
}

export const PREVIOUS_IMAGE_ANNOTATION = 'ruvector.dev/rollout-previous-image';

/** Sends the update and waits for Cloud Run's operation; a failed revision rejects with the API's message. */
export async function updateService(session: Session, d: Resource, live: LiveService, change: ServiceChange): Promise<LiveService> {
  let spec = structuredClone(d.spec);
  if (findRefs(spec).length) {
    const l = new Live(session);
    const values = new Map<string, string>();
    for (const u of findRefs(spec)) values.set(`${u.name}#${u.field}`, (await l.field(u.name, u.field)) ?? '');
    spec = resolveRefs(spec, (n, f) => values.get(`${n}#${f}`) ?? '');
  }
  const template = (spec.template ?? {}) as Obj;
  const liveTemplate = (live.raw.template ?? {}) as Obj;
  if (change.scaling) template.scaling = change.scaling;
  else if (liveTemplate.scaling) template.scaling = liveTemplate.scaling;
  const containers = ((template.containers ?? []) as Obj[]).map((c, i) => (i === 0 ? { ...c, image: change.image } : c));
  const body: Obj = {
    ...spec,
    template: { ...template, containers, ...(change.revision ? { revision: change.revision } : {}) },
    traffic: change.traffic,
  };
  const annotations: Record<string, string | null> = { ...((spec.annotations ?? {}) as Record<string, string>), ...((live.raw.annotations ?? {}) as Record<string, string>), ...(change.annotations ?? {}) };
  for (const [k, v] of Object.entries(annotations)) if (v === null) delete annotations[k];
  if (Object.keys(annotations).length || live.raw.annotations) body.annotations = annotations;
  const provider = session.registry.get('run.Service');
  if (!provider) throw new Error('no provider for run.Service in this session');
  // The provider sends the whole service (Cloud Run takes no update mask) named r.name, with the observed etag.
  const desired: Resource = { ...d, spec: body };
  const observed = observedService(live);
  const changes = provider.diff(desired, observed, session.ctx);
  // Retried on network errors and 429/503; a retry that finds the named revision already made means the first try landed.
  await withRetry(async (attempt) => {
    try {
      await provider.update(session.ctx, desired, observed, changes);
    } catch (err) {
      if (attempt > 0 && classify(err).kind === 'alreadyExists') return;
      throw err;
    }
  }, session.timing.backoff);
  const after = await readService(session, d.name);
  if (!after) throw new Error(`${d.name} disappeared during the update`);
  return after;
}

/** The live service as the provider observes it: what its update echoes (the etag) comes from here. */
function observedService(live: LiveService): Observed {
  const etag = typeof live.raw.etag === 'string' && live.raw.etag ? live.raw.etag : undefined;
  return { kind: 'run.Service', name: live.name, region: regionFromName(live.name), raw: live.raw, labels: (live.raw.labels ?? {}) as Record<string, string>, version: etag };
}

/** A revision name Cloud Run accepts: `<service>-<suffix>`, lowercase, at most 63 characters. */
export function revisionNameFor(service: string, image: string, nonce: string): string {
  const tag = (image.split('@')[0]!.split(':')[1] ?? 'image').toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const suffix = `${tag || 'image'}-${nonce}`.slice(0, Math.max(8, 62 - short(service).length));
  return `${short(service)}-${suffix}`.slice(0, 63).replace(/-$/, '');
}
