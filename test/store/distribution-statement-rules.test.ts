import t from 'tap';
import { TABLE_PLACEMENTS } from '../../src/store/distribution.js';
import { loadStatementParser, statementProblems, type StatementRulesOptions } from '../helpers/citus-statement-rules.js';

// The statement checker of test/store/distribution-statements.test.ts, on statements written to pass or break it.
const options: StatementRulesOptions = {
  placements: TABLE_PLACEMENTS,
  fanOuts: [{ id: 'retention-purge', where: 'w', why: 'y', cost: 'c' }],
  ownSchemas: ['app'],
};

const pinned = [
  'select * from accounts where tenant_id = $1 and id = $2',
  'select * from app.accounts where tenant_id = $1::uuid',
  'select * from accounts where tenant_id in ($1)',
  'select a.* from accounts a join group_members gm on gm.tenant_id = a.tenant_id and gm.account_id = a.id where a.tenant_id = $1',
  'select a.id from accounts a left join groups g on g.tenant_id = a.tenant_id and g.id = $2 where a.tenant_id = $1',
  'select * from accounts a where a.tenant_id = $1 and exists (select 1 from group_members gm where gm.tenant_id = a.tenant_id)',
  'select (select count(*) from groups g where g.tenant_id = a.tenant_id) from accounts a where a.tenant_id = $1',
  'with x as (select id from accounts where tenant_id = $1) select * from x',
  'select * from (select id from provisioning_log where tenant_id = $1 order by id desc limit $2) p',
  'insert into accounts (tenant_id, id) values ($1, $2), ($1, $3) on conflict (tenant_id, id) do update set user_name = excluded.user_name',
  'insert into asset_changes (tenant_id, run_id) select tenant_id, $2 from assets where tenant_id = $1',
  'update accounts set user_name = $1 where tenant_id = $2 and id = $3',
  'update assets set removed_at = $1 from ncentral_devices d where d.tenant_id = assets.tenant_id and assets.tenant_id = $2',
  'delete from provisioning_log where tenant_id = $1 and occurred_at < $2',
  'delete from group_members gm using groups g where g.tenant_id = $1 and gm.tenant_id = g.tenant_id and gm.group_id = g.id',
  'select * from tenants where id = $1',
  'select * from admin_tokens where token_hash = $1',
  'select * from pgboss.job where name = $1',
  'begin',
  'delete from provisioning_log where occurred_at < $1 /* fan-out: retention-purge */',
];

const unscoped: [string, RegExp][] = [
  ['select * from accounts where id = $1', /^accounts is not pinned to one tenant/],
  ['select * from accounts where tenant_id = any($1)', /^accounts is not pinned/],
  ['select * from accounts where tenant_id = $1 or id = $2', /^accounts is not pinned/],
  ['select * from accounts a join groups g on g.id = a.id where a.tenant_id = $1', /^groups \(as g\) is not pinned/],
  ['select * from accounts a left join groups g on g.tenant_id = $1 and g.id = a.id', /^accounts \(as a\) is not pinned/],
  ['select * from accounts a where a.tenant_id = $1 and exists (select 1 from group_members gm where gm.account_id = a.id)', /^group_members \(as gm\) is not pinned/],
  ['with x as (select id from accounts) select * from x', /^accounts is not pinned/],
  ['insert into accounts (id, user_name) values ($1, $2)', /^insert into accounts does not give tenant_id/],
  ['update accounts set tenant_id = $1 where tenant_id = $2 and id = $3', /^update of accounts sets tenant_id/],
  ['update accounts set active = false where id = $1', /^accounts is not pinned/],
  ['delete from provisioning_log where occurred_at < $1', /^provisioning_log is not pinned/],
  ['select * from console_sessions s join accounts a on a.tenant_id = s.tenant_id where s.tenant_id = $1', /^joins distributed and coordinator-local tables/],
  ['select * from mystery where tenant_id = $1', /^table mystery is not classified/],
  ['select * from accounts /* fan-out: sneaky */', /^marked fan-out: sneaky, which FAN_OUT_QUERIES .* does not list/],
];

t.before(loadStatementParser);

t.test('statements pinned to one tenant, on reference tables or marked as listed fan-out pass', async (t) => {
  for (const text of pinned) t.same(statementProblems(text, options), [], text);
});

t.test('an unscoped statement is reported with the table and the rule it breaks', async (t) => {
  for (const [text, problem] of unscoped) {
    const found = statementProblems(text, options);
    t.ok(found.some((p) => problem.test(p)), `${text} → ${found.join('; ') || 'nothing reported'}`);
  }
});
