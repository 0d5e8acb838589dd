/**
 * Hole 9 of issue 15: separation of duties. Nobody changes their own accreditation; granting `dpo`,
 * `admin` or (issue 21) `legal` takes two admins (one proposes, another approves); both steps are in the log with proposer
 * and approver as (partner, user); revoking a role is immediate and logged.
 */
import type { AuditEntry } from '../../src/audit/types';
import { portalSession } from '../helpers/portal-session';
import { createTestGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
const tokens: Record<string, string> = {};
const as = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });
const ADA = { partnerId: 'gateway', userId: 'ada' };
const BEN = { partnerId: 'gateway', userId: 'ben' };

beforeAll(async () => {
  gw = await createTestGateway();
  for (const user of ['ada', 'ben', 'anna', 'dana']) tokens[user] = await gw.token(user);
});
afterAll(() => gw.close());

const rolesOf = async (partnerId: string, userId: string) =>
  (await gw.store.accreditations.get(partnerId, userId))?.roles;
const entries = async (type: string): Promise<AuditEntry[]> =>
  (await gw.store.audit.read(1, 100_000)).filter((e) => e.type === type);
const propose = (by: string, partnerId: string, userId: string, role: string) =>
  gw.http.post(`/api/v1/admin/accreditations/${partnerId}/${userId}/role-grants`).set(as(by)).send({ role });

