import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordEdgeRefusals } from '../audit/edge-refusal-service.js';
import { actorFromRequest } from '../audit/request-actor.js';
import { connectionTarget, NCENTRAL_ACTIONS, unitTarget } from '../ncentral/audit-trail.js';
import { HttpFailure } from '../http/errors.js';
import { plannedKinds } from '../ncentral/directory-service.js';
import { NcentralServiceError, runView, type ConnectionView, type NcentralService } from '../ncentral/service.js';
import type { MappingState } from '../store/tables.js';
import { formOf, queryOf, sendPage, tenantOf, type ConsoleContext } from './context.js';
import type { SafeHtml } from './html.js';
import { notice } from './layout.js';
import { clientsPage, connectionPage, previewPage, runPage, runsPage } from './ncentral-pages.js';
import { tenantPortalClients } from './portal-client-service.js';
import { runChanges } from './run-changes.js';
import { createAssetService } from '../portal/asset-service.js';

const STATUS: Record<NcentralServiceError['code'], number> = {
  notConnected: 409,
  invalid: 400,
  notFound: 404,
  noEncryptionKey: 503,
  alreadyRunning: 409,
  notVerified: 409,
};

/** The service's refusals as console pages in its own plain words. */
function refusal(err: unknown): never {
  if (err instanceof NcentralServiceError) throw new HttpFailure({ status: STATUS[err.code], reason: err.code === 'notFound' ? 'notFound' : 'invalidInput', detail: err.message });
  throw err;
}

const MESSAGES: Record<string, string> = {
  saved: 'Connection saved. Verify it next.',
  matched: 'Matched.',
  created: 'Marked to create a new portal client.',
  excluded: 'Excluded: it will not be synced.',
  unexcluded: 'Back to unmatched.',
  refreshed: 'Customers and sites reloaded from N-central.',
};

const TABS: MappingState[] = ['unmatched', 'matched', 'to_create', 'excluded'];
const tabOf = (v: string | undefined): MappingState => (TABS as string[]).includes(v ?? '') ? (v as MappingState) : 'unmatched';

