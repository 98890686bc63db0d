import t from 'tap';
import { parseAllowList } from '../../src/config.js';
import type { SignedInUser } from '../../src/console/session.js';
import { judgeSession } from '../../src/console/session-verdict.js';
import type { ConsoleSessionRecord } from '../../src/store/console-sessions.js';

const now = new Date('2026-12-04T12:00:00Z');
const later = new Date('2026-12-04T20:00:00Z');
const TENANT = { id: '11111111-1111-4111-8111-111111111111', name: 'Contoso', status: 'active' as const };

const tokenUser: SignedInUser = { subject: 'ops', via: 'admin-token', tokenId: 't1', role: 'admin', tenantId: TENANT.id, tenantName: 'Contoso', serviceWide: false };
const tokenRecord: ConsoleSessionRecord = {
  tenantId: TENANT.id,
  via: 'admin-token',
  role: 'admin',
  adminTokenId: 't1',
  identityClaims: null,
  lastSeenAt: now,
  expiresAt: later,
  revokedAt: null,
  adminToken: { revokedAt: null },
  viewedTenant: TENANT,
};

const rules = (allowList: string) => ({ allowList: parseAllowList(allowList), tenantClaim: undefined, roleClaim: undefined, trustedEmailIssuers: [] });
const aliceClaims = { iss: 'https://idp.example', sub: 'a', email: 'alice@contoso.example', email_verified: true };
const oidcUser: SignedInUser = { subject: 'alice@contoso.example', via: 'oidc', role: 'admin', tenantId: TENANT.id, tenantName: 'Contoso', serviceWide: false };
const oidcRecord: ConsoleSessionRecord = { ...tokenRecord, via: 'oidc', adminTokenId: null, adminToken: undefined, identityClaims: aliceClaims };

t.test('a live session with an active token and tenant stands', async (t) => {
  t.same(judgeSession(tokenRecord, tokenUser, now, undefined), { kind: 'valid' });
});

t.test('an unknown, signed-out or expired session has ended', async (t) => {
  t.same(judgeSession(undefined, tokenUser, now, undefined), { kind: 'ended', reason: 'unknown' });
  t.same(judgeSession({ ...tokenRecord, revokedAt: now }, tokenUser, now, undefined), { kind: 'ended', reason: 'signed-out' });
  t.same(judgeSession(tokenRecord, tokenUser, later, undefined), { kind: 'ended', reason: 'expired' });
});

t.test('a revoked or deleted admin token ends the session', async (t) => {
  t.same(judgeSession({ ...tokenRecord, adminToken: { revokedAt: now } }, tokenUser, now, undefined), { kind: 'ended', reason: 'admin-token-revoked' });
  t.same(judgeSession({ ...tokenRecord, adminToken: null }, tokenUser, now, undefined), { kind: 'ended', reason: 'admin-token-revoked' });
});

t.test("a tenant operator's disabled tenant ends the session; a service-wide operator chooses again", async (t) => {
  const disabled = { ...tokenRecord, viewedTenant: { ...TENANT, status: 'disabled' as const } };
  t.same(judgeSession(disabled, tokenUser, now, undefined), { kind: 'ended', reason: 'tenant-disabled' });
  const wide = { ...disabled, tenantId: null };
  t.same(judgeSession(wide, { ...tokenUser, serviceWide: true }, now, undefined), { kind: 'tenant-unavailable' });
});

t.test('a cookie that disagrees with its record (another tenant or role) has ended', async (t) => {
  t.same(judgeSession(tokenRecord, { ...tokenUser, tenantId: '22222222-2222-4222-8222-222222222222' }, now, undefined), { kind: 'ended', reason: 'mismatch' });
  t.same(judgeSession(tokenRecord, { ...tokenUser, role: 'viewer' }, now, undefined), { kind: 'ended', reason: 'mismatch' });
});

t.test('an OpenID session is mapped again against the rules of the moment', async (t) => {
  t.same(judgeSession(oidcRecord, oidcUser, now, rules('alice@contoso.example=Contoso:admin')), { kind: 'valid' });
  t.same(judgeSession(oidcRecord, oidcUser, now, rules(`alice@contoso.example=${TENANT.id}:admin`)), { kind: 'valid' }, 'by tenant id');
  const gone = { kind: 'ended', reason: 'no-longer-allowed' };
  t.same(judgeSession(oidcRecord, oidcUser, now, rules('bob@contoso.example=Contoso:admin')), gone, 'removed');
  t.same(judgeSession(oidcRecord, oidcUser, now, rules('alice@contoso.example=Contoso:viewer')), gone, 'another role');
  t.same(judgeSession(oidcRecord, oidcUser, now, rules('alice@contoso.example=Fabrikam:admin')), gone, 'another tenant');
  t.same(judgeSession(oidcRecord, oidcUser, now, rules('alice@contoso.example=*:admin')), gone, 'made service-wide');
  t.same(judgeSession(oidcRecord, oidcUser, now, undefined), gone, 'OpenID sign-in no longer configured');
});
