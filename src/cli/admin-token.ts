import { createAdminToken, listTokens, revokeToken, UnknownTenantError } from '../admin/admin-token-service.js';
import { CommandFailure, emit, UsageError, type CommandGroup } from './command.js';
import { parseOptions } from './options.js';

const usage = [
  'admin-token create [--tenant ID|NAME] [--role admin|viewer] [--label TEXT]',
  '       admin-token list [--tenant ID|NAME]',
  '       admin-token revoke TOKEN_ID',
].join('\n');

/** Operators' credentials for /admin/v1 (provisioning logs and the other admin APIs), apart from SCIM ones. */
export const adminTokenCommand: CommandGroup = {
  name: 'admin-token',
  summary: 'create, list and revoke admin API tokens',
  usage,
  async run(args, ctx) {
    const [action, ...rest] = args;
    const deps = await ctx.deps();
    const tokenDeps = { db: deps.database.db, clock: deps.clock };
    try {
      if (action === 'create') {
        const { values, positional } = parseOptions(rest, { values: ['tenant', 'role', 'label'] });
        if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
        const role = values.get('role') ?? 'admin';
        if (role !== 'admin' && role !== 'viewer') throw new UsageError('--role must be admin or viewer');
        const created = await createAdminToken(tokenDeps, { tenant: values.get('tenant'), role, label: values.get('label') }, ctx.actor);
        emit(ctx, { token: created.token, id: created.id, tenant_id: created.tenantId, role: created.role }, [
          `admin token ${created.id} (${created.tenantId ? `tenant ${created.tenantId}` : 'all tenants'}, ${created.role})`,
          '',
          `  ${created.token}`,
          '',
          'Shown once: only its hash is stored. Send it as "Authorization: Bearer <token>" to /admin/v1/.',
        ]);
        return 0;
      }
      if (action === 'list') {
        const { values, positional } = parseOptions(rest, { values: ['tenant'] });
        if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
        const tokens = await listTokens(tokenDeps, values.get('tenant'));
        const shown = tokens.map((tk) => ({
          id: tk.id,
          tenant_id: tk.tenant_id,
          label: tk.label,
          role: tk.role,
          created_at: tk.created_at.toISOString(),
          last_used_at: tk.last_used_at?.toISOString() ?? null,
          revoked_at: tk.revoked_at?.toISOString() ?? null,
        }));
        emit(
          ctx,
          { tokens: shown },
          shown.length === 0
            ? ['no admin tokens']
            : shown.map((tk) => `${tk.id}  ${tk.tenant_id ?? 'all tenants'}  ${tk.role}  ${tk.revoked_at ? `revoked ${tk.revoked_at}` : 'active'}  ${tk.label ?? ''}`.trimEnd()),
        );
        return 0;
      }
      if (action === 'revoke') {
        const { positional } = parseOptions(rest, {});
        const [id] = positional;
        if (!id || positional.length > 1) throw new UsageError('revoke takes one token id');
        if (!(await revokeToken(tokenDeps, id, ctx.actor))) throw new CommandFailure(`no active admin token ${id}`);
        emit(ctx, { id, revoked: true }, [`admin token ${id} revoked`]);
        return 0;
      }
      throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    } catch (err) {
      if (err instanceof UnknownTenantError) throw new CommandFailure(err.message);
      throw err;
    }
  },
};
