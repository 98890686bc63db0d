import t from 'tap';
import { appRoleOf, describeCause, effectiveRole, portalRoleNamed, type MemberGroup, type RoleRule } from '../../src/roles/effective-role.js';

// The precedence as a pure function: app role > most privileged matching group rule > tenant default. No database.
const group = (displayName: string, externalId: string | null = null): MemberGroup => ({ id: `g-${displayName}`, displayName, externalId });
let n = 0;
const rule = (matchBy: RoleRule['matchBy'], value: string, role: RoleRule['role'], createdAt = new Date(1_000 + n)): RoleRule => ({
  id: `r-${++n}`,
  matchBy,
  value,
  role,
  createdAt,
});

t.test('an account in no matched group has the tenant default', async (t) => {
  const got = effectiveRole({ roles: undefined, groups: [group('Sales')], rules: [rule('displayName', 'Helpdesk', 'technician')], defaultRole: 'read-only' });
  t.same(got, { role: 'read-only', cause: { kind: 'default' } });
});

t.test('a rule matching a group by displayName, ignoring case, gives its role', async (t) => {
  const r = rule('displayName', 'helpdesk', 'technician');
  const got = effectiveRole({ roles: [], groups: [group('Helpdesk')], rules: [r], defaultRole: 'read-only' });
  t.equal(got.role, 'technician');
  t.same(got.cause, { kind: 'groupRule', ruleId: r.id, matchBy: 'displayName', value: 'helpdesk', groupId: 'g-Helpdesk', groupDisplayName: 'Helpdesk' });
});

t.test('a rule matching by externalId ignores a group whose displayName happens to equal the value', async (t) => {
  const byExternal = rule('externalId', 'aad-123', 'admin');
  t.equal(effectiveRole({ roles: [], groups: [group('Ops', 'AAD-123')], rules: [byExternal], defaultRole: 'read-only' }).role, 'admin');
  t.equal(effectiveRole({ roles: [], groups: [group('aad-123', null)], rules: [byExternal], defaultRole: 'read-only' }).role, 'read-only');
});

t.test('of several matching rules the most privileged wins, whatever their order', async (t) => {
  const rules = [rule('displayName', 'Helpdesk', 'technician'), rule('displayName', 'Admins', 'admin'), rule('displayName', 'Everyone', 'read-only')];
  const groups = [group('Everyone'), group('Helpdesk'), group('Admins')];
  t.equal(effectiveRole({ roles: [], groups, rules, defaultRole: 'read-only' }).role, 'admin');
  t.equal(effectiveRole({ roles: [], groups, rules: [...rules].reverse(), defaultRole: 'read-only' }).role, 'admin');
});

t.test('two rules giving the same role: the cause names the one created first', async (t) => {
  const older = rule('displayName', 'B', 'technician', new Date(1));
  const newer = rule('displayName', 'A', 'technician', new Date(2));
  const got = effectiveRole({ roles: [], groups: [group('A'), group('B')], rules: [newer, older], defaultRole: 'read-only' });
  t.match(got.cause, { kind: 'groupRule', ruleId: older.id });
});

t.test('an Entra app role wins over a more privileged group rule', async (t) => {
  const got = effectiveRole({
    roles: [{ value: 'Read Only', primary: true }],
    groups: [group('Admins')],
    rules: [rule('displayName', 'Admins', 'admin')],
    defaultRole: 'technician',
  });
  t.same(got, { role: 'read-only', cause: { kind: 'appRole', value: 'Read Only' } });
});

t.test('an app role that names no portal role is ignored: groups decide', async (t) => {
  const got = effectiveRole({ roles: [{ value: 'Billing', primary: true }], groups: [group('Helpdesk')], rules: [rule('displayName', 'Helpdesk', 'technician')], defaultRole: 'read-only' });
  t.equal(got.role, 'technician');
});

t.test('the primary app role is taken first; without a primary, the most privileged recognised one', async (t) => {
  t.same(appRoleOf([{ value: 'Admin' }, { value: 'Technician', primary: 'True' }]), { role: 'technician', value: 'Technician' });
  t.same(appRoleOf([{ value: 'technician' }, { value: 'ADMIN' }, { value: 'x' }]), { role: 'admin', value: 'ADMIN' });
  t.same(appRoleOf([{ value: 'Nope', primary: true }, { value: 'read_only' }]), { role: 'read-only', value: 'read_only' });
  t.equal(appRoleOf([]), undefined);
  t.equal(appRoleOf('admin'), undefined, 'roles must be a list');
});

t.test('role names are recognised ignoring case, spaces, dashes and underscores, and nothing else', async (t) => {
  t.equal(portalRoleNamed('ReadOnly'), 'read-only');
  t.equal(portalRoleNamed(' Tech nician '), 'technician');
  t.equal(portalRoleNamed('Administrator'), undefined);
  t.equal(portalRoleNamed(7), undefined);
});

t.test('the cause reads as a sentence naming the group, the rule and the role', async (t) => {
  const r = rule('displayName', 'Admins', 'admin');
  const got = effectiveRole({ roles: [], groups: [group('Admins')], rules: [r], defaultRole: 'read-only' });
  t.equal(describeCause(got.cause, got.role), `Member of group "Admins" (g-Admins); rule ${r.id} (displayName "Admins") assigns admin.`);
  t.match(describeCause({ kind: 'appRole', value: 'Admin' }, 'admin'), /Entra app role "Admin"/);
  t.match(describeCause({ kind: 'default' }, 'read-only'), /tenant default is read-only/);
});
