import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import t from 'tap';
import { ScimError } from '../../src/scim/errors.js';
import { compileFilter, parseFilter, userNameEquality } from '../../src/scim/filter.js';
import type { DB } from '../../src/store/tables.js';

// Compiles without a database: filter translation is pure and its SQL is asserted as text.
const db = new Kysely<DB>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const compiled = (filter: string) => compileFilter(parseFilter(filter)).compile(db);

t.test('userName eq compiles to lower() on both sides, the shape of the (tenant_id, lower(user_name)) index', async (t) => {
  const q = compiled('userName eq "Alice@Contoso.com"');
  t.equal(q.sql, '("user_name" = $1)'.replace('"user_name" = $1', 'lower("user_name") = lower($1)'));
  t.same(q.parameters, ['Alice@Contoso.com']);
});

t.test('attribute names and operators are case-insensitive', async (t) => {
  t.equal(compiled('USERNAME EQ "a"').sql, compiled('userName eq "a"').sql);
  t.equal(compiled('Name.GivenName sw "a"').sql, compiled('name.givenName sw "a"').sql);
  t.equal(compiled('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"').sql, compiled('userName eq "a"').sql);
});

t.test('externalId is caseExact, so it compares the column itself (the (tenant_id, external_id) index)', async (t) => {
  const q = compiled('externalId eq "E-1"');
  t.equal(q.sql, '("external_id" = $1)');
  t.same(q.parameters, ['E-1']);
});

t.test('an unquoted externalId value, as Entra sometimes sends it, is taken as a string', async (t) => {
  const q = compiled('externalId eq 5b0f1c2e-7a6d-4c1b-9e8f-0a1b2c3d4e5f');
  t.same(q.parameters, ['5b0f1c2e-7a6d-4c1b-9e8f-0a1b2c3d4e5f']);
  t.same(compiled('externalId eq 1234').parameters, ['1234']);
});

t.test('co, sw and ew become LIKE with the value escaped and bound', async (t) => {
  t.same(compiled('displayName co "50%_off"').parameters, ['%50\\%\\_off%']);
  t.same(compiled('displayName sw "a"').parameters, ['a%']);
  t.same(compiled('displayName ew "a"').parameters, ['%a']);
  t.match(compiled('displayName co "x"').sql, /lower\("display_name"\) like lower\(\$1\) escape '\\'/);
});

t.test('every value is a bound parameter, never spliced into the SQL', async (t) => {
  const q = compiled(`userName eq "x'); drop table accounts; --"`);
  t.notMatch(q.sql, /drop table/);
  t.same(q.parameters, [`x'); drop table accounts; --`]);
});

t.test('and, or, not and grouping keep their structure', async (t) => {
  const q = compiled('(userName eq "a" or userName eq "b") and not (active eq false)');
  t.equal(q.sql, '(((lower("user_name") = lower($1)) or (lower("user_name") = lower($2))) and (not coalesce(("active" = $3), false)))');
  t.same(q.parameters, ['a', 'b', false]);
});

t.test('pr tests presence; gt/ge/lt/le compare', async (t) => {
  t.equal(compiled('displayName pr').sql, '("display_name" is not null and "display_name" <> \'\')');
  t.equal(compiled('userName gt "m"').sql, '(lower("user_name") > lower($1))');
  t.match(compiled('meta.created ge "2026-01-01T00:00:00Z"').sql, /"created_at" >= cast\(\$1 as timestamptz\)/);
  t.match(compiled('meta.lastModified lt "2026-01-01T00:00:00Z"').sql, /"updated_at" < cast/);
});

t.test('emails.value and emails[type eq "work"].value are EXISTS over the jsonb elements, on one element, behind an index-backed containment', async (t) => {
  const one = compiled('emails.value eq "a@x"');
  t.match(one.sql, /^\(\(match_document @> cast\(lower\(\$1\) as jsonb\)\) and exists \(select 1 from jsonb_array_elements\(.*resource->'emails'.*\) as e\(v\) where \(lower\(\(v->>'value'\)\) = lower\(\$2\)\)\)\)$/);
  t.same(one.parameters, ['{"emails":[{"value":"a@x"}]}', 'a@x']);
  const q = compiled('emails[type eq "work"].value eq "a@x"');
  t.match(q.sql, /^\(\(match_document @> cast\(lower\(\$1\) as jsonb\)\) and exists \(select 1 from jsonb_array_elements\(.*\) as e\(v\) where \(\(lower\(\(v->>'type'\)\) = lower\(\$2\)\) and \(lower\(\(v->>'value'\)\) = lower\(\$3\)\)\)\)\)$/);
  t.same(q.parameters, ['{"emails":[{"type":"work","value":"a@x"}]}', 'work', 'a@x']);
});

t.test('id eq uses the primary key for a UUID and matches nothing otherwise', async (t) => {
  t.equal(compiled('id eq "6f1d0e1c-0000-4000-8000-000000000000"').sql, '(id = cast($1 as uuid))');
  t.equal(compiled('id eq "nope"').sql, 'false');
});

t.test('malformed or unknown filters are ScimError 400 invalidFilter', async (t) => {
  for (const f of ['', 'userName eq', 'userName "x"', 'shoeSize eq "1"', 'name.shoe eq "1"', 'active co "t"', 'active eq "maybe"', 'userName eq true',
    'meta.created gt "not a date"', 'emails[value eq "x"] and (', 'x'.repeat(3000), `${'('.repeat(40)}userName eq "x"${')'.repeat(40)}`, 'userName[type eq "x"]']) {
    let caught: unknown;
    try {
      compileFilter(parseFilter(f));
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof ScimError && caught.statusCode === 400 && caught.scimType === 'invalidFilter', f.slice(0, 40));
  }
});

t.test('userNameEquality spots the lookup Entra sends for Test Connection and nothing else', async (t) => {
  t.equal(userNameEquality(parseFilter('userName eq "abc"')), 'abc');
  t.equal(userNameEquality(parseFilter('UserName eq "abc"')), 'abc');
  t.equal(userNameEquality(parseFilter('userName eq "abc" and active eq true')), undefined);
  t.equal(userNameEquality(parseFilter('externalId eq "abc"')), undefined);
});
