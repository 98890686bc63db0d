import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { createTestAdmin } from '../helpers/admin.js';
import { createTestTenant } from '../helpers/tenants.js';

// Found by the fuzz run (issue 15): PostgreSQL refuses NUL in text, so `externalId=%00` was a 500.
t.test('a NUL in a text filter of the log list or export is 400, not 500', async (t) => {
  const testApp = await buildTestApp(t);
  const tenant = await createTestTenant(testApp);
  const admin = await createTestAdmin(testApp, tenant.tenantId);
  for (const url of ['/admin/v1/provisioning-logs', '/admin/v1/provisioning-logs/export']) {
    for (const name of ['userName', 'externalId', 'requestId']) {
      const res = await testApp.app.inject({ method: 'GET', url: `${url}?${name}=a%00b`, headers: admin.headers });
      t.equal(res.statusCode, 400, `${url} ${name}`);
      t.match(res.json(), { error: String });
    }
  }
});
