import { clientTenant, createClient, revokeOAuthClient, rotateClientSecret, tenantClients } from '../oauth/credential-service.js';
import { scimAudienceFor, tokenEndpointFor } from '../oauth/urls.js';
import { resolveTenant } from '../tenants/service.js';
import { CommandFailure, UsageError, emit, type CommandGroup } from './command.js';
import { orFail, parseCommandArgs } from './arguments.js';

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--overlap 24h`: how long the old secret keeps working after a rotation (`0` ends it at once). */
export function parseOverlap(text: string): number {
  if (text === '0') return 0;
  const match = DURATION.exec(text);
  if (!match) throw new UsageError(`--overlap must be 0 or a number with s, m, h or d (e.g. 24h), not "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export const clientCommand: CommandGroup = {
  name: 'client',
  summary: "OAuth clients Entra signs in with: create, list, rotate a secret, revoke",
  usage:
    'client create --tenant ID|NAME | client list --tenant ID|NAME | client rotate CLIENT_ID [--overlap 24h | --old-valid-until ISO-TIME] | client revoke CLIENT_ID',
  async run(args, ctx) {
    const { positionals, values } = parseCommandArgs(args, { tenant: { type: 'string' }, overlap: { type: 'string' }, 'old-valid-until': { type: 'string' } });
    const [action, clientArg, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const deps = await ctx.deps();
    const services = { db: deps.database.db, clock: deps.clock };
    const tenantOf = async () => {
      if (!values.tenant) throw new UsageError(`client ${action ?? ''} needs --tenant ID|NAME`);
      return orFail(resolveTenant(services, values.tenant));
    };
    /** A client id names its tenant; --tenant, when given, must agree. */
    const clientAndTenant = async () => {
      if (!clientArg) throw new UsageError(`client ${action ?? ''} needs a CLIENT_ID`);
      const tenantId = await orFail(clientTenant(services, clientArg));
      if (values.tenant && (await tenantOf()).id !== tenantId) throw new CommandFailure(`client "${clientArg}" does not belong to tenant "${values.tenant}"`);
      return { clientId: clientArg, tenantId };
    };
    const base = deps.config.publicBaseUrl;
    switch (action) {
      case 'create': {
        const tenant = await tenantOf();
        const { clientId, clientSecret } = await createClient(services, tenant.id, ctx.actor);
        const tenantUrl = base ? scimAudienceFor(base) : null;
        const tokenEndpoint = base ? tokenEndpointFor(base) : null;
        emit(ctx, { client_id: clientId, client_secret: clientSecret, tenant_url: tenantUrl, token_endpoint: tokenEndpoint }, [
          `created an OAuth client for tenant "${tenant.name}". Paste these into Entra's provisioning Admin Credentials:`,
          `  Tenant URL:        ${tenantUrl ?? '<PUBLIC_BASE_URL>/scim/v2'}`,
          `  Token Endpoint:    ${tokenEndpoint ?? '<PUBLIC_BASE_URL>/oauth2/token'}`,
          `  Client Identifier: ${clientId}`,
          `  Client Secret:     ${clientSecret}`,
          'The secret is shown only this once; it is stored as a one-way hash.',
          ...(base ? [] : ['PUBLIC_BASE_URL is not set: set it to the URL Entra reaches this service at, or the tokens will not match the URLs Entra uses.']),
        ]);
        return 0;
      }
      case 'list': {
        const tenant = await tenantOf();
        const clients = await tenantClients(services, tenant.id);
        emit(
          ctx,
          {
            clients: clients.map((c) => ({
              client_id: c.client_id,
              status: c.status,
              created_at: c.created_at.toISOString(),
              last_used_at: c.last_used_at?.toISOString() ?? null,
            })),
          },
          clients.length === 0
            ? [`tenant "${tenant.name}" has no clients (client create --tenant ${tenant.id})`]
            : clients.map((c) => `${c.client_id}  ${c.status.padEnd(7)}  created ${c.created_at.toISOString()}  last used ${c.last_used_at?.toISOString() ?? 'never'}`),
        );
        return 0;
      }
      case 'rotate': {
        const { clientId, tenantId } = await clientAndTenant();
        if (values.overlap !== undefined && values['old-valid-until'] !== undefined) throw new UsageError('give --overlap or --old-valid-until, not both');
        const now = deps.clock.now();
        let until = new Date(now.getTime() + parseOverlap(values.overlap ?? '24h'));
        if (values['old-valid-until'] !== undefined) {
          until = new Date(values['old-valid-until']);
          if (Number.isNaN(until.getTime())) throw new UsageError('--old-valid-until must be an ISO 8601 time, e.g. 2026-12-01T12:00:00Z');
        }
        const { clientSecret } = await orFail(rotateClientSecret(services, tenantId, clientId, until, ctx.actor));
        const oldValidUntil = (until < now ? now : until).toISOString();
        emit(ctx, { client_id: clientId, client_secret: clientSecret, old_secret_valid_until: oldValidUntil }, [
          `new Client Secret for ${clientId}: ${clientSecret}`,
          'The secret is shown only this once.',
          `The previous secret keeps working until ${oldValidUntil}; update Entra before then.`,
        ]);
        return 0;
      }
      case 'revoke': {
        const { clientId, tenantId } = await clientAndTenant();
        await orFail(revokeOAuthClient(services, tenantId, clientId, ctx.actor));
        emit(ctx, { client_id: clientId, status: 'revoked' }, [
          `revoked ${clientId}: it gets no new tokens, and its issued tokens stop working within ${deps.config.credentialRecheckSeconds} s`,
        ]);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'an action is required');
    }
  },
};
