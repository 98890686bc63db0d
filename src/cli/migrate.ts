import { migrateToLatest } from '../store/migrate.js';
import { emit, type CommandGroup } from './command.js';

export const migrateCommand: CommandGroup = {
  name: 'migrate',
  summary: 'bring the database schema up to date',
  usage: 'migrate',
  async run(_args, ctx) {
    const deps = await ctx.deps();
    // createDeps has already migrated; asking again reports that nothing is pending.
    const result = await migrateToLatest(deps.database.db);
    const applied = (result.results ?? []).map((r) => r.migrationName);
    emit(ctx, { database: deps.database.kind, applied }, [
      `database: ${deps.database.kind}`,
      'schema is up to date',
    ]);
    // Run by the service for a CLI: say who did the work, so nobody waits for a migration that already ran.
    if (ctx.servedBy) ctx.err(`the running service (pid ${ctx.servedBy.pid}) migrated the database when it started`);
    return 0;
  },
};
