/** IAM v1 service accounts and project IAM policies, through @googleapis/iam and plain REST. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iam, type iam_v1 } from '@googleapis/iam';
import { PassThroughClient } from 'google-auth-library';
import { errorBody, PROJECT, startTestEmulator, type TestEmulator } from './helpers.js';

let t: TestEmulator;
let client: iam_v1.Iam;
const email = `ruvector-run@${PROJECT}.iam.gserviceaccount.com`;
const name = `projects/${PROJECT}/serviceAccounts/${email}`;

beforeAll(async () => {
  t = await startTestEmulator();
  client = iam({ version: 'v1', rootUrl: `${t.url}/`, auth: new PassThroughClient() as never });
});
afterAll(async () => {
  await t?.stop();
});

async function post<T>(path: string, body: unknown): Promise<{ status: number; data: T }> {
  const r = await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, data: (await r.json()) as T };
}

describe('IAM service accounts', () => {
  it('creates with server fields, refuses duplicates and bad ids', async () => {
    const { data: sa } = await client.projects.serviceAccounts.create({
      name: `projects/${PROJECT}`,
      requestBody: { accountId: 'ruvector-run', serviceAccount: { displayName: 'ruvector Cloud Run runtime' } },
    });
    expect(sa).toMatchObject({ name, email, projectId: PROJECT, displayName: 'ruvector Cloud Run runtime' });
    expect(sa.uniqueId).toMatch(/^\d{21}$/);
    expect(sa.oauth2ClientId).toBe(sa.uniqueId);
    expect(sa.etag).toBeTruthy();

    const dup = await client.projects.serviceAccounts.create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'ruvector-run' } }).catch((e: unknown) => e);
    expect(errorBody(dup).status).toBe('ALREADY_EXISTS');
    for (const bad of ['short', 'Upper-case-id', 'ends-with-hyphen-', 'x'.repeat(31)]) {
      const e = await client.projects.serviceAccounts.create({ name: `projects/${PROJECT}`, requestBody: { accountId: bad } }).catch((x: unknown) => x);
      expect(errorBody(e).code).toBe(400);
    }
  });

  it('gets by email, by unique id and with the - wildcard; lists', async () => {
    const { data: byEmail } = await client.projects.serviceAccounts.get({ name });
    const { data: byId } = await client.projects.serviceAccounts.get({ name: `projects/${PROJECT}/serviceAccounts/${byEmail.uniqueId}` });
    expect(byId.email).toBe(email);
    const { data: wild } = await client.projects.serviceAccounts.get({ name: `projects/-/serviceAccounts/${email}` });
    expect(wild.uniqueId).toBe(byEmail.uniqueId);
    await client.projects.serviceAccounts.create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'ruvector-deployer' } });
    const { data: list } = await client.projects.serviceAccounts.list({ name: `projects/${PROJECT}` });
    expect(list.accounts?.map((a) => a.email?.split('@')[0]).sort()).toEqual(['ruvector-deployer', 'ruvector-run']);
    const missing = await client.projects.serviceAccounts.get({ name: `projects/${PROJECT}/serviceAccounts/nobody@${PROJECT}.iam.gserviceaccount.com` }).catch((e: unknown) => e);
    expect(errorBody(missing).code).toBe(404);
  });

  it('patches with an update mask; a stale etag is ABORTED', async () => {
    const { data: cur } = await client.projects.serviceAccounts.get({ name });
    const { data: upd } = await client.projects.serviceAccounts.patch({
      name,
      requestBody: { serviceAccount: { description: 'runs the vector service', etag: cur.etag }, updateMask: 'description' },
    });
    expect(upd.description).toBe('runs the vector service');
    expect(upd.displayName).toBe('ruvector Cloud Run runtime');
    expect(upd.etag).not.toBe(cur.etag);
    const stale = await client.projects.serviceAccounts
      .patch({ name, requestBody: { serviceAccount: { description: 'x', etag: cur.etag }, updateMask: 'description' } })
      .catch((e: unknown) => e);
    expect(errorBody(stale).status).toBe('ABORTED');
  });

  it('service account and project IAM policies: read-modify-write with etags', async () => {
    const { data: p0 } = await client.projects.serviceAccounts.getIamPolicy({ resource: name });
    const { data: p1 } = await client.projects.serviceAccounts.setIamPolicy({
      resource: name,
      requestBody: { policy: { etag: p0.etag, bindings: [{ role: 'roles/iam.serviceAccountUser', members: [`serviceAccount:ruvector-deployer@${PROJECT}.iam.gserviceaccount.com`] }] } },
    });
    expect(p1.bindings?.[0]?.role).toBe('roles/iam.serviceAccountUser');

    // Cloud Resource Manager v1 project policy, as the deployer grants roles.
    const { data: proj0 } = await post<{ etag: string }>(`/v1/projects/${PROJECT}:getIamPolicy`, {});
    const grant = { policy: { etag: proj0.etag, bindings: [{ role: 'roles/cloudsql.client', members: [`serviceAccount:${email}`] }] } };
    const set = await post<{ etag: string; bindings: { role: string }[] }>(`/v1/projects/${PROJECT}:setIamPolicy`, grant);
    expect(set.status).toBe(200);
    expect(set.data.bindings[0]?.role).toBe('roles/cloudsql.client');
    const stale = await post<{ error: { status: string } }>(`/v1/projects/${PROJECT}:setIamPolicy`, grant);
    expect(stale.status).toBe(409);
    expect(stale.data.error.status).toBe('ABORTED');
    const ghost = await post<{ error: { status: string } }>(`/v3/projects/${PROJECT}:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/viewer', members: [`serviceAccount:ghost-account@${PROJECT}.iam.gserviceaccount.com`] }] },
    });
    expect(ghost.status).toBe(400);
  });

  it('deletes', async () => {
    await client.projects.serviceAccounts.delete({ name });
    const gone = await client.projects.serviceAccounts.get({ name }).catch((e: unknown) => e);
    expect(errorBody(gone).code).toBe(404);
  });
});

describe('IAM eventual consistency', () => {
  it('a new service account is briefly unknown to get and to policy bindings, then appears', async () => {
    // Seed 7 draws a visibility delay well above the time of the first reads.
    const e = await startTestEmulator({ consistencyDelayMs: 1000, seed: 7 });
    try {
      const c = iam({ version: 'v1', rootUrl: `${e.url}/`, auth: new PassThroughClient() as never });
      await c.projects.serviceAccounts.create({ name: `projects/${PROJECT}`, requestBody: { accountId: 'fresh-account' } });
      const freshEmail = `fresh-account@${PROJECT}.iam.gserviceaccount.com`;
      const freshName = `projects/${PROJECT}/serviceAccounts/${freshEmail}`;
      const grant = { policy: { bindings: [{ role: 'roles/cloudsql.client', members: [`serviceAccount:${freshEmail}`] }] } };
      const setPolicy = () => fetch(`${e.url}/v1/projects/${PROJECT}:setIamPolicy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(grant) });

      expect(errorBody(await c.projects.serviceAccounts.get({ name: freshName }).catch((x: unknown) => x)).code).toBe(404);
      expect((await setPolicy()).status).toBe(400);
      let visible = false;
      for (let i = 0; i < 300 && !visible; i++) {
        visible = (await c.projects.serviceAccounts.get({ name: freshName }).catch(() => undefined)) !== undefined;
        if (!visible) await new Promise((res) => setTimeout(res, 10));
      }
      expect(visible).toBe(true);
      expect((await setPolicy()).status).toBe(200);
    } finally {
      await e.stop();
    }
  });
});
