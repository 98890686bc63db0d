import t from 'tap';
import { diffDocuments, MAX_CHANGES, MAX_VALUE_CHARS } from '../../src/provisioning-log/changes.js';
import { patchOperation } from '../../src/provisioning-log/scim-entry.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

t.test('changed attributes are listed old → new by path; unchanged ones are not', async (t) => {
  t.same(
    diffDocuments(
      { userName: 'a', name: { givenName: 'G', familyName: 'F' }, active: true, [ENTERPRISE]: { manager: { value: 'm1' } } },
      { userName: 'a', name: { givenName: 'G', familyName: 'X' }, active: false, displayName: 'D', [ENTERPRISE]: {} },
    ),
    [
      { attribute: 'active', old: true, new: false },
      { attribute: 'displayName', new: 'D' },
      { attribute: 'manager.value', old: 'm1' },
      { attribute: 'name.familyName', old: 'F', new: 'X' },
    ],
  );
});

t.test('multi-valued attributes are compared whole', async (t) => {
  t.same(diffDocuments({ emails: [{ value: 'a' }] }, { emails: [{ value: 'b' }] }), [{ attribute: 'emails', old: [{ value: 'a' }], new: [{ value: 'b' }] }]);
  t.same(diffDocuments({ emails: [{ value: 'a' }] }, { emails: [{ value: 'a' }] }), []);
});

t.test('schemas, id, meta and anything secret-looking are never listed', async (t) => {
  t.same(diffDocuments({}, { schemas: ['x'], id: '1', meta: { version: '1' }, password: 'p', clientSecret: 's', apiToken: 't' }), []);
});

t.test('long values are cut and the count is capped with a closing note', async (t) => {
  const [first] = diffDocuments({}, { title: 'x'.repeat(1000) });
  t.equal((first?.new as string).length, MAX_VALUE_CHARS + 1);
  const many = Object.fromEntries(Array.from({ length: MAX_CHANGES + 5 }, (_, i) => [`a${String(i).padStart(3, '0')}`, i]));
  const changes = diffDocuments({}, many);
  t.equal(changes.length, MAX_CHANGES + 1);
  t.same(changes.at(-1), { attribute: '…', new: '5 more attributes changed' });
});

t.test('a PATCH is named Disable, Enable or Update by what it did to active', async (t) => {
  t.equal(patchOperation(true, false), 'Disable');
  t.equal(patchOperation(false, true), 'Enable');
  t.equal(patchOperation(true, true), 'Update');
  t.equal(patchOperation(false, false), 'Update');
});
