-- The create statement the service sends with PROVISIONING_LOG_ENABLED=false (see bench/README.md).
\set n random(1, 2000000000)
with inserted as (insert into accounts (tenant_id, id, user_name, external_id, given_name, family_name, display_name, email, active, resource, version, created_at, updated_at)
values ('11111111-1111-1111-1111-111111111111', gen_random_uuid(), 'new-' || :n || '-' || clock_timestamp() || '@bench.test', 'ext-' || :n, 'New', 'Fam' || :n, null, 'new-' || :n || '@bench.test', true,
 jsonb_build_object('schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'), 'userName', 'new-' || :n || '@bench.test', 'externalId', 'ext-' || :n, 'active', true, 'name', jsonb_build_object('givenName','New','familyName','Fam' || :n), 'emails', jsonb_build_array(jsonb_build_object('type','work','primary',true,'value','new-' || :n || '@bench.test'))),
 1, now(), now())
on conflict (tenant_id, lower(user_name)) do nothing
returning id, user_name, external_id, active, resource, version, created_at, updated_at),
counted as (insert into account_counts (tenant_id, accounts) select '11111111-1111-1111-1111-111111111111'::uuid, 1 from inserted
 on conflict (tenant_id) do update set accounts = account_counts.accounts + 1)
select * from inserted;
