/** Pub/Sub: each region's subscriptions ACTIVE, pushing to the region's service, with their dead-letter topic. */
import { resolveRefs } from '../../topology/refs.js';
import type { VerifyContext } from '../context.js';
import { lastSegment } from '../../util/resource-name.js';
import { fail, pass, type CheckDef, type Outcome } from '../types.js';

type Obj = Record<string, unknown>;

export function judgeSubscription(raw: Obj, want: { pushEndpoint?: string; deadLetterTopic?: string; topic?: string }): Outcome {
  if (raw.state && raw.state !== 'ACTIVE' && raw.state !== 'STATE_UNSPECIFIED') return fail(`state ${String(raw.state)}`);
  const push = ((raw.pushConfig ?? {}) as Obj).pushEndpoint;
  if (want.topic && raw.topic !== want.topic) return fail(`attached to ${String(raw.topic)}, expected ${want.topic}`);
  if (want.pushEndpoint && push !== want.pushEndpoint) return fail(`pushes to ${push ? String(push) : 'nothing (pull)'}, expected ${want.pushEndpoint}`);
  const dl = ((raw.deadLetterPolicy ?? {}) as Obj).deadLetterTopic;
  if (want.deadLetterTopic && dl !== want.deadLetterTopic) return fail(`dead-letter topic ${dl ? String(dl) : 'missing'}, expected ${lastSegment(want.deadLetterTopic)}`);
  const dlText = want.deadLetterTopic ? `dead letters to ${lastSegment(want.deadLetterTopic)}` : 'no dead-letter topic (none in the spec)';
  return pass(`pushes to ${String(push ?? 'pull')}; ${dlText}`);
}

export function pubsubChecks(v: VerifyContext, region: string): CheckDef[] {
  return v.live.desired('pubsub.Subscription', region).map((d) => ({
    group: 'pubsub' as const,
    region,
    subject: lastSegment(d.name),
    timeoutMs: v.opts.timeoutMs,
    async run() {
      const spec = d.spec as Obj;
      const o = await v.live.get(d);
      if (!o) return fail(`subscription ${lastSegment(d.name)} does not exist`);
      const wantPush = ((spec.pushConfig ?? {}) as Obj).pushEndpoint;
      let pushEndpoint: string | undefined;
      if (typeof wantPush === 'string') {
        const values = new Map<string, string | undefined>();
        resolveRefs(wantPush, (name, field) => {
          values.set(`${name}#${field}`, undefined);
          return '';
        });
        for (const key of values.keys()) {
          const [name, field] = key.split('#') as [string, string];
          values.set(key, await v.live.field(name, field));
        }
        const missing = [...values].filter(([, val]) => val === undefined).map(([k]) => k);
        if (missing.length) return fail(`cannot tell the right push endpoint: ${missing.join(', ')} unknown (service missing?)`);
        pushEndpoint = resolveRefs(wantPush, (name, field) => values.get(`${name}#${field}`)!);
      }
      const deadLetterTopic = ((spec.deadLetterPolicy ?? {}) as Obj).deadLetterTopic as string | undefined;
      return judgeSubscription(o.raw, { pushEndpoint, deadLetterTopic, topic: spec.topic as string | undefined });
    },
  }));
}
