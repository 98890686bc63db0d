import { auditReadUsage, runAuditRead } from './audit-read.js';
import { auditVerifyUsage, runAuditVerify } from './audit-verify.js';
import { UsageError, type CommandGroup } from './command.js';

/** The audit trail's CLI group: `audit search` / `audit tail` (audit-read.ts) and `audit verify` (audit-verify.ts). */
export const auditCommand: CommandGroup = {
  name: 'audit',
  summary: 'search, follow and verify the audit trail of administrative actions',
  usage: `${auditReadUsage}\n       ${auditVerifyUsage}`,
  async run(args, ctx) {
    const [action, ...rest] = args;
    const code = (await runAuditRead(action, rest, ctx)) ?? (await runAuditVerify(action, rest, ctx));
    if (code === undefined) throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    return code;
  },
};
