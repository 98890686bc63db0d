import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { resolveTenant, UnknownTenantError } from '../admin/admin-token-service.js';
import { createNcentralService, NcentralServiceError, runView, type RunView } from '../ncentral/service.js';
import { CommandFailure, emit, UsageError, type CommandContext, type CommandGroup } from './command.js';
import { parseOptions } from './options.js';
import { progressReporter } from './progress.js';
import type { SyncProgress } from '../ncentral/sync.js';
import type { NcentralSyncRun } from '../store/tables.js';

const usage = [
  'ncentral connect --tenant T --url URL --token-file FILE [--ca-file PEM] [--device-sync on|off]',
  '                  [--assets-under-parent on|off] [--ignore-sync-requirements on|off] [--sync-time HH:MM]',
  '       ncentral verify --tenant T',
  '       ncentral customers --tenant T [--refresh]',
  '       ncentral auto-match --tenant T',
  '       ncentral match --tenant T --customer ID --client PORTAL_CLIENT_ID',
  '       ncentral create --tenant T --customer ID',
  '       ncentral exclude --tenant T --customer ID [--undo]',
  '       ncentral create-unmatched --tenant T',
  '       ncentral preview --tenant T',
  '       ncentral finish --tenant T [--wait]',
  '       ncentral sync --tenant T [--wait]',
  '       ncentral runs --tenant T [--limit N]',
  '(--customer takes an N-central customer or site id; the CLI always waits for finish and sync to end.)',
].join('\n');

const onOff = (value: string | undefined, name: string): boolean | undefined => {
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new UsageError(`--${name} must be on or off`);
};

const runLines = (r: RunView): string[] => [
  `run ${r.id} (${r.trigger}): ${r.status}`,
  `  created ${r.created}, linked ${r.linked}, updated ${r.updated}, unchanged ${r.unchanged}, removed ${r.removed}, skipped ${r.skipped}`,
  `  portal clients created ${r.clientsCreated}, pages ${r.pages}, retries ${r.retries}`,
  ...(r.error ? [`  error: ${r.error}`] : []),
];

