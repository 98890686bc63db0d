import { SigningKeyRing } from '../oauth/key-service.js';
import { parseCommandArgs } from './arguments.js';
import { UsageError, emit, type CommandGroup } from './command.js';

export const keysCommand: CommandGroup = {
  name: 'keys',
  summary: 'access-token signing keys: rotate, list',
  usage: 'keys rotate | keys list',
  async run(args, ctx) {
    const { positionals } = parseCommandArgs(args, {});
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const deps = await ctx.deps();
    const ring = new SigningKeyRing({ db: deps.database.db, clock: deps.clock, config: deps.config, log: deps.log });
    if (action === 'rotate') {
      const result = await ring.rotate(ctx.actor);
      emit(
        ctx,
        { kid: result.kid, retired_kid: result.retiredKid ?? null, retired_published_until: result.retiredPublishedUntil?.toISOString() ?? null },
        [
          `new active signing key ${result.kid}`,
          result.retiredKid
            ? `previous key ${result.retiredKid} stays in the JWKS, and its tokens stay valid, until ${result.retiredPublishedUntil?.toISOString()}`
            : 'there was no previous key',
          `running servers switch to the new key within ${deps.config.credentialRecheckSeconds} s`,
        ],
      );
      return 0;
    }
    if (action === 'list') {
      const keys = await ring.list();
      emit(
        ctx,
        {
          keys: keys.map((k) => ({
            kid: k.kid,
            alg: k.alg,
            state: k.state,
            sealed: k.sealed,
            created_at: k.createdAt.toISOString(),
            retired_at: k.retiredAt?.toISOString() ?? null,
            published_until: k.publishUntil?.toISOString() ?? null,
          })),
        },
        keys.length === 0
          ? ['no signing keys yet (the first is created on the first token request, or by keys rotate)']
          : keys.map((k) => `${k.kid}  ${k.alg}  ${k.state.padEnd(9)}  ${k.sealed ? 'sealed' : 'UNSEALED'}  created ${k.createdAt.toISOString()}${k.publishUntil ? `  published until ${k.publishUntil.toISOString()}` : ''}`),
      );
      return 0;
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'an action is required');
  },
};
