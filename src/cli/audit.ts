import { auditVerifyUsage, runAuditVerify } from './audit-verify.js';
import { UsageError, type CommandGroup } from './command.js';

/** The audit trail's CLI group: `audit verify` here; `audit search` / `audit tail` come with the read side. */
export const auditCommand: CommandGroup = {
  name: 'audit',
  summary: 'verify the audit trail of administrative actions',
  usage: auditVerifyUsage,
  async run(args, ctx) {
    const [action, ...rest] = args;
    const code = await runAuditVerify(action, rest, ctx);
    if (code === undefined) throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    return code;
  },
};
