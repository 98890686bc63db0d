import t from 'tap';
import { parseAllowList } from '../../src/config.js';
import { mapIdentity } from '../../src/console/identity-mapping.js';

const allowList = parseAllowList('alice@contoso.com=Contoso:admin; *@contoso.com=Contoso:viewer, oid:abc-123=Fabrikam:admin\nroot@msp.example=*:admin');

t.test('a person listed by e-mail gets their entry even when their domain is also listed', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'Alice@Contoso.com' }, { allowList, tenantClaim: undefined, roleClaim: undefined }), {
    kind: 'mapped', tenantRef: 'Contoso', role: 'admin', source: 'allow-list',
  });
});

t.test('a person of a listed domain gets the domain entry', async (t) => {
  t.match(mapIdentity({ sub: 's', preferred_username: 'bob@contoso.com' }, { allowList, tenantClaim: undefined, roleClaim: undefined }), {
    kind: 'mapped', tenantRef: 'Contoso', role: 'viewer',
  });
});

t.test('a domain entry does not match a look-alike domain', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'eve@evilcontoso.com' }, { allowList, tenantClaim: undefined, roleClaim: undefined }), { kind: 'refused' });
});

t.test('an oid entry matches the Entra object id claim', async (t) => {
  t.match(mapIdentity({ sub: 's', oid: 'ABC-123' }, { allowList, tenantClaim: undefined, roleClaim: undefined }), { kind: 'mapped', tenantRef: 'Fabrikam' });
});

t.test('tenant * makes a service-wide operator', async (t) => {
  t.match(mapIdentity({ sub: 's', email: 'root@msp.example' }, { allowList, tenantClaim: undefined, roleClaim: undefined }), { tenantRef: '*', role: 'admin' });
});

t.test('claims map a person when the allow-list does not; no role value means viewer', async (t) => {
  const rules = { allowList: [], tenantClaim: 'portal_tenant', roleClaim: 'roles' };
  t.match(mapIdentity({ sub: 's', portal_tenant: 'Contoso', roles: ['Admin'] }, rules), { kind: 'mapped', tenantRef: 'Contoso', role: 'admin', source: 'claims' });
  t.match(mapIdentity({ sub: 's', portal_tenant: 'Contoso', roles: ['reader'] }, rules), { role: 'viewer' });
});

t.test('a tenant claim of * or with several values is refused', async (t) => {
  const rules = { allowList: [], tenantClaim: 'portal_tenant', roleClaim: undefined };
  t.match(mapIdentity({ sub: 's', portal_tenant: '*' }, rules), { kind: 'refused' });
  t.match(mapIdentity({ sub: 's', portal_tenant: ['A', 'B'] }, rules), { kind: 'refused', reason: /exactly one/ });
});

t.test('a person mapped nowhere is refused', async (t) => {
  t.match(mapIdentity({ sub: 'x', email: 'carol@other.example' }, { allowList, tenantClaim: undefined, roleClaim: undefined }), {
    kind: 'refused', identity: 'carol@other.example',
  });
});

t.test('a malformed allow-list entry is refused at start with the variable named', async (t) => {
  t.throws(() => parseAllowList('alice@contoso.com=Contoso'), /OIDC_ALLOW_LIST/);
  t.throws(() => parseAllowList('alice@contoso.com=Contoso:owner'), /OIDC_ALLOW_LIST/);
});
