import { resolveTenant, UnknownTenantError } from '../admin/admin-token-service.js';
import { SERVICE_WIDE } from '../audit/audit-entry.js';
import { verifyAuditChains, type ChainReport } from '../audit/verify-service.js';
import { CommandFailure, UsageError, type CommandContext } from './command.js';
import { parseOptions } from './options.js';

export const auditVerifyUsage = 'audit verify [--tenant ID|NAME|service-wide]   (exit 1 when a chain is broken)';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `audit verify`: checks every tenant's hash chain (or one) and names the first broken entry of each — tenant,
 * seq, id, expected and stored hash — exiting 1 when any chain is broken. Undefined for other actions.
 */
export async function runAuditVerify(action: string | undefined, args: string[], ctx: CommandContext): Promise<number | undefined> {
  if (action !== 'verify') return undefined;
  const { values, positional } = parseOptions(args, { values: ['tenant'] });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const deps = await ctx.deps();
  const tenantId = await chainOf(deps.database.db, values.get('tenant'));
  const report = await verifyAuditChains(deps.database.db, { tenantId });
  const broken = report.chains.filter((c) => c.broken);
  ctx.json
    ? ctx.out(JSON.stringify(report))
    : [...report.chains.map(line), broken.length === 0 ? `ok: ${report.chains.length} chain(s) verified` : `BROKEN: ${broken.length} of ${report.chains.length} chain(s)`].forEach((l) => ctx.out(l));
  return broken.length === 0 ? 0 : 1;
}

/** A tenant by id (taken as is: a deleted tenant's trail still verifies) or name, or `service-wide`. */
async function chainOf(db: Parameters<typeof resolveTenant>[0], text: string | undefined): Promise<string | undefined> {
  if (text === undefined) return undefined;
  if (text === 'service-wide') return SERVICE_WIDE;
  if (UUID.test(text)) return text.toLowerCase();
  try {
    return (await resolveTenant(db, text)).id;
  } catch (err) {
    if (err instanceof UnknownTenantError) throw new CommandFailure(err.message);
    throw err;
  }
}

function line(c: ChainReport): string {
  const chain = c.tenantId === SERVICE_WIDE ? 'service-wide' : c.tenantId;
  if (!c.broken) return `${chain}  ok  ${c.entries} entries${c.firstSeq !== null && c.firstSeq > 1 ? ` from seq ${c.firstSeq} (older ones purged)` : ''}${c.head ? `  head ${c.head.seq} ${c.head.hash}` : ''}`;
  const b = c.broken;
  return `${chain}  BROKEN at seq ${b.seq} (entry ${b.id}): ${b.reason}; expected ${b.expected ?? 'null'}, stored ${b.stored ?? 'null'}`;
}
