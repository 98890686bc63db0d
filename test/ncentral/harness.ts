import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { cliActor } from '../../src/audit/request-actor.js';
import type { NcentralConnector } from '../../src/ncentral/connector.js';
import { NcentralService } from '../../src/ncentral/service.js';
import { createLogger } from '../../src/log.js';
import { insertPortalClients } from '../../src/store/portal-clients.js';
import { insertTenant } from '../../src/store/tenants.js';
import type { DB } from '../../src/store/tables.js';
import type { Kysely } from 'kysely';
import { testClock, type TestClock } from '../helpers/clock.js';
import { allowedHosts } from '../helpers/ncentral.js';
import { sharedTestDatabase } from '../helpers/database.js';
import { memorySource, type MemoryEstate, type MemorySource } from './memory-source.js';

/** Who the harness's direct service calls are made by, as the audit trail records it. */
export const testActor = cliActor('harness');

export const TEST_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcGktdXNlciJ9.c2VjcmV0LXNpZ25hdHVyZS10ZXN0';

export interface Harness {
  db: Kysely<DB>;
  service: NcentralService;
  tenantId: string;
  source: MemorySource;
  clock: TestClock;
  logLines: string[];
  addClient(name: string): Promise<string>;
}

/** A tenant connected to an in-memory N-central (verified, so its customers and sites are listed). */
export async function memoryHarness(estate: MemoryEstate, options: { assetsUnderParent?: boolean; ignoreSyncRequirements?: boolean } = {}): Promise<Harness> {
  const { database } = await sharedTestDatabase();
  const db = database.db;
  const clock = testClock();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const source = memorySource(estate);
  const connector: NcentralConnector = {
    open: () => source,
    verify: async () => ({ ok: true, ncentralVersion: '2025.1.0.1', customers: estate.customers.length, devices: estate.devices.length, problems: [] }),
  };
  const service = new NcentralService({ db, clock, log: createLogger('debug', sink), encryptionKey: randomBytes(32), connector, allowedHosts: allowedHosts('nc.example.com') });
  const tenant = await insertTenant(db, { id: randomUUID(), name: `t-${randomUUID()}`, createdAt: clock.now() });
  await service.connect(tenant.id, {
    url: 'https://nc.example.com',
    token: TEST_TOKEN,
    assetsUnderParent: options.assetsUnderParent ?? true,
    ignoreSyncRequirements: options.ignoreSyncRequirements ?? false,
  }, testActor);
  await service.verify(tenant.id, testActor);
  return {
    db,
    service,
    tenantId: tenant.id,
    source,
    clock,
    logLines,
    async addClient(name) {
      const id = randomUUID();
      await insertPortalClients(db, tenant.id, [{ id, name, source: 'manual', externalId: null, at: clock.now() }]);
      return id;
    },
  };
}

/** Every row version of the sync's tables for a tenant: unchanged xmin means the row was not written. */
export async function rowVersions(db: Kysely<DB>, tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for (const table of ['assets', 'ncentral_devices', 'ncentral_org_units', 'portal_clients', 'ncentral_connections']) {
    const r = await sql<{ v: string }>`select xmin::text || ':' || ctid::text as v from ${sql.table(table)} where tenant_id = ${tenantId} order by 1`.execute(db);
    out.push(...r.rows.map((row) => `${table}:${row.v}`));
  }
  return out;
}
