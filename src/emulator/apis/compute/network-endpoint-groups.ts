import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { crudRoutes, defineKind, itemPath, locOf, collectionFor, type Res } from './shared/resource.js';
import { resourceKey } from './shared/links.js';
import { asRecord, checkName, oneOf } from './shared/validate.js';

const SERVERLESS_TARGETS = ['cloudRun', 'appEngine', 'cloudFunction', 'serverlessDeployment'] as const;

/** Regional NEGs; the topology uses SERVERLESS ones pointing at Cloud Run services. */
export const regionNetworkEndpointGroups = defineKind({
  plural: 'networkEndpointGroups',
  kind: 'compute#networkEndpointGroup',
  listKind: 'compute#networkEndpointGroupList',
  scope: 'regional',
  noun: 'network_endpoint_group',
  outputOnly: ['size'],
  quota: (_res, loc) => ({ scope: loc.region!, metric: 'NETWORK_ENDPOINT_GROUPS' }),
  build(input) {
    const type = oneOf(input.networkEndpointType, 'resource.networkEndpointType', ['SERVERLESS', 'PRIVATE_SERVICE_CONNECT', 'INTERNET_FQDN_PORT', 'INTERNET_IP_PORT', 'GCE_VM_IP_PORT', 'NON_GCP_PRIVATE_IP_PORT'], 'GCE_VM_IP_PORT');
    const out: Res = { description: input.description, networkEndpointType: type, size: 0 };
    if (type !== 'SERVERLESS') {
      if (type === 'PRIVATE_SERVICE_CONNECT' && input.pscTargetService) out.pscTargetService = input.pscTargetService;
      if (input.network !== undefined) out.network = input.network;
      if (input.defaultPort !== undefined) out.defaultPort = input.defaultPort;
      return out;
    }
    const present = SERVERLESS_TARGETS.filter((t) => input[t] !== undefined);
    if (present.length !== 1) throw err.badRequest('A SERVERLESS network endpoint group needs exactly one of cloudRun, appEngine, cloudFunction or serverlessDeployment.', 'invalid');
    const which = present[0]!;
    const target = asRecord(input[which], `resource.${which}`);
    if (which === 'cloudRun') {
      if (!target.service && !target.urlMask) throw err.required('resource.cloudRun.service');
      if (target.service !== undefined) checkName(target.service, 'resource.cloudRun.service');
    }
    if (which === 'cloudFunction' && !target.function && !target.urlMask) throw err.required('resource.cloudFunction.function');
    if (input.network !== undefined || input.subnetwork !== undefined) throw err.badRequest('network and subnetwork cannot be set on a SERVERLESS network endpoint group.', 'invalid');
    if (input.defaultPort !== undefined) throw err.badRequest('defaultPort cannot be set on a SERVERLESS network endpoint group.', 'invalid');
    out[which] = target;
    return out;
  },
});

export function negRoutes(): Route[] {
  const item = itemPath(regionNetworkEndpointGroups);
  return [
    ...crudRoutes(regionNetworkEndpointGroups),
    {
      // Serverless NEGs have no endpoints to list.
      method: 'POST', path: `${item}/listNetworkEndpoints`, style: 'compute', api: 'compute',
      handler: (req, ctx) => {
        const loc = locOf(req, ctx);
        const key = resourceKey(loc.project, loc.region, 'networkEndpointGroups', req.params.name!);
        if (!collectionFor(ctx, 'networkEndpointGroups').get(key)) throw err.notFound(key);
        return { body: { kind: 'compute#networkEndpointGroupsListNetworkEndpoints' } };
      },
    },
  ];
}

