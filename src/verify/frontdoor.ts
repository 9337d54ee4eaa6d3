/**
 * Where the load balancer answers. Real GCP: https://<first domain> (the managed
 * certificate's name), or the forwarding rule's IP with the domain as Host. The emulator:
 * the front door its data plane serves, found on GET /__emulator/dataplane.
 */
import type { Session } from '../engine/session.js';
import type { Live } from './live.js';

export interface FrontDoor {
  /** Base URL requests go to. */
  url: string;
  /** Host header to send (the spec's domain) when the URL is an address. */
  host?: string;
}

type Obj = Record<string, unknown>;

/** Any `url`/`uri` string under a front-door-like part of the data plane status. */
export function findFrontDoorUrl(status: unknown): string | undefined {
  const parts = (status as { parts?: Obj } | undefined)?.parts ?? {};
  for (const [name, part] of Object.entries(parts)) {
    if (!/front|lb|load/i.test(name) || !part || typeof part !== 'object') continue;
    const p = part as Obj;
    for (const k of ['url', 'uri', 'httpsUrl', 'httpUrl']) if (typeof p[k] === 'string') return p[k] as string;
    const listeners = (p.listeners ?? []) as Obj[];
    const l = listeners.find((x) => typeof x.url === 'string' && String(x.protocol ?? '').toUpperCase() === 'HTTPS') ?? listeners.find((x) => typeof x.url === 'string');
    if (l) return l.url as string;
  }
  return undefined;
}

export async function resolveFrontDoor(session: Session, live: Live): Promise<FrontDoor | undefined> {
  const domain = session.spec.loadBalancer?.domains?.[0];
  const t = session.target;
  if (t.kind === 'emulator') {
    const res = await fetch(`http://${t.host}:${t.port}/__emulator/dataplane`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    if (!res?.ok) return undefined;
    const url = findFrontDoorUrl(await res.json().catch(() => undefined));
    return url ? { url: url.replace(/\/$/, ''), host: domain } : undefined;
  }
  if (domain) return { url: `https://${domain}` };
  const fr = live.desired('compute.GlobalForwardingRule').find((r) => String((r.spec as Obj).portRange ?? '').startsWith('443'));
  const ip = fr ? await live.field(fr.name, 'IPAddress') : undefined;
  return ip ? { url: `https://${ip}` } : undefined;
}
