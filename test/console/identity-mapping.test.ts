import t from 'tap';
import { parseAllowList } from '../../src/config.js';
import { identityClaims, mapIdentity } from '../../src/console/identity-mapping.js';

const allowList = parseAllowList('alice@contoso.com=Contoso:admin; *@contoso.com=Contoso:viewer, oid:abc-123=Fabrikam:admin\nroot@msp.example=*:admin');
const TRUSTED = 'https://login.contoso.example/v2.0';
const rules = { allowList, tenantClaim: undefined, roleClaim: undefined, trustedEmailIssuers: [TRUSTED] };

t.test('a person listed by e-mail gets their entry even when their domain is also listed', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'Alice@Contoso.com', email_verified: true }, rules), {
    kind: 'mapped', tenantRef: 'Contoso', role: 'admin', source: 'allow-list',
  });
});

t.test('a person of a listed domain gets the domain entry', async (t) => {
  t.match(mapIdentity({ iss: `${TRUSTED}/`, sub: 's', preferred_username: 'bob@contoso.com' }, rules), {
    kind: 'mapped', tenantRef: 'Contoso', role: 'viewer',
  });
});

t.test('a domain entry does not match a look-alike domain', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'eve@evilcontoso.com', email_verified: true }, rules), { kind: 'refused' });
});

t.test('an oid entry matches the Entra object id claim', async (t) => {
  t.match(mapIdentity({ sub: 's', oid: 'ABC-123' }, rules), { kind: 'mapped', tenantRef: 'Fabrikam' });
});

t.test('tenant * makes a service-wide operator', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'root@msp.example', email_verified: true }, rules), { tenantRef: '*', role: 'admin' });
});

t.test('claims map a person when the allow-list does not; no role value means viewer', async (t) => {
  const rules = { allowList: [], tenantClaim: 'portal_tenant', roleClaim: 'roles', trustedEmailIssuers: [] };
  t.match(mapIdentity({ sub: 's', portal_tenant: 'Contoso', roles: ['Admin'] }, rules), { kind: 'mapped', tenantRef: 'Contoso', role: 'admin', source: 'claims' });
  t.match(mapIdentity({ sub: 's', portal_tenant: 'Contoso', roles: ['reader'] }, rules), { role: 'viewer' });
});

t.test('a tenant claim of * or with several values is refused', async (t) => {
  const rules = { allowList: [], tenantClaim: 'portal_tenant', roleClaim: undefined, trustedEmailIssuers: [] };
  t.match(mapIdentity({ sub: 's', portal_tenant: '*' }, rules), { kind: 'refused' });
  t.match(mapIdentity({ sub: 's', portal_tenant: ['A', 'B'] }, rules), { kind: 'refused', reason: /exactly one/ });
});

t.test('a person mapped nowhere is refused', async (t) => {
  t.match(mapIdentity({ sub: 'x', email: 'carol@other.example', email_verified: true }, rules), {
    kind: 'refused', identity: 'carol@other.example',
  });
});

t.test('an e-mail the provider does not say is verified matches no allow-list entry', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'alice@contoso.com' }, rules), { kind: 'refused', identity: 'sub:s', reason: /does not vouch/ });
  t.match(mapIdentity({ sub: 's', email: 'alice@contoso.com', email_verified: false }, rules), { kind: 'refused' });
  t.match(mapIdentity({ sub: 's', email: 'alice@contoso.com', email_verified: 'true' }, rules), { kind: 'refused' }, 'only the JSON boolean counts');
  t.match(mapIdentity({ sub: 's', email: 'mallory@contoso.com' }, rules), { kind: 'refused' }, 'nor a domain entry');
});

t.test('a verified e-mail matches its entry', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'alice@contoso.com', email_verified: true }, rules), { kind: 'mapped', identity: 'alice@contoso.com', role: 'admin' });
});

t.test('email_verified vouches for the e-mail only, not for preferred_username or upn', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'x@elsewhere.example', email_verified: true, preferred_username: 'alice@contoso.com' }, rules), { kind: 'refused' });
  t.match(mapIdentity({ sub: 's', upn: 'alice@contoso.com', email_verified: true }, rules), { kind: 'refused' });
});

t.test('an issuer in OIDC_TRUSTED_EMAIL_ISSUERS has its e-mail, preferred_username and upn matched without email_verified', async (t) => {
  for (const claim of ['email', 'preferred_username', 'upn']) {
    t.match(mapIdentity({ iss: TRUSTED, sub: 's', [claim]: 'Alice@Contoso.com' }, rules), { kind: 'mapped', identity: 'alice@contoso.com', role: 'admin' }, claim);
  }
  t.match(mapIdentity({ iss: 'https://other.example', sub: 's', email: 'alice@contoso.com' }, rules), { kind: 'refused' }, 'another issuer is not trusted');
});

t.test('without a vouched-for name the identity shown is the object id, else the subject', async (t) => {
  t.match(mapIdentity({ sub: 's', oid: 'ABC-123', email: 'someone@contoso.com' }, rules), { kind: 'mapped', identity: 'oid:abc-123' });
});

t.test('the claims kept with a session are the ones mapping reads, kept small, and map the same', async (t) => {
  const claimRules = { allowList: [], tenantClaim: 'portal_tenant', roleClaim: 'roles', trustedEmailIssuers: [] };
  const roles = [...Array.from({ length: 500 }, (_, i) => `role-${i}`), 'Admin', 7];
  const claims = { iss: TRUSTED, sub: 's', email: 'a@b.example', email_verified: true, name: 'A', portal_tenant: 'T', roles, big: 'x', upn: 'u'.repeat(5000) };
  const kept = identityClaims(claims, claimRules);
  t.same(kept, { iss: TRUSTED, sub: 's', email: 'a@b.example', email_verified: true, portal_tenant: ['T'], roles: ['admin'] });
  t.same(mapIdentity(kept, claimRules), mapIdentity(claims, claimRules));
  const several = { sub: 's', portal_tenant: ['A', 'B', 'C'], roles: 'viewer' };
  t.match(mapIdentity(identityClaims(several, claimRules), claimRules), { kind: 'refused', reason: /exactly one/ }, 'several tenants still refuse');
  t.same(identityClaims(several, claimRules), { sub: 's', portal_tenant: ['A', 'B'], roles: [] });
});

t.test('a malformed allow-list entry is refused at start with the variable named', async (t) => {
  t.throws(() => parseAllowList('alice@contoso.com=Contoso'), /OIDC_ALLOW_LIST/);
  t.throws(() => parseAllowList('alice@contoso.com=Contoso:owner'), /OIDC_ALLOW_LIST/);
});
