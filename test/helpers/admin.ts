import type { TestApp } from './app.js';
import { createAdminToken } from '../../src/admin/admin-token-service.js';
import { cliActor } from '../../src/audit/request-actor.js';

export interface TestAdmin {
  token: string;
  headers: Record<string, string>;
}

/** An admin token for one tenant, or (no tenant) a service-wide one. */
export async function createTestAdmin(testApp: Pick<TestApp, 'deps'>, tenantId?: string, role: 'viewer' | 'admin' = 'admin'): Promise<TestAdmin> {
  const { token } = await createAdminToken({ db: testApp.deps.database.db, clock: testApp.deps.clock }, { tenant: tenantId, role }, cliActor('test'));
  return { token, headers: { authorization: `Bearer ${token}` } };
}