/** N-central connection, client matching and sync for one tenant; the same service the admin API calls. */
export const ncentralCommand: CommandGroup = {
  name: 'ncentral',
  summary: 'connect N-central, match its customers to portal clients, preview, finish and sync',
  usage,
  async run(args, ctx) {
    const [action, ...rest] = args;
    const { values, flags, positional } = parseOptions(rest, {
      values: ['tenant', 'url', 'token-file', 'ca-file', 'device-sync', 'assets-under-parent', 'ignore-sync-requirements', 'sync-time', 'customer', 'client', 'limit'],
      flags: ['wait', 'refresh', 'undo'],
    });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const tenantArg = values.get('tenant');
    if (!tenantArg) throw new UsageError('--tenant is required');
    const deps = await ctx.deps();
    const service = createNcentralService(deps);
    const actor = ctx.actor;
    const customer = (): string => {
      const id = values.get('customer');
      if (!id || !/^\d+$/.test(id)) throw new UsageError('--customer needs an N-central customer or site id');
      return id;
    };
    try {
      const tenantId = (await resolveTenant(deps.database.db, tenantArg)).id;
      switch (action) {
        case 'connect': {
          const url = values.get('url');
          const tokenFile = values.get('token-file');
          if (!url || !tokenFile) throw new UsageError('connect needs --url and --token-file');
          const caFile = values.get('ca-file');
          const view = await service.connect(tenantId, {
            url,
            token: (await readFile(resolve(ctx.cwd, tokenFile), 'utf8')).trim(),
            caPem: caFile ? await readFile(resolve(ctx.cwd, caFile), 'utf8') : null,
            deviceSync: onOff(values.get('device-sync'), 'device-sync'),
            assetsUnderParent: onOff(values.get('assets-under-parent'), 'assets-under-parent'),
            ignoreSyncRequirements: onOff(values.get('ignore-sync-requirements'), 'ignore-sync-requirements'),
            syncTime: values.get('sync-time'),
          }, actor);
          emit(ctx, view, [
            `connected to ${view.url} (token stored encrypted)`,
            `device sync ${view.deviceSync ? 'on' : 'off'}, assets under parent ${view.assetsUnderParent ? 'on' : 'off'}, ignore sync requirements ${view.ignoreSyncRequirements ? 'on' : 'off'}, nightly at ${view.syncTime}`,
            'next: ncentral verify',
          ]);
          return 0;
        }
        case 'verify': {
          const report = await service.verify(tenantId, actor);
          emit(ctx, report, report.ok
            ? [`N-central ${report.ncentralVersion ?? '(version unknown)'}: ${report.customers ?? '?'} customers, ${report.devices ?? '?'} devices visible`, ...(report.warnings ?? []).map((w) => `warning: ${w.message}`)]
            : ['verify failed:', ...report.problems.map((p) => `  - ${p.message}`)]);
          return report.ok ? 0 : 1;
        }
        case 'customers': {
          const units = await service.units(tenantId, { refresh: flags.has('refresh') });
          emit(ctx, { items: units }, units.length === 0
            ? ['no customers yet: run ncentral verify']
            : units.map((u) => `${u.kind.padEnd(8)} ${u.id.padEnd(12)} ${u.state.padEnd(9)} ${u.name}${u.portalClientName ? ` → ${u.portalClientName}` : ''}${u.gone ? ' (gone from N-central)' : ''}${u.note ? `  [${u.note}]` : ''}`));
          return 0;
        }
        case 'auto-match': {
          const r = await service.autoMatch(tenantId, actor);
          emit(ctx, r, [`matched ${r.matched}; left for a person: ${r.unmatched}`, ...r.ambiguous.map((a) => `  ${a.id} ${a.name}: ${a.note}`)]);
          return 0;
        }
        case 'match':
        case 'create':
        case 'exclude': {
          const id = customer();
          let unit;
          if (action === 'match') {
            const client = values.get('client');
            if (!client) throw new UsageError('match needs --client PORTAL_CLIENT_ID');
            unit = await service.match(tenantId, id, client.toLowerCase(), actor);
          } else if (action === 'create') unit = await service.create(tenantId, id, actor);
          else unit = flags.has('undo') ? await service.unexclude(tenantId, id, actor) : await service.exclude(tenantId, id, actor);
          emit(ctx, unit, [`${unit.kind} ${unit.id} ${unit.name}: ${unit.state}`]);
          return 0;
        }
        case 'create-unmatched': {
          const r = await service.createUnmatched(tenantId, actor);
          emit(ctx, r, [`${r.toCreate} will be created as portal clients on finish or the next sync`]);
          return 0;
        }
        case 'preview': {
          const p = await service.preview(tenantId);
          emit(ctx, p, [`create ${p.create} portal clients, match ${p.match}, exclude ${p.exclude}, left unmatched ${p.unmatched}`, `devices that become assets: ${p.devices}`]);
          return 0;
        }
        case 'finish':
        case 'sync':
          return await runAndReport(ctx, (onProgress) =>
            action === 'finish' ? service.finish(tenantId, actor, { wait: true, onProgress }) : service.sync(tenantId, 'manual', { actor, wait: true, onProgress }),
          );
        case 'runs': {
          const limit = Number(values.get('limit') ?? '20');
          if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError('--limit must be 1 to 200');
          const runs = (await service.runs(tenantId, limit)).map(runView);
          emit(ctx, { items: runs }, runs.length === 0 ? ['no runs yet'] : runs.map((r) => `${r.startedAt}  ${r.trigger.padEnd(9)} ${r.status.padEnd(9)} created ${r.created} updated ${r.updated} unchanged ${r.unchanged} removed ${r.removed}${r.error ? `  ${r.error}` : ''}`));
          return 0;
        }
        default:
          throw new UsageError(action ? `unknown action "${action}"` : 'an action is required');
      }
    } catch (err) {
      if (err instanceof NcentralServiceError || err instanceof UnknownTenantError) throw new CommandFailure(err.message);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CommandFailure(`cannot read ${(err as NodeJS.ErrnoException).path ?? 'file'}`);
      throw err;
    }
  },
};

async function runAndReport(
  ctx: CommandContext,
  start: (onProgress: (p: SyncProgress) => void) => Promise<NcentralSyncRun>,
): Promise<number> {
  const tty = ctx.errIsTty && !ctx.json;
  const reporter = progressReporter(tty ? (s) => ctx.errRaw(s) : (s) => ctx.err(s.replace(/\n$/, '')), tty);
  const run = runView(await start((p) => reporter.update(p)));
  reporter.end();
  emit(ctx, run, runLines(run));
  return run.status === 'succeeded' ? 0 : 1;
}
