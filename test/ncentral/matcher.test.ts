import t from 'tap';
import { planAutoMatch } from '../../src/ncentral/matcher.js';
import { chooseLink, diffDevice, targetFor, usableSerial, type UnitMapping } from '../../src/ncentral/device-diff.js';

const unit = (orgUnitId: string, name: string, state: 'unmatched' | 'matched' = 'unmatched', portalClientId: string | null = null) => ({ orgUnitId, name, state, portalClientId });

t.test('auto-match pairs a name differing only in case and surrounding spaces', async (t) => {
  t.same(planAutoMatch([unit('1', '  ACME Corp ')], [{ id: 'c1', name: 'acme corp' }]), [{ orgUnitId: '1', action: 'match', portalClientId: 'c1' }]);
});

t.test('auto-match does not treat interior spacing or punctuation as equal', async (t) => {
  t.same(planAutoMatch([unit('1', 'Acme  Corp'), unit('2', 'Smith & Co')], [{ id: 'c1', name: 'Acme Corp' }, { id: 'c2', name: 'Smith and Co' }]).map((d) => d.action), ['none', 'none']);
});

t.test('two portal clients with the name leave the customer for a person', async (t) => {
  const [d] = planAutoMatch([unit('1', 'Initech')], [{ id: 'a', name: 'Initech' }, { id: 'b', name: 'INITECH' }]);
  t.match(d, { action: 'ambiguous', note: /2 portal clients/ });
});

t.test('two N-central customers with the name leave both for a person', async (t) => {
  const ds = planAutoMatch([unit('1', 'Globex'), unit('2', 'globex ')], [{ id: 'a', name: 'Globex' }]);
  t.same(ds.map((d) => d.action), ['ambiguous', 'ambiguous']);
});

t.test('a portal client already matched to another customer is not matched twice', async (t) => {
  const ds = planAutoMatch([unit('1', 'Acme', 'matched', 'a'), unit('2', 'ACME')], [{ id: 'a', name: 'Acme' }]);
  t.match(ds, [{ orgUnitId: '2', action: 'ambiguous', note: /already matched/ }]);
});

const units = new Map<string, UnitMapping>([
  ['100', { kind: 'customer', parentId: '50', state: 'matched', portalClientId: 'pc-100' }],
  ['110', { kind: 'site', parentId: '100', state: 'matched', portalClientId: 'pc-110' }],
  ['111', { kind: 'site', parentId: '100', state: 'excluded', portalClientId: null }],
  ['200', { kind: 'customer', parentId: '50', state: 'excluded', portalClientId: null }],
]);

t.test('the target client follows the asset-creation mode', async (t) => {
  t.same(targetFor({ customerId: '100', siteId: '110' }, units, true), { portalClientId: 'pc-100' });
  t.same(targetFor({ customerId: '100', siteId: '110' }, units, false), { portalClientId: 'pc-110' });
  t.same(targetFor({ customerId: '100', siteId: null }, units, false), { portalClientId: 'pc-100' });
  t.same(targetFor({ customerId: '100', siteId: '111' }, units, false), { skip: 'excluded' });
  t.same(targetFor({ customerId: '200', siteId: null }, units, true), { skip: 'excluded' });
  t.same(targetFor({ customerId: '999', siteId: null }, units, true), { skip: 'unknown' });
});

t.test('a device is new, changed, moved or unchanged', async (t) => {
  t.equal(diffDevice('f', undefined, 'pc'), 'create');
  t.equal(diffDevice('f', { fingerprint: 'g', portalClientId: 'pc', removed: false }, 'pc'), 'update');
  t.equal(diffDevice('f', { fingerprint: 'f', portalClientId: 'pc', removed: true }, 'pc'), 'update');
  t.equal(diffDevice('f', { fingerprint: 'f', portalClientId: 'old', removed: false }, 'pc'), 'move');
  t.equal(diffDevice('f', { fingerprint: 'f', portalClientId: 'pc', removed: false }, 'pc'), 'unchanged');
});

t.test('placeholder serial numbers are not serial numbers', async (t) => {
  for (const s of ['To Be Filled By O.E.M.', 'System Serial Number', '0', '000000', '', '  ', 'Default string']) t.equal(usableSerial(s), null, s);
  t.equal(usableSerial(' 5CD1234XYZ '), '5CD1234XYZ');
});

t.test('a link prefers the same serial, else the same name in the same client', async (t) => {
  const candidates = [
    { id: 'by-name', portalClientId: 'pc', name: 'PC-1', serialNumber: null },
    { id: 'by-serial', portalClientId: 'other', name: 'whatever', serialNumber: 'abc123' },
    { id: 'name-elsewhere', portalClientId: 'other', name: 'PC-2', serialNumber: null },
  ];
  t.equal(chooseLink({ longName: 'PC-1' }, { serialNumber: 'ABC123' }, 'pc', candidates)?.id, 'by-serial');
  t.equal(chooseLink({ longName: ' pc-1' }, { serialNumber: null }, 'pc', candidates)?.id, 'by-name');
  t.equal(chooseLink({ longName: 'PC-2' }, null, 'pc', candidates), undefined);
});
