import { describe, expect, it } from 'vitest';
import type { Resource, ResourceGraph } from '../../../src/topology/index.js';
import { expandTopology } from '../../../src/topology/index.js';
import { MINIMAL } from '../spec/helpers.js';
import { production, specOf } from './helpers.js';

type Env = { name: string; value?: string }[];

function serviceEnv(svc: Resource): Record<string, string | undefined> {
  const t = (svc.spec as { template: { containers: { env: Env }[] } }).template;
  return Object.fromEntries(t.containers[0]!.env.map((e) => [e.name, e.value]));
}

function oidcOf(sub: Resource): { serviceAccountEmail: string; audience?: string } {
  return (sub.spec as { pushConfig: { oidcToken: { serviceAccountEmail: string; audience?: string } } }).pushConfig.oidcToken;
}

const services = (g: ResourceGraph) => g.resources.filter((r) => r.kind === 'run.Service');
const replicationSub = (g: ResourceGraph, region: string) =>
  g.resources.find((r) => r.kind === 'pubsub.Subscription' && r.region === region && (r.spec as { topic: string }).topic.endsWith('/topics/vector-updates'))!;

/**
 * The service checks each push's OIDC token against PUSH_AUDIENCE and PUSH_SERVICE_ACCOUNT and
 * nothing else (not the request's Host): on GCP those must be exactly what the region's push
 * subscription asks Pub/Sub to put in the token.
 */
describe('push authentication: the subscription and the service agree', () => {
  it('every region: PUSH_AUDIENCE / PUSH_SERVICE_ACCOUNT are its replication subscription\'s audience and signer', () => {
    const { graph } = production();
    const audiences = new Set<string>();
    for (const svc of services(graph)) {
      const env = serviceEnv(svc);
      const oidc = oidcOf(replicationSub(graph, svc.region!));
      expect(oidc.audience, svc.name).toBe(`//run.googleapis.com/${svc.name}/api/v1/pubsub/vector-updates`);
      expect(env.PUSH_AUDIENCE, svc.name).toBe(oidc.audience);
      expect(env.PUSH_SERVICE_ACCOUNT, svc.name).toBe(oidc.serviceAccountEmail);
      // The signer is the service's own runtime account.
      expect((svc.spec as { template: { serviceAccount: string } }).template.serviceAccount).toBe(oidc.serviceAccountEmail);
      audiences.add(oidc.audience!);
    }
    // A token for one region's endpoint is not one for another's.
    expect(audiences.size).toBe(15);
  });

  it('each subscription names its own endpoint as audience (agent-coordination is not vector-updates)', () => {
    const { graph } = production();
    const other = graph.resources.find((r) => r.kind === 'pubsub.Subscription' && r.region === 'us-central1' && (r.spec as { topic: string }).topic.endsWith('/topics/agent-coordination'))!;
    expect(oidcOf(other).audience).toBe('//run.googleapis.com/projects/ruvector-prod/locations/us-central1/services/ruvector-streaming/api/v1/pubsub/agent-coordination');
  });

  it('a PUSH_AUDIENCE in the spec\'s env is the subscription\'s audience too', () => {
    const g = expandTopology(specOf(`${MINIMAL.replace('service:\n', 'service:\n  env:\n    PUSH_AUDIENCE: "https://push.example/${region}"\n')}`));
    const [svc] = services(g);
    expect(serviceEnv(svc!).PUSH_AUDIENCE).toBe('https://push.example/us-central1');
    expect(oidcOf(replicationSub(g, 'us-central1')).audience).toBe('https://push.example/us-central1');
  });

  it('a spec\'s PUSH_SERVICE_ACCOUNT cannot disagree with the account the subscription signs with', () => {
    const g = expandTopology(specOf(`${MINIMAL.replace('service:\n', 'service:\n  env:\n    PUSH_SERVICE_ACCOUNT: someone@else.iam.gserviceaccount.com\n')}`));
    const env = serviceEnv(services(g)[0]!);
    expect(env.PUSH_SERVICE_ACCOUNT).toBe(oidcOf(replicationSub(g, 'us-central1')).serviceAccountEmail);
    expect(env.PUSH_SERVICE_ACCOUNT).not.toBe('someone@else.iam.gserviceaccount.com');
  });

  it('no replication topic (PUBSUB_TOPIC removed): no push env, and the service refuses pushes', () => {
    const g = expandTopology(specOf(`${MINIMAL.replace('service:\n', 'service:\n  env:\n    PUBSUB_TOPIC: ""\n')}`));
    const env = serviceEnv(services(g)[0]!);
    expect(env.PUSH_AUDIENCE).toBeUndefined();
    expect(env.PUSH_SERVICE_ACCOUNT).toBeUndefined();
  });
});
