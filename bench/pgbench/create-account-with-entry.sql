-- The create statement with its provisioning-log entry, as src/store/accounts.ts sends it (see bench/README.md).
\set n random(1, 2000000000)
with inserted as (insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, display_name, email, active, resource, version, created_at, updated_at)
values ('11111111-1111-1111-1111-111111111111', gen_random_uuid(), 'new-' || :n || '-' || clock_timestamp() || '@bench.test', 'ext-' || :n, 'New', 'Fam' || :n, null, 'new-' || :n || '@bench.test', true,
 jsonb_build_object('schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'), 'userName', 'new-' || :n || '@bench.test', 'externalId', 'ext-' || :n, 'active', true, 'name', jsonb_build_object('givenName','New','familyName','Fam' || :n), 'emails', jsonb_build_array(jsonb_build_object('type','work','primary',true,'value','new-' || :n || '@bench.test'))),
 1, now(), now())
on conflict (tenant_id, lower(user_name)) do nothing
returning id, user_name, external_id, active, resource, version, created_at, updated_at),
counted as (insert into account_counts (tenant_id, accounts) select '11111111-1111-1111-1111-111111111111'::uuid, 1 from inserted
 on conflict (tenant_id) do update set accounts = account_counts.accounts + 1),
entry as (insert into provisioning_log (tenant_id, occurred_at, client_id, request_id, operation, target_id, target_user_name, target_external_id, http_status, outcome, scim_type, detail, changes, duration_ms)
 select '11111111-1111-1111-1111-111111111111'::uuid, now(), 'client-abc'::text, gen_random_uuid()::text, 'Create', c.id, c.user_name, c.external_id, 201, 'success', null, null,
 '[{"path":"userName","old":null,"new":"x@bench.test"},{"path":"externalId","old":null,"new":"ext-1"},{"path":"active","old":null,"new":true},{"path":"name.givenName","old":null,"new":"New"},{"path":"name.familyName","old":null,"new":"F1"},{"path":"emails","old":null,"new":[{"type":"work","primary":true,"value":"x@bench.test"}]}]'::jsonb, 3
 from inserted c)
select * from inserted;
