import { allTenants, createTenant, setTenantEnabled } from '../tenants/service.js';
import { orFail, parseCommandArgs } from './arguments.js';
import { UsageError, emit, type CommandContext, type CommandGroup } from './command.js';

async function tenantDeps(ctx: CommandContext) {
  const deps = await ctx.deps();
  return { db: deps.database.db, clock: deps.clock };
}

export const tenantCommand: CommandGroup = {
  name: 'tenant',
  summary: 'create, list, disable or enable tenants (MSPs)',
  usage: 'tenant create NAME | tenant list | tenant disable ID|NAME | tenant enable ID|NAME',
  async run(args, ctx) {
    const { positionals } = parseCommandArgs(args, {});
    const [action, target, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    switch (action) {
      case 'create': {
        if (!target) throw new UsageError('tenant create needs a NAME');
        const tenant = await orFail(createTenant(await tenantDeps(ctx), target, ctx.actor));
        emit(ctx, { id: tenant.id, name: tenant.name }, [`created tenant "${tenant.name}"`, `id: ${tenant.id}`, `next: client create --tenant ${tenant.id}`]);
        return 0;
      }
      case 'list': {
        const tenants = await allTenants(await tenantDeps(ctx));
        emit(
          ctx,
          { tenants: tenants.map((x) => ({ id: x.id, name: x.name, status: x.status, created_at: x.created_at.toISOString() })) },
          tenants.length === 0 ? ['no tenants yet (tenant create NAME)'] : tenants.map((x) => `${x.id}  ${x.status.padEnd(8)}  ${x.name}`),
        );
        return 0;
      }
      case 'disable':
      case 'enable': {
        if (!target) throw new UsageError(`tenant ${action} needs a tenant id or name`);
        const tenant = await orFail(setTenantEnabled(await tenantDeps(ctx), target, action === 'enable', ctx.actor));
        emit(ctx, { id: tenant.id, name: tenant.name, status: tenant.status }, [
          `tenant "${tenant.name}" is ${tenant.status}`,
          ...(action === 'disable'
            ? [
                'its clients get no new tokens; issued tokens and secret tokens stop working within CREDENTIAL_RECHECK_SECONDS',
                'its admin tokens and console sessions stop working at once',
              ]
            : []),
        ]);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'an action is required');
    }
  },
};
