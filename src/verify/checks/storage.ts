/** Cloud Storage: the region's bucket exists with the settings the spec gives it (the provider's own diff). */
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { fail, pass, type CheckDef } from '../types.js';

export function storageChecks(v: VerifyContext, region: string): CheckDef[] {
  return v.live.desired('storage.Bucket', region).map((d) => ({
    group: 'storage' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: v.opts.timeoutMs,
    async run() {
      const o = await v.live.get(d);
      if (!o) return fail(`bucket ${lastSegment(d.name)} does not exist`);
      const provider = v.session.registry.get(d.kind)!;
      const changes = provider.diff(d, o, v.session.ctx);
      if (changes.length) {
        const list = changes.map((c) => (c.sensitive ? c.path : `${c.path} is ${JSON.stringify(c.before)}, spec ${JSON.stringify(c.after)}`));
        return fail(`settings differ: ${list.join('; ')}`, { changes: changes.map((c) => c.path) });
      }
      const s = d.spec as Record<string, unknown>;
      return pass(`${String(s.location ?? '')} ${String(s.storageClass ?? '')}, settings as specified`.trim());
    },
  }));
}