/** The N-central wizard and sync runs, on the same NcentralService the /admin/v1/ncentral API calls. */
export async function ncentralRoutes(app: FastifyInstance, ctx: ConsoleContext & { ncentral: NcentralService }): Promise<void> {
  const service = ctx.ncentral;
  const assets = createAssetService(ctx.deps);
  // Every write is the tenant's admins'; a viewer's attempt is refused and written to the audit trail.
  recordEdgeRefusals(app, ctx.deps.database.db);
  const connection = (request: FastifyRequest) => {
    const tenantId = request.consoleSession?.user?.tenantId;
    return tenantId ? connectionTarget(tenantId) : undefined;
  };
  const adminAction = (action: string) => ({ config: { access: 'admin' as const, audit: { action, target: connection } } });
  const unitOf = (request: FastifyRequest) => {
    const id = formOf(request)['orgUnitId'];
    return id ? unitTarget(id) : undefined;
  };
  const connectionOf = (tenantId: string): Promise<ConnectionView | null> =>
    service.connection(tenantId).catch((err: unknown) => {
      if (err instanceof NcentralServiceError && err.code === 'notConnected') return null;
      throw err;
    });
  const flash = (request: FastifyRequest): SafeHtml | undefined => {
    const q = queryOf(request);
    const text = MESSAGES[q['done'] ?? ''];
    if (text) return notice('ok', text);
    if (q['done'] === 'auto-matched') return notice('ok', `Auto-match: ${Number(q['matched'] ?? 0)} matched, ${Number(q['left'] ?? 0)} left for you${Number(q['ambiguous'] ?? 0) > 0 ? ` (${Number(q['ambiguous'])} ambiguous: see their notes)` : ''}.`);
    if (q['done'] === 'to-create') return notice('ok', `${Number(q['count'] ?? 0)} unmatched marked to create.`);
    return undefined;
  };

  const showConnection = async (request: FastifyRequest, reply: FastifyReply, extra: { message?: SafeHtml; verify?: Awaited<ReturnType<NcentralService['verify']>> } = {}, status = 200) => {
    const { tenantId, role } = tenantOf(request);
    return sendPage(
      reply,
      connectionPage({ session: request.consoleSession, connection: await connectionOf(tenantId), isAdmin: role === 'admin', message: extra.message ?? flash(request), verify: extra.verify }),
      status,
    );
  };

  app.get('/ncentral', async (request, reply) => showConnection(request, reply));

  app.post('/ncentral/connection', adminAction(NCENTRAL_ACTIONS.connectionUpdate), async (request, reply) => {
    const { tenantId } = tenantOf(request);
    const f = formOf(request);
    const options = {
      deviceSync: f['deviceSync'] === 'on',
      assetsUnderParent: f['assetsUnderParent'] === 'on',
      ignoreSyncRequirements: f['ignoreSyncRequirements'] === 'on',
      syncTime: f['syncTime']?.trim() || undefined,
    };
    try {
      const existing = await connectionOf(tenantId);
      const token = f['token']?.trim() ?? '';
      const url = f['url']?.trim() ?? '';
      // Options alone change without re-entering the token; a new address or CA needs the token again.
      if (existing && token === '' && url === existing.url && !f['caPem']?.trim()) await service.setOptions(tenantId, options, actorFromRequest(request));
      else await service.connect(tenantId, { url, token, caPem: f['caPem'] ?? null, ...options }, actorFromRequest(request));
    } catch (err) {
      if (err instanceof NcentralServiceError && (err.code === 'invalid' || err.code === 'noEncryptionKey')) {
        return showConnection(request, reply, { message: notice('bad', err.message) }, STATUS[err.code]);
      }
      refusal(err);
    }
    request.log.info({ event: 'console.ncentral.connect', tenantId, by: tenantOf(request).user.subject }, 'N-central connection saved');
    return reply.redirect('/console/ncentral?done=saved', 303);
  });

  app.post('/ncentral/verify', adminAction(NCENTRAL_ACTIONS.verify), async (request, reply) => {
    const report = await service.verify(tenantOf(request).tenantId, actorFromRequest(request)).catch(refusal);
    return showConnection(request, reply, { verify: report });
  });

  app.get('/ncentral/clients', async (request, reply) => {
    const { tenantId, role } = tenantOf(request);
    const connection = await connectionOf(tenantId);
    if (!connection) return reply.redirect('/console/ncentral', 303);
    const kinds = plannedKinds(connection.assetsUnderParent);
    const all = await service.units(tenantId).catch(refusal);
    const parents = new Map(all.filter((u) => u.kind === 'customer').map((u) => [u.id, u.name]));
    const units = all.filter((u) => kinds.includes(u.kind)).sort((a, b) => a.name.trim().localeCompare(b.name.trim()));
    const clients = role === 'admin' ? await tenantPortalClients(ctx.deps.database.db, tenantId) : [];
    return sendPage(
      reply,
      clientsPage({ session: request.consoleSession, tab: tabOf(queryOf(request)['tab']), units, parents, clients, isAdmin: role === 'admin', message: flash(request) }),
    );
  });

  app.post('/ncentral/auto-match', adminAction(NCENTRAL_ACTIONS.autoMatch), async (request, reply) => {
    const r = await service.autoMatch(tenantOf(request).tenantId, actorFromRequest(request)).catch(refusal);
    return reply.redirect(`/console/ncentral/clients?done=auto-matched&matched=${r.matched}&left=${r.unmatched}&ambiguous=${r.ambiguous.length}`, 303);
  });

  app.post('/ncentral/create-unmatched', adminAction(NCENTRAL_ACTIONS.createUnmatched), async (request, reply) => {
    const r = await service.createUnmatched(tenantOf(request).tenantId, actorFromRequest(request)).catch(refusal);
    return reply.redirect(`/console/ncentral/clients?tab=to_create&done=to-create&count=${r.toCreate}`, 303);
  });

  app.post('/ncentral/refresh', { config: { access: 'admin' as const } }, async (request, reply) => {
    await service.units(tenantOf(request).tenantId, { refresh: true }).catch(refusal);
    return reply.redirect('/console/ncentral/clients?done=refreshed', 303);
  });

  const unitAction = (name: 'match' | 'create' | 'exclude' | 'unexclude', done: string) =>
    app.post(`/ncentral/units/${name}`, { config: { access: 'admin' as const, audit: { action: NCENTRAL_ACTIONS[name], target: unitOf } } }, async (request, reply) => {
      const { tenantId } = tenantOf(request);
      const f = formOf(request);
      const id = f['orgUnitId'] ?? '';
      if (name === 'match') {
        if (!f['portalClientId']) throw new HttpFailure({ status: 400, reason: 'invalidInput', detail: 'Choose a portal client to match.' });
        await service.match(tenantId, id, f['portalClientId'], actorFromRequest(request)).catch(refusal);
      } else {
        await service[name](tenantId, id, actorFromRequest(request)).catch(refusal);
      }
      return reply.redirect(`/console/ncentral/clients?tab=${tabOf(f['tab'])}&done=${done}`, 303);
    });
  unitAction('match', 'matched');
  unitAction('create', 'created');
  unitAction('exclude', 'excluded');
  unitAction('unexclude', 'unexcluded');

  app.get('/ncentral/preview', async (request, reply) => {
    const { tenantId, role } = tenantOf(request);
    const connection = await connectionOf(tenantId);
    if (!connection) return reply.redirect('/console/ncentral', 303);
    const preview = await service.preview(tenantId).catch(refusal);
    return sendPage(reply, previewPage({ session: request.consoleSession, preview, connection, isAdmin: role === 'admin' }));
  });

  app.post('/ncentral/finish', adminAction(NCENTRAL_ACTIONS.finish), async (request, reply) => {
    const run = await service.finish(tenantOf(request).tenantId, actorFromRequest(request)).catch(refusal);
    request.log.info({ event: 'console.ncentral.finish', runId: run.id, by: tenantOf(request).user.subject }, 'N-central setup finished');
    return reply.redirect(`/console/ncentral/runs/${run.id}`, 303);
  });

  app.post('/ncentral/sync', adminAction(NCENTRAL_ACTIONS.sync), async (request, reply) => {
    const run = await service.sync(tenantOf(request).tenantId, 'manual', { actor: actorFromRequest(request) }).catch(refusal);
    return reply.redirect(`/console/ncentral/runs/${run.id}`, 303);
  });

  app.get('/ncentral/runs', async (request, reply) => {
    const { tenantId, role } = tenantOf(request);
    const connected = (await connectionOf(tenantId)) !== null;
    const runs = connected ? (await service.runs(tenantId, 50).catch(refusal)).map(runView) : [];
    return sendPage(reply, runsPage({ session: request.consoleSession, runs, isAdmin: role === 'admin', connected }));
  });

  app.get('/ncentral/runs/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new HttpFailure({ status: 404, reason: 'notFound', detail: 'No such sync run.' });
    const { tenantId } = tenantOf(request);
    const run = await service.run(tenantId, id.toLowerCase()).catch(refusal);
    return sendPage(reply, runPage(request.consoleSession, runView(run), await runChanges(assets, tenantId, run.id, queryOf(request)['cursor'])));
  });

}
