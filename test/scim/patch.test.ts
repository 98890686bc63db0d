import t from 'tap';
import { normaliseEntraPatch } from '../../src/scim/entra-compat.js';
import { ScimError } from '../../src/scim/errors.js';
import { applyPatch } from '../../src/scim/patch.js';
import { checkUserDocument } from '../../src/scim/user-resource.js';

// PATCH as a pure function: Entra's body → normalised operations → the document to store. No database.
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';
const patchOf = (...Operations: unknown[]) => normaliseEntraPatch({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });
const base = (more: Record<string, unknown> = {}): Record<string, unknown> => ({ schemas: [CORE], userName: 'u@x', active: true, name: { givenName: 'G', familyName: 'F' }, ...more });
const scimTypeOf = (fn: () => unknown): string | null | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ScimError ? err.scimType : 'not a ScimError';
  }
  return undefined;
};

t.test('a custom extension attribute is a PATCH path, in any case, and keeps its stored spelling', async (t) => {
  const doc = base({ [CUSTOM]: { Tag: 'Blue' } });
  const out = applyPatch(doc, patchOf({ op: 'Replace', path: `${CUSTOM.toLowerCase()}:TAG`, value: 'Green' }));
  t.same(out[CUSTOM], { Tag: 'Green' });
  t.same(doc[CUSTOM], { Tag: 'Blue' }, 'the stored document is not changed');
});

t.test('a custom extension URN, or a custom attribute path, as a key of a path-less value', async (t) => {
  const ops = patchOf({ op: 'add', value: { [CUSTOM]: { tag: 'A', code: 'C' } } }, { op: 'replace', value: { [`${CUSTOM}:tag`]: 'B' } });
  t.same(ops.map((o) => o.path), [`${CUSTOM}:tag`, `${CUSTOM}:code`, `${CUSTOM}:tag`]);
  const { document } = checkUserDocument(applyPatch(base(), ops));
  t.same(document[CUSTOM], { tag: 'B', code: 'C' });
  t.same(document['schemas'], [CORE, CUSTOM], 'the extension a PATCH brought in is listed in schemas');
});

t.test('"True" in a value-path filter is the boolean: a repeated add finds the element it created', async (t) => {
  const op = patchOf({ op: 'Add', path: 'roles[primary eq "True"].value', value: 'Admin' });
  t.same(op[0]?.path, 'roles[primary eq true].value');
  const once = applyPatch(base(), op);
  const thrice = applyPatch(applyPatch(once, op), op);
  t.same(thrice['roles'], [{ primary: true, value: 'Admin' }]);
});

t.test('type keeps the case it was sent in and value-path filters match it ignoring case', async (t) => {
  const { document } = checkUserDocument(base({ emails: [{ type: 'Work', value: 'a@x' }] }));
  t.same(document['emails'], [{ type: 'Work', value: 'a@x' }]);
  const out = applyPatch(document, patchOf({ op: 'replace', path: 'emails[type eq "WORK"].value', value: 'b@x' }));
  t.same(out['emails'], [{ type: 'Work', value: 'b@x' }]);
  t.equal(checkUserDocument(out).fields.email, 'b@x', 'a "Work" email is the work email');
});

t.test('two elements of one type are 400 invalidValue', async (t) => {
  t.equal(scimTypeOf(() => checkUserDocument(base({ emails: [{ type: 'work', value: 'a@x' }, { type: 'Work', value: 'b@x' }] }))), 'invalidValue');
  t.equal(scimTypeOf(() => checkUserDocument(base({ emails: [{ type: 'work', value: 'a@x' }, { type: 'home', value: 'b@x' }, { value: 'c@x' }, { value: 'd@x' }] }))), undefined);
});

t.test('remove with a value removes the elements whose value matches, ignoring their other sub-attributes and case', async (t) => {
  const doc = base({ emails: [{ type: 'work', value: 'A@x', primary: true }, { type: 'home', value: 'b@x' }] });
  t.same(applyPatch(doc, patchOf({ op: 'Remove', path: 'emails', value: [{ value: 'a@x' }] }))['emails'], [{ type: 'home', value: 'b@x' }]);
  t.same(applyPatch(doc, patchOf({ op: 'Remove', path: 'emails', value: { value: 'b@x', type: 'other' } }))['emails'], [{ type: 'work', value: 'A@x', primary: true }]);
  t.notOk('emails' in applyPatch(doc, patchOf({ op: 'remove', path: 'emails', value: [{ value: 'a@x' }, { value: 'b@x' }] })), 'no element left: unassigned');
  t.same(applyPatch(doc, patchOf({ op: 'remove', path: 'emails', value: [{ value: 'nobody@x' }] }))['emails'], doc['emails'], 'nothing matches: nothing removed');
});

t.test('a custom attribute named like a built-in of every object (constructor, toString) is 400 invalidPath, and nothing is polluted', async (t) => {
  for (const path of [`${CUSTOM}:constructor.prototype`, `${CUSTOM}:toString.polluted`, `${CUSTOM}:__proto__`]) {
    t.equal(scimTypeOf(() => applyPatch(base(), patchOf({ op: 'add', path, value: 'x' }))), 'invalidPath', path);
  }
  t.equal(scimTypeOf(() => patchOf({ op: 'add', value: { [CUSTOM]: { valueOf: 'x' } } })), 'invalidPath');
  t.equal((Object.prototype.toString as unknown as Record<string, unknown>)['polluted'], undefined);
});
