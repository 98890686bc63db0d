import { createSecretToken, revokeTenantSecretToken, tenantSecretTokens } from '../oauth/credential-service.js';
import { scimAudienceFor } from '../oauth/urls.js';
import { resolveTenant } from '../tenants/service.js';
import { UsageError, emit, type CommandGroup } from './command.js';
import { orFail, parseCommandArgs } from './arguments.js';

export const tokenCommand: CommandGroup = {
  name: 'token',
  summary: "long-lived SCIM secret tokens (Entra's Secret Token field): create, list, revoke",
  usage: 'token create --tenant ID|NAME | token list --tenant ID|NAME | token revoke TOKEN_ID --tenant ID|NAME',
  async run(args, ctx) {
    const { positionals, values } = parseCommandArgs(args, { tenant: { type: 'string' } });
    const [action, tokenId, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (action !== 'create' && action !== 'list' && action !== 'revoke') {
      throw new UsageError(action ? `unknown action "${action}"` : 'an action is required');
    }
    if (!values.tenant) throw new UsageError(`token ${action} needs --tenant ID|NAME`);
    const deps = await ctx.deps();
    const services = { db: deps.database.db, clock: deps.clock };
    const tenant = await orFail(resolveTenant(services, values.tenant));
    if (action === 'create') {
      const { id, token } = await createSecretToken(services, tenant.id, ctx.actor);
      const base = deps.config.publicBaseUrl;
      emit(ctx, { token }, [
        `created secret token ${id} for tenant "${tenant.name}". Paste into Entra's provisioning Admin Credentials:`,
        `  Tenant URL:   ${base ? scimAudienceFor(base) : '<PUBLIC_BASE_URL>/scim/v2'}`,
        `  Secret Token: ${token}`,
        'The token is shown only this once; it is stored as a one-way hash. Revoke it with `token revoke ' + id + ` --tenant ${tenant.id}\`.`,
        ...(base ? [] : ['PUBLIC_BASE_URL is not set: set it to the URL Entra reaches this service at.']),
      ]);
      return 0;
    }
    if (action === 'list') {
      const tokens = await tenantSecretTokens(services, tenant.id);
      emit(
        ctx,
        {
          tokens: tokens.map((x) => ({
            id: x.id,
            status: x.revoked_at ? 'revoked' : 'active',
            created_at: x.created_at.toISOString(),
            last_used_at: x.last_used_at?.toISOString() ?? null,
          })),
        },
        tokens.length === 0
          ? [`tenant "${tenant.name}" has no secret tokens`]
          : tokens.map((x) => `${x.id}  ${x.revoked_at ? 'revoked' : 'active '}  created ${x.created_at.toISOString()}  last used ${x.last_used_at?.toISOString() ?? 'never'}`),
      );
      return 0;
    }
    if (!tokenId) throw new UsageError('token revoke needs a TOKEN_ID (see token list)');
    await orFail(revokeTenantSecretToken(services, tenant.id, tokenId, ctx.actor));
    emit(ctx, { id: tokenId, status: 'revoked' }, [`revoked secret token ${tokenId}; it stops working within ${deps.config.credentialRecheckSeconds} s`]);
    return 0;
  },
};
