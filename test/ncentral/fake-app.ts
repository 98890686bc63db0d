import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { restConnector, type ClientTuning, type NcentralConnector } from '../../src/ncentral/connector.js';
import { insertPortalClients } from '../../src/store/portal-clients.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { createTestTenant } from '../helpers/tenants.js';
import { allowedHosts, LOOPBACK_HOSTS } from '../helpers/ncentral.js';
import { FakeEstate, startFakeNcentral, type FakeNcentral, type FakeNcentralOptions } from '../fakes/ncentral.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface FakeApp extends TestApp {
  fake: FakeNcentral;
  /** Called after each device page the sync has consumed (e.g. to expire tokens mid-run). */
  hooks: { afterDevicePage: ((pageNumber: number) => void) | undefined };
  tenantId: string;
  headers: Record<string, string>;
  /** Connects the tenant to the fake through the API (PUT /admin/v1/ncentral/connection). */
  connect(extra?: Record<string, unknown>): Promise<void>;
  addClient(name: string): Promise<string>;
}

export const ENCRYPTION_KEY = randomBytes(32).toString('hex');

/** Acme (two sites), Globex, and a few devices, with names that exercise matching. */
export function acmeEstate(): FakeEstate {
  const e = new FakeEstate();
  e.addServiceOrg('Default SO');
  const acme = e.addCustomer('Acme Corp');
  const globex = e.addCustomer('  GLOBEX ');
  const initech = e.addCustomer('Initech');
  const berlin = e.addSite(acme.customerId, 'Acme Berlin');
  const paris = e.addSite(acme.customerId, 'Acme Paris');
  e.addDevice({ customerId: acme.customerId, longName: 'ACME-DC01' });
  e.addDevice({ customerId: acme.customerId, siteId: berlin.siteId, longName: 'ACME-BER-01' });
  e.addDevice({ customerId: acme.customerId, siteId: paris.siteId, longName: 'ACME-PAR-01' });
  e.addDevice({ customerId: globex.customerId, longName: 'GLOBEX-01' });
  e.addDevice({ customerId: globex.customerId, longName: 'GLOBEX-02' });
  e.addDevice({ customerId: initech.customerId, longName: 'INITECH-01' });
  return e;
}

/** The env of an app whose N-central is a fake on 127.0.0.1: the loopback is listed in NCENTRAL_ALLOWED_HOSTS. */
export const FAKE_ENV: Record<string, string> = { ENCRYPTION_KEY, NCENTRAL_ALLOWED_HOSTS: LOOPBACK_HOSTS };

export async function fakeApp(
  t: TestLike,
  options: Partial<FakeNcentralOptions> = {},
  env: Record<string, string> = FAKE_ENV,
  tuning: ClientTuning = {},
  /** `contractCheck: false` for a test that injects a server fault (a 500 is no documented answer). */
  build: { contractCheck?: boolean } = {},
): Promise<FakeApp> {
  const fake = await startFakeNcentral({ estate: acmeEstate(), ...options });
  t.teardown(() => fake.close());
  // Quick retries so injected faults do not slow the suite; everything else as in production, including the
  // destination check with the app's own allow-list.
  const real = restConnector({
    backoff: { baseMs: 5, capMs: 50 },
    concurrencyPerEndpoint: 3,
    pageSize: 2,
    allowedHosts: allowedHosts(env['NCENTRAL_ALLOWED_HOSTS'] ?? ''),
    ...tuning,
  });
  const hooks: FakeApp['hooks'] = { afterDevicePage: undefined };
  const connector: NcentralConnector = {
    verify: (s) => real.verify(s),
    open(s) {
      const source = real.open(s);
      const devices = source.devices.bind(source);
      source.devices = async function* () {
        for await (const page of devices()) {
          yield page;
          hooks.afterDevicePage?.(page.pageNumber);
        }
      };
      return source;
    },
  };
  const testApp = await buildTestApp(t, { env, appOptions: { ncentralConnector: connector }, ...build });
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  const app: FakeApp = {
    ...testApp,
    fake,
    hooks,
    tenantId: tenant.tenantId,
    headers: admin.headers,
    async connect(extra = {}) {
      const res = await testApp.app.inject({
        method: 'PUT',
        url: '/admin/v1/ncentral/connection',
        headers: admin.headers,
        payload: { url: fake.url, token: fake.userApiToken, caPem: fake.caPem, ...extra },
      });
      if (res.statusCode !== 200) throw new Error(`connect failed: ${res.statusCode} ${res.body}`);
    },
    async addClient(name) {
      const id = crypto.randomUUID();
      await insertPortalClients(testApp.deps.database.db, tenant.tenantId, [{ id, name, source: 'manual', externalId: null, at: testApp.clock.now() }]);
      return id;
    },
  };
  return app;
}

/** Every table of the test schema as JSON text, to search for a secret stored in clear. */
export async function dumpDatabase(app: TestApp): Promise<string> {
  const db = app.deps.database.db;
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ j: string }>`select row_to_json(t)::text as j from ${sql.table(table_name)} t`.execute(db);
    parts.push(...rows.rows.map((r) => r.j));
  }
  return parts.join('\n');
}
