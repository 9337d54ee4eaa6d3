/** The global load balancer: forwarding rule -> proxy -> URL map -> backends -> NEGs, the certificate, Cloud Armor. */
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { computeRef } from '../live.js';
import { fail, pass, warn, type CheckDef, type Outcome } from '../types.js';

type Obj = Record<string, unknown>;

/** Every backend service a URL map can send to. */
export function urlMapServices(raw: Obj): string[] {
  const out = new Set<string>();
  const add = (s: unknown) => typeof s === 'string' && s && out.add(s);
  add(raw.defaultService);
  for (const pm of (raw.pathMatchers ?? []) as Obj[]) {
    add(pm.defaultService);
    for (const rr of (pm.routeRules ?? []) as Obj[]) add(rr.service);
    for (const pr of (pm.pathRules ?? []) as Obj[]) add(pr.service);
  }
  return [...out];
}

async function chain(v: VerifyContext, frName: string): Promise<Outcome> {
  const steps: string[] = [];
  const fr = await v.live.get({ kind: 'compute.GlobalForwardingRule', name: frName });
  if (!fr) return fail(`forwarding rule ${lastSegment(frName)} does not exist`);
  steps.push(lastSegment(frName));
  const target = String(fr.raw.target ?? '');
  const proxy = target ? await v.live.link(target) : undefined;
  if (!proxy?.observed) return fail(`${steps.join(' -> ')} -> proxy ${target ? lastSegment(target) : '(none)'} missing`);
  steps.push(lastSegment(proxy.ref.name));
  const um = typeof proxy.observed.raw.urlMap === 'string' ? await v.live.link(proxy.observed.raw.urlMap) : undefined;
  if (!um?.observed) return fail(`${steps.join(' -> ')} -> URL map ${String(proxy.observed.raw.urlMap ?? '(none)')} missing`);
  steps.push(lastSegment(um.ref.name));
  const services = urlMapServices(um.observed.raw);
  if (!services.length) {
    const redirect = um.observed.raw.defaultUrlRedirect ? ' (redirect)' : '';
    return pass(`${steps.join(' -> ')}${redirect}`);
  }
  let negs = 0;
  for (const s of services) {
    const be = await v.live.link(s);
    if (!be?.observed) return fail(`${steps.join(' -> ')} -> backend ${lastSegment(s)} missing`);
    const groups = ((be.observed.raw.backends ?? []) as Obj[]).map((b) => String(b.group ?? ''));
    if (!groups.length) return fail(`${steps.join(' -> ')} -> backend ${lastSegment(s)} has no backends`);
    for (const g of groups) {
      const neg = await v.live.link(g);
      if (!neg?.observed) return fail(`${steps.join(' -> ')} -> ${lastSegment(s)} -> NEG ${lastSegment(g)} missing`);
      const run = (neg.observed.raw.cloudRun ?? {}) as Obj;
      const region = neg.ref.region ?? computeRef(g)?.region;
      if (typeof run.service === 'string' && region) {
        const svc = await v.live.get({ kind: 'run.Service', name: `projects/${v.session.target.project}/locations/${region}/services/${run.service}`, region });
        if (!svc) return fail(`${steps.join(' -> ')} -> ${lastSegment(s)} -> NEG ${lastSegment(g)} -> Cloud Run ${run.service} in ${region} missing`);
      }
      negs++;
    }
  }
  return pass(`${steps.join(' -> ')} -> ${services.length} backend services -> ${negs} NEGs`, { backends: services.map(lastSegment) });
}

export function judgeCertificate(raw: Obj): Outcome {
  const managed = (raw.managed ?? {}) as Obj;
  const status = String(managed.status ?? (raw.type === 'SELF_MANAGED' ? 'SELF_MANAGED' : 'unknown'));
  const domains = Object.entries((managed.domainStatus ?? {}) as Record<string, string>).map(([d, s]) => `${d} ${s}`).join(', ');
  if (status === 'ACTIVE' || status === 'SELF_MANAGED') return pass(`${status}${domains ? ` (${domains})` : ''}`);
  if (status === 'PROVISIONING') return warn(`PROVISIONING${domains ? ` (${domains})` : ''}: point the domains' DNS at the load balancer's address; Google issues within ~60 min`);
  return fail(`${status}${domains ? ` (${domains})` : ''}`);
}

export function lbChecks(v: VerifyContext): CheckDef[] {
  const out: CheckDef[] = [];
  for (const fr of v.live.desired('compute.GlobalForwardingRule')) {
    out.push({ group: 'lb', subject: lastSegment(fr.name), timeoutMs: v.opts.timeoutMs, run: () => chain(v, fr.name) });
  }
  for (const c of v.live.desired('compute.SslCertificate')) {
    out.push({
      group: 'lb',
      subject: `certificate ${lastSegment(c.name)}`,
      timeoutMs: v.opts.timeoutMs,
      async run() {
        const o = await v.live.get(c);
        return o ? judgeCertificate(o.raw) : fail('does not exist');
      },
    });
  }
  const backends = v.live.desired('compute.BackendService').filter((b) => typeof (b.spec as Obj).securityPolicy === 'string');
  if (backends.length) {
    out.push({
      group: 'lb',
      subject: 'cloud armor',
      timeoutMs: v.opts.timeoutMs,
      async run() {
        const problems: string[] = [];
        const policies = new Set<string>();
        for (const b of backends) {
          const want = String((b.spec as Obj).securityPolicy);
          policies.add(want);
          const o = await v.live.get(b);
          if (!o) problems.push(`${lastSegment(b.name)} missing`);
          else if (computeRef(String(o.raw.securityPolicy ?? ''))?.name !== computeRef(want)?.name) {
            problems.push(`${lastSegment(b.name)} has ${o.raw.securityPolicy ? lastSegment(String(o.raw.securityPolicy)) : 'no policy'}`);
          }
        }
        for (const p of policies) {
          const o = await v.live.get({ kind: 'compute.SecurityPolicy', name: computeRef(p)?.name ?? p });
          if (!o) problems.push(`policy ${lastSegment(p)} does not exist`);
        }
        if (problems.length) return fail(`Armor policy not attached: ${problems.join('; ')}`);
        return pass(`${[...policies].map(lastSegment).join(', ')} attached to ${backends.length} backend services`);
      },
    });
  }
  return out;
}
