/** /health/ready through the Cloud Run URL, and through the load balancer with the region's X-Client-Region. */
import type { VerifyContext } from '../context.js';
import { excerpt, jsonOf, request } from '../http.js';
import { lastSegment } from '../../util/resource-name.js';
import { fail, pass, warn, type CheckDef, type Outcome } from '../types.js';

/** Reads the service's /health/ready answer: 200 ok, 200 degraded (Redis down: serves uncached), 503. */
export function judgeReady(status: number, body: string, expectRegion: string | undefined, via: string): Outcome {
  const j = jsonOf(body);
  const checks = (j?.checks ?? {}) as Record<string, unknown>;
  const down = Object.entries(checks).filter(([, v]) => v === 'down' || v === 'loading' || v === true).map(([k, v]) => `${k} ${v === true ? 'draining' : String(v)}`);
  if (status !== 200) return fail(`${via}: HTTP ${status}${down.length ? ` (${down.join(', ')})` : body ? ` ${excerpt(body)}` : ''}`);
  if (expectRegion && typeof j?.region === 'string' && j.region !== expectRegion) {
    return fail(`${via}: answered by region ${j.region}, expected ${expectRegion}`);
  }
  if (j?.status === 'degraded') return warn(`${via}: ready but degraded (${down.join(', ') || 'dependency down'})`, { checks });
  return pass(`${via}: ready${typeof j?.region === 'string' ? ` (region ${j.region})` : ''}`, j ? { checks } : undefined);
}

export function healthChecks(v: VerifyContext, region: string): CheckDef[] {
  const out: CheckDef[] = [];
  for (const d of v.live.desired('run.Service', region)) {
    out.push({
      group: 'health',
      region,
      subject: `${lastSegment(d.name)} url`,
      timeoutMs: v.opts.timeoutMs,
      async run(signal) {
        const o = await v.live.get(d);
        const uri = typeof o?.raw.uri === 'string' ? o.raw.uri : undefined;
        if (!uri) return fail('the service has no URL');
        const r = await request(`${uri.replace(/\/$/, '')}/health/ready`, { timeoutMs: v.opts.timeoutMs, signal });
        return judgeReady(r.status, r.body, region, 'service URL');
      },
    });
  }
  const route = v.session.spec.loadBalancer.clientRegionRoutes.find((c) => c.region === region);
  out.push({
    group: 'health',
    region,
    subject: 'load balancer',
    timeoutMs: v.opts.timeoutMs,
    async run(signal) {
      if (!route) return warn(`no X-Client-Region route sends traffic to ${region} (loadBalancer.clientRegionRoutes)`);
      const fd = await v.frontDoor();
      if (!fd) {
        return v.session.clients.capabilities.frontDoor === 'data-plane'
          ? warn('the emulator serves no load balancer front door (data plane without it): not checked')
          : fail('no address for the load balancer (no domain and no forwarding rule IP)');
      }
      const headers: Record<string, string> = { 'x-client-region': route.value };
      if (fd.host) headers.host = fd.host;
      const r = await request(`${fd.url}/health/ready`, { headers, timeoutMs: v.opts.timeoutMs, signal });
      return judgeReady(r.status, r.body, region, `LB (X-Client-Region: ${route.value})`);
    },
  });
  return out;
}
