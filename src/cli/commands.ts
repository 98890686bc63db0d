import type { CommandGroup } from './command.js';
import { adminTokenCommand } from './admin-token.js';
import { auditCommand } from './audit.js';
import { clientCommand } from './client.js';
import { keysCommand } from './keys.js';
import { logsCommand } from './logs.js';
import { migrateCommand } from './migrate.js';
import { ncentralCommand } from './ncentral.js';
import { tenantCommand } from './tenant.js';
import { tokenCommand } from './token.js';

/** Every command group, in the order `--help` lists them. */
export const commandGroups: CommandGroup[] = [
  migrateCommand,
  tenantCommand,
  clientCommand,
  tokenCommand,
  keysCommand,
  adminTokenCommand,
  logsCommand,
  ncentralCommand,
  auditCommand,
];
