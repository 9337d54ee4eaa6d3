/**
 * Where the load balancer answers. At its public address: https://<first domain> (the managed
 * certificate's name), or the forwarding rule's IP. On a target whose data plane serves the
 * front door locally (the emulator): where the data plane says, with the domain as Host.
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

export async function resolveFrontDoor(session: Session, live: Live): Promise<FrontDoor | undefined> {
  const domain = session.spec.loadBalancer?.domains?.[0];
  if (session.clients.capabilities.frontDoor === 'data-plane') {
    const url = await session.clients.dataPlaneFrontDoor();
    return url ? { url: url.replace(/\/$/, ''), host: domain } : undefined;
  }
  if (domain) return { url: `https://${domain}` };
  const fr = live.desired('compute.GlobalForwardingRule').find((r) => String((r.spec as Obj).portRange ?? '').startsWith('443'));
  const ip = fr ? await live.field(fr.name, 'IPAddress') : undefined;
  return ip ? { url: `https://${ip}` } : undefined;
}