describe('hole 9: separation of duties', () => {
  it('hole 9: an admin cannot grant itself the supervisor DPO role, nor change its own accreditation', async () => {
    const self = await gw.http
      .patch('/api/v1/admin/accreditations/gateway/ada')
      .set(as('ada'))
      .send({ roles: ['admin', 'dpo'] });
    expect(self.status).toBe(403);
    expect(self.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await propose('ada', 'gateway', 'ada', 'dpo')).status).toBe(403);
    for (const [method, path, body] of [
      ['patch', '/api/v1/admin/accreditations/gateway/ada', { trainedOn: '2026-01-01' }],
      [
        'put',
        '/api/v1/admin/accreditations/gateway/ada',
        {
          displayName: 'Ada',
          roles: ['admin'],
          vettingLevel: 3,
          trainedOn: '2026-01-01',
          expiresOn: '2030-01-01',
          suspended: false,
        },
      ],
      ['post', '/api/v1/admin/accreditations/gateway/ada/suspend', { reason: 'testing myself' }],
    ] as const) {
      expect((await gw.http[method](path).set(as('ada')).send(body)).status).toBe(403);
    }
    expect(await rolesOf('gateway', 'ada')).toEqual(['admin']);
    expect((await gw.http.get('/api/v1/audit/export?format=jsonl').set(as('ada'))).status).toBe(403);
  });

  it('hole 9: a single admin cannot make anyone dpo or admin alone', async () => {
    const patch = await gw.http
      .patch('/api/v1/admin/accreditations/police-nl/anna')
      .set(as('ada'))
      .send({ roles: ['analyst', 'dpo'] });
    expect(patch.status).toBe(403);
    const created = await gw.http
      .put('/api/v1/admin/accreditations/police-nl/newbie')
      .set(as('ada'))
      .send({
        displayName: 'New Admin',
        roles: ['admin'],
        vettingLevel: 3,
        trainedOn: '2026-01-01',
        expiresOn: '2030-01-01',
        suspended: false,
      });
    expect(created.status).toBe(403);
    expect(await gw.store.accreditations.get('police-nl', 'newbie')).toBeUndefined();

    const proposed = await propose('ada', 'police-nl', 'anna', 'dpo');
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({
      state: 'pending',
      role: 'dpo',
      subject: { partnerId: 'police-nl', userId: 'anna' },
      proposer: ADA,
    });
    // Pending changes nothing; the proposer cannot approve it.
    expect(await rolesOf('police-nl', 'anna')).toEqual(['analyst']);
    const own = await gw.http.post(`/api/v1/admin/role-grants/${proposed.body.id}/approve`).set(as('ada'));
    expect(own.status).toBe(403);
    expect(await rolesOf('police-nl', 'anna')).toEqual(['analyst']);
    expect((await gw.http.get('/api/v1/audit/events').set(as('anna'))).status).toBe(403);
    // A second proposal of the same grant waits for the first.
    expect((await propose('ada', 'police-nl', 'anna', 'dpo')).status).toBe(409);
    // Only admins propose and approve.
    expect((await propose('dana', 'police-nl', 'anna', 'dpo')).status).toBe(403);
    expect(
      (await gw.http.post(`/api/v1/admin/role-grants/${proposed.body.id}/approve`).set(as('dana'))).status,
    ).toBe(403);
  });

  it('issue 21: `legal` (who accepts and withdraws agreements for a partner) also takes two admins', async () => {
    const patch = await gw.http
      .patch('/api/v1/admin/accreditations/police-nl/anna')
      .set(as('ada'))
      .send({ roles: ['analyst', 'legal'] });
    expect(patch.status).toBe(403);
    expect(await rolesOf('police-nl', 'anna')).toEqual(['analyst']);
    const proposed = await propose('ada', 'police-nl', 'tom', 'legal');
    expect(proposed.status).toBe(201);
    expect(await rolesOf('police-nl', 'tom')).toEqual(['analyst']);
    const approved = await gw.http
      .post(`/api/v1/admin/role-grants/${proposed.body.id}/approve`)
      .set(as('ben'));
    expect(approved.status).toBe(200);
    expect(await rolesOf('police-nl', 'tom')).toEqual(['analyst', 'legal']);
  });

  it('hole 9: a second admin’s approval grants the role, and both steps are logged', async () => {
    const pending = await gw.http.get('/api/v1/admin/role-grants').set(as('ben'));
    expect(pending.status).toBe(200);
    const grant = pending.body.items.find(
      (g: { subject: { userId: string }; role: string }) => g.subject.userId === 'anna' && g.role === 'dpo',
    );
    expect(grant).toMatchObject({ state: 'pending', proposer: ADA });
    const approved = await gw.http.post(`/api/v1/admin/role-grants/${grant.id}/approve`).set(as('ben'));
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', decidedBy: BEN });
    expect(await rolesOf('police-nl', 'anna')).toEqual(['analyst', 'dpo']);
    expect((await gw.http.get('/api/v1/audit/events').set(as('anna'))).status).toBe(200);
    // Decided once.
    expect((await gw.http.post(`/api/v1/admin/role-grants/${grant.id}/approve`).set(as('ben'))).status).toBe(
      409,
    );

    const steps = (await entries('role-grant')).filter((e) => e.data.grantId === grant.id);
    expect(steps.map((e) => [e.outcome, e.actorPartner, e.actorUser])).toEqual([
      ['proposed', 'gateway', 'ada'],
      ['approved', 'gateway', 'ben'],
    ]);
    expect(steps[1].data).toMatchObject({
      subject: { partnerId: 'police-nl', userId: 'anna' },
      role: 'dpo',
      proposer: ADA,
      approver: BEN,
    });
    expect(steps[1].partners).toEqual(expect.arrayContaining(['gateway', 'police-nl']));
  });

  it('hole 9: nobody approves a grant to themselves; a rejected grant changes nothing', async () => {
    const toBen = await propose('ada', 'gateway', 'ben', 'dpo');
    expect(toBen.status).toBe(201);
    expect(
      (await gw.http.post(`/api/v1/admin/role-grants/${toBen.body.id}/approve`).set(as('ben'))).status,
    ).toBe(403);
    expect(
      (await gw.http.post(`/api/v1/admin/role-grants/${toBen.body.id}/approve`).set(as('ada'))).status,
    ).toBe(403);
    expect(await rolesOf('gateway', 'ben')).toEqual(['admin']);

    const rejected = await gw.http
      .post(`/api/v1/admin/role-grants/${toBen.body.id}/reject`)
      .set(as('ada'))
      .send({ reason: 'not needed after all' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ state: 'rejected' });
    expect(await rolesOf('gateway', 'ben')).toEqual(['admin']);
    const steps = (await entries('role-grant')).filter((e) => e.data.grantId === toBen.body.id);
    expect(steps.map((e) => e.outcome)).toEqual(['proposed', 'rejected']);
  });

  it('hole 9: revoking a role is immediate and logged', async () => {
    const revoked = await gw.http
      .patch('/api/v1/admin/accreditations/police-nl/anna')
      .set(as('ada'))
      .send({ roles: ['analyst'] });
    expect(revoked.status).toBe(200);
    expect(await rolesOf('police-nl', 'anna')).toEqual(['analyst']);
    expect((await gw.http.get('/api/v1/audit/events').set(as('anna'))).status).toBe(403);
    const change = (await entries('accreditation.change')).at(-1)!;
    expect(change).toMatchObject({ actorPartner: 'gateway', actorUser: 'ada' });
    expect(change.data).toMatchObject({
      subject: { partnerId: 'police-nl', userId: 'anna' },
      changed: { roles: ['analyst'] },
    });
  });

  it('hole 9: the portal lists pending grants with approve and reject forms that carry CSRF tokens', async () => {
    const proposed = await propose('ada', 'police-nl', 'dana', 'admin');
    expect(proposed.status).toBe(201);
    const ben = await portalSession(gw.http, 'ben');
    const page = await gw.http.get('/portal/admin/role-grants').set('Cookie', ben.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/portal/admin/role-grants/${proposed.body.id}/approve`);
    expect(page.text).toContain(`/portal/admin/role-grants/${proposed.body.id}/reject`);
    // Without the CSRF token nothing happens.
    const forged = await gw.http
      .post(`/portal/admin/role-grants/${proposed.body.id}/approve`)
      .set('Cookie', ben.cookie)
      .type('form')
      .send({});
    expect(forged.status).toBe(403);
    expect(await rolesOf('police-nl', 'dana')).toEqual(['dpo']);
    const ok = await gw.http
      .post(`/portal/admin/role-grants/${proposed.body.id}/approve`)
      .set('Cookie', ben.cookie)
      .type('form')
      .send({ _csrf: ben.csrf });
    expect(ok.status).toBe(303);
    expect(await rolesOf('police-nl', 'dana')).toEqual(['dpo', 'admin']);
    // The proposer's own portal refuses the proposer's approval like the API.
    const again = await propose('ben', 'police-nl', 'anna', 'dpo');
    const benOwn = await gw.http
      .post(`/portal/admin/role-grants/${again.body.id}/approve`)
      .set('Cookie', ben.cookie)
      .type('form')
      .send({ _csrf: ben.csrf });
    expect(benOwn.status).toBe(403);
  });
});
