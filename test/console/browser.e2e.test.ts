import t from 'tap';
import { randomBytes } from 'node:crypto';
import { restConnector } from '../../src/ncentral/connector.js';
import { LOOPBACK_ALLOWED, LOOPBACK_HOSTS } from '../helpers/ncentral.js';
import { insertPortalClients } from '../../src/store/portal-clients.js';
import { createTestAdmin } from '../helpers/admin.js';
import { buildTestApp } from '../helpers/app.js';
import { chromiumPresent, CHROMIUM, launchChromium, listen, openPage, screenshot } from '../helpers/browser.js';
import { seedLogEntry } from '../helpers/console-data.js';
import { createTestTenant } from '../helpers/tenants.js';
import { acmeEstate } from '../ncentral/fake-app.js';
import { startFakeNcentral } from '../fakes/ncentral.js';
import type { Page } from 'playwright-core';

if (!chromiumPresent()) {
  t.comment(`skipped: ${CHROMIUM} is absent (run .ci/setup-browser to install Debian's chromium)`);
  t.pass(`browser tests skipped: no ${CHROMIUM}`);
} else {
  const ENCRYPTION_KEY = randomBytes(32).toString('hex');
  // PUBLIC_BASE_URL unset: links and the Tenant URL come from the request's own host (127.0.0.1:port).
  const env = { PUBLIC_BASE_URL: '', ENCRYPTION_KEY, NCENTRAL_ALLOWED_HOSTS: LOOPBACK_HOSTS };

  async function signIn(page: Page, base: string, token: string) {
    await page.goto(`${base}/console`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/logs/);
  }

  t.test('an operator signs in with an admin token, finds a failed entry by userName and opens it', async (t) => {
    const browser = await launchChromium(t);
    const testApp = await buildTestApp(t, { env });
    const tenant = await createTestTenant(testApp, 'Contoso E2E');
    const admin = await createTestAdmin(testApp, tenant.tenantId, 'viewer');
    const db = testApp.deps.database.db;
    const now = testApp.clock.now().getTime();
    for (let i = 0; i < 30; i++) {
      await seedLogEntry(db, tenant.tenantId, { at: new Date(now - (20 - i / 2) * 3600_000), userName: `user${i}@contoso.example`, outcome: i % 7 === 0 ? 'failure' : 'success' });
    }
    await seedLogEntry(db, tenant.tenantId, {
      at: new Date(now - 2 * 3600_000),
      operation: 'Update',
      userName: 'alice@contoso.example',
      outcome: 'failure',
      httpStatus: 400,
      scimType: 'invalidValue',
      detail: 'The manager id does not exist.',
      changes: [{ attribute: 'title', old: 'Engineer', new: 'Lead engineer' }],
    });
    await seedLogEntry(db, tenant.tenantId, { at: new Date(now - 3600_000), userName: 'alice@contoso.example' });
    const base = await listen(t, testApp);
    const { page, problems } = await openPage(t, browser);

    await signIn(page, base, admin.token);
    t.match(await page.title(), /Provisioning logs/);
    await screenshot(page, 'logs');
    await page.getByLabel('userName').fill('ALICE@contoso.example');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=failure/);
    const rows = page.locator('table[aria-labelledby="entries"] tbody tr');
    t.equal(await rows.count(), 1, 'exactly the failed entry');
    await page.getByRole('link', { name: 'alice@contoso.example' }).click();
    await page.waitForURL(/\/console\/logs\/\d+$/);
    t.match(await page.locator('main').innerText(), /Failed with HTTP 400 \(invalidValue\)\. The manager id does not exist\./);
    t.match(await page.locator('main').innerText(), /title\s+Engineer\s+→?\s*Lead engineer/);
    await screenshot(page, 'log-entry');
    // Keyboard: the skip link is the first stop and lands on the content.
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Skip to content');
    t.same(problems, [], 'no script errors or CSP violations');
  });

  t.test('an admin walks the N-central wizard against the fake and watches the first run succeed', async (t) => {
    const browser = await launchChromium(t);
    const fake = await startFakeNcentral({ estate: acmeEstate() });
    t.teardown(() => fake.close());
    const ncentralConnector = restConnector({ backoff: { baseMs: 5, capMs: 50 }, pageSize: 2, allowedHosts: LOOPBACK_ALLOWED });
    const testApp = await buildTestApp(t, { env, appOptions: { ncentralConnector } });
    const tenant = await createTestTenant(testApp, 'Acme MSP E2E');
    const admin = await createTestAdmin(testApp, tenant.tenantId, 'admin');
    await insertPortalClients(testApp.deps.database.db, tenant.tenantId, [
      { id: crypto.randomUUID(), name: 'acme corp', source: 'manual', externalId: null, at: testApp.clock.now() },
    ]);
    const base = await listen(t, testApp);
    const { page, problems } = await openPage(t, browser);
    await signIn(page, base, admin.token);

    await page.getByRole('link', { name: 'N-central', exact: true }).click();
    await page.getByLabel('N-central server (https)').fill(fake.url);
    await page.getByLabel('User-API token (JWT)').fill(fake.userApiToken);
    await page.getByLabel('Private CA certificates (PEM, optional)').fill(fake.caPem ?? '');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.waitForURL(/done=saved/);
    t.notOk((await page.content()).includes(fake.userApiToken), 'the token is never shown');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.notice.ok').waitFor();
    t.match(await page.locator('.notice.ok').innerText(), /Verified\. Connected to N-central .*: 3 customers and 6 devices visible/);
    await screenshot(page, 'ncentral-verified');

    await page.getByRole('link', { name: 'Client sync' }).first().click();
    await page.getByRole('button', { name: 'Auto-match all' }).click();
    await page.waitForURL(/done=auto-matched/);
    t.equal(await page.locator('[data-count="matched"]').innerText(), '1', 'Acme Corp matched ignoring case');
    t.equal(await page.locator('[data-count="unmatched"]').innerText(), '2');
    await page.getByRole('button', { name: 'Exclude Initech' }).click();
    await page.waitForURL(/done=excluded/);
    await page.getByRole('button', { name: 'Create unmatched' }).click();
    await page.waitForURL(/done=to-create/);
    t.equal(await page.locator('[data-count="to_create"]').innerText(), '1');
    t.equal(await page.locator('[data-count="excluded"]').innerText(), '1');
    t.equal(await page.locator('[data-count="unmatched"]').innerText(), '0');
    await screenshot(page, 'ncentral-clients');

    await page.getByRole('link', { name: 'Next: Sync preview »' }).click();
    const count = async (name: string) => page.locator(`[data-preview="${name}"]`).innerText();
    t.same(
      { create: await count('create'), match: await count('match'), exclude: await count('exclude'), unmatched: await count('unmatched'), devices: await count('devices') },
      { create: '1', match: '1', exclude: '1', unmatched: '0', devices: '5' },
      'Globex to create, Acme matched, Initech excluded; Acme (3) and Globex (2) devices become assets',
    );
    await screenshot(page, 'ncentral-preview');
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.waitForURL(/\/console\/ncentral\/runs\/[0-9a-f-]{36}$/);
    // The run page reloads itself while the sync runs; wait for it to say how it ended.
    await page.locator('[data-status="succeeded"], [data-status="failed"]').waitFor({ timeout: 60_000 });
    t.equal(await page.locator('[data-status]').first().getAttribute('data-status'), 'succeeded');
    t.equal(await page.locator('[data-count="created"]').innerText(), '5');
    await screenshot(page, 'ncentral-run');
    await page.getByRole('link', { name: 'Sync runs' }).click();
    t.match(await page.locator('main').innerText(), /finish\s+succeeded/);
    t.same(problems, [], 'no script errors or CSP violations');
  });

  t.test('an admin creates an OAuth client, sees its secret once, and revokes it', async (t) => {
    const browser = await launchChromium(t);
    const testApp = await buildTestApp(t, { env, appOptions: { scimAuthenticator: undefined } });
    const tenant = await createTestTenant(testApp, 'Fabrikam E2E');
    const admin = await createTestAdmin(testApp, tenant.tenantId, 'admin');
    const base = await listen(t, testApp);
    const { page, problems } = await openPage(t, browser);
    await signIn(page, base, admin.token);
    await page.getByRole('link', { name: 'Credentials' }).click();
    await page.getByRole('button', { name: 'Create OAuth client' }).click();
    const shown = page.locator('section[aria-labelledby="shown"]');
    await shown.waitFor();
    const text = await shown.innerText();
    t.match(text, `${base}/scim/v2/tenants/${tenant.tenantId}`, 'the Tenant URL to paste into Entra');
    t.match(text, `${base}/oauth2/token`, 'the Token Endpoint');
    const clientId = (await page.locator('#shown-2').innerText()).trim();
    const secret = (await page.locator('#shown-3').innerText()).trim();
    await screenshot(page, 'credentials-created');
    const token = () =>
      fetch(`${base}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
      });
    t.equal((await token()).status, 200, 'the shown secret gets a token');
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Revoke client ${clientId}` }).click();
    await page.waitForURL(/done=client-revoked/);
    t.notOk((await page.content()).includes(secret), 'the secret is not shown again');
    t.match(await page.locator('main').innerText(), /Revoked/);
    t.equal((await token()).status, 401, 'a revoked client gets no token');
    await screenshot(page, 'credentials-revoked');
    t.same(problems, [], 'no script errors or CSP violations');
  });
}
