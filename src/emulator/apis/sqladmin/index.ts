/**
 * Cloud SQL Admin v1 (`sqladmin.googleapis.com/v1`), as @google-cloud/sql's v1 clients call it.
 *
 * Data-plane seam (the local data plane keeps a real Postgres per instance from these):
 * `resource.changed` events with api 'sqladmin' and kind
 * - 'sql#instance': created (PENDING_CREATE), updated (RUNNABLE, settings changes, restart),
 *   deleted; name = `projects/{p}/instances/{i}`, resource = the stored DatabaseInstance;
 * - 'sql#database': created / updated / deleted, name = `.../databases/{d}`;
 * - 'sql#user': created / updated / deleted, name = `.../users/{host}/{name}` (URI-encoded);
 *   events never carry the password (they are visible on /__emulator/events): the data
 *   plane reads it from `ctx.store.collection('sqladmin.users').peek(name).password`.
 * A data plane may implement `sqlEndpoint(instanceKey) -> {host, port}`; the instance's
 * PRIVATE address then reports that host.
 */
import type { ApiModule, EmuRequest, EmuResponse, EmulatorContext, Route } from '../../core/types.js';
import { API } from './common.js';
import * as db from './databases.js';
import * as inst from './instances.js';
import { getOperation, listOperations, registerSqlCompleter } from './operations.js';

const base = '/v1/projects/{project}';

type H = (ctx: EmulatorContext, req: EmuRequest) => Promise<EmuResponse>;

function route(method: Route['method'], path: string, h: H, write = method !== 'GET'): Route {
  return { method, path: `${base}${path}`, style: 'sql', api: API, write, handler: (req, ctx) => h(ctx, req) };
}

const sqladmin: ApiModule = {
  name: API,
  routes(ctx: EmulatorContext): Route[] {
    registerSqlCompleter(ctx);
    return [
      route('POST', '/instances', inst.insertInstance),
      route('GET', '/instances', inst.listInstances),
      route('GET', '/instances/{instance}', inst.getInstance),
      route('PATCH', '/instances/{instance}', inst.patchInstance),
      route('PUT', '/instances/{instance}', inst.updateInstance),
      route('DELETE', '/instances/{instance}', inst.deleteInstance),
      route('POST', '/instances/{instance}/restart', inst.restartInstance),
      route('POST', '/instances/{instance}/failover', inst.failoverInstance),
      route('POST', '/instances/{instance}/promoteReplica', inst.promoteReplica),
      route('POST', '/instances/{instance}/databases', db.insertDatabase),
      route('GET', '/instances/{instance}/databases', db.listDatabases),
      route('GET', '/instances/{instance}/databases/{database}', db.getDatabase),
      route('PATCH', '/instances/{instance}/databases/{database}', db.changeDatabase),
      route('PUT', '/instances/{instance}/databases/{database}', db.changeDatabase),
      route('DELETE', '/instances/{instance}/databases/{database}', db.deleteDatabase),
      route('POST', '/instances/{instance}/users', db.insertUser),
      route('GET', '/instances/{instance}/users', db.listUsers),
      route('GET', '/instances/{instance}/users/{name}', db.getUser),
      route('PUT', '/instances/{instance}/users', db.updateUser),
      route('DELETE', '/instances/{instance}/users', db.deleteUser),
      route('GET', '/operations/{operation}', getOperation),
      route('GET', '/operations', listOperations),
    ];
  },
};

export default sqladmin;
