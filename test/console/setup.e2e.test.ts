import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chromiumPresent, CHROMIUM, launchChromium, openPage, screenshot } from '../helpers/browser.js';
import { schemaBehindProxy, testDatabaseUrl } from '../helpers/database.js';
import { printed, startService, type ServiceProcess } from '../helpers/process.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** A fresh database for the process: a schema of its own on PostgreSQL, else PGlite in an empty DATA_DIR. */
async function freshDatabaseEnv(t: TestLike): Promise<Record<string, string>> {
  const pgUrl = testDatabaseUrl();
  if (pgUrl) {
    const { url, schema } = await schemaBehindProxy(t, pgUrl, 'test_setup');
    return { DATABASE_URL: url, DATABASE_SCHEMA: schema };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pp-setup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { DATA_DIR: join(dir, 'data') };
}

async function start(t: TestLike, env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startService(env);
  t.teardown(() => service.stop());
  return service;
}

/** The setup link from the process's log (pino JSON on stdout), as an operator would copy it. */
function loggedSetupLinks(service: ServiceProcess): string[] {
  return service
    .stdout()
    .split('\n')
    .filter((line) => line.includes('setupUrl'))
    .map((line) => (JSON.parse(line) as { setupUrl: string }).setupUrl);
}

if (!chromiumPresent()) {
  t.comment(`skipped: ${CHROMIUM} is absent (run .ci/setup-browser to install Debian's chromium)`);
  t.pass(`browser tests skipped: no ${CHROMIUM}`);
} else {
  t.test('on a fresh database the logged setup link leads to a tenant, a service-wide admin and an OAuth client whose secret gets a token', async (t) => {
    const env = await freshDatabaseEnv(t);
    // LOG_LEVEL warn (the helper's default): the link is still printed.
    const service = await start(t, env);
    const links = loggedSetupLinks(service);
    t.equal(links.length, 1, `one setup link is logged\n${printed(service)}`);
    const link = links[0] ?? '';
    t.match(link, new RegExp(`^http://127\\.0\\.0\\.1:${service.port}/console/setup\\?code=[A-Za-z0-9_-]{43}$`), 'on the listen address');

    const browser = await launchChromium(t);
    const { page, problems } = await openPage(t, browser);
    const form = await page.goto(link);
    t.equal(form?.status(), 200);
    await page.getByLabel("First tenant's name").fill('Contoso MSP');
    await page.getByRole('button', { name: 'Create tenant and sign in' }).click();
    await page.getByRole('heading', { name: 'Setup complete' }).waitFor();
    const header = await page.locator('header.top').innerText();
    t.match(header, /Contoso MSP/);
    t.match(header, /\(admin\)/);
    t.match(header, /Switch tenant/, 'a service-wide admin');
    await screenshot(page, 'setup-complete');

    await page.getByRole('button', { name: 'Create OAuth client' }).click();
    await page.getByRole('heading', { name: 'New OAuth client' }).waitFor();
    const value = (label: string) => page.locator(`dt:text-is("${label}") + dd code`).innerText();
    const tenantUrl = await value('Tenant URL');
    const tokenEndpoint = await value('Token Endpoint');
    const clientId = await value('Client Identifier');
    const clientSecret = await value('Client Secret');
    t.match(tenantUrl, new RegExp(`^http://127\\.0\\.0\\.1:${service.port}/scim/v2/tenants/[0-9a-f-]{36}$`));
    t.equal(tokenEndpoint, service.url('/oauth2/token'));
    await screenshot(page, 'setup-client');

    // What Entra does with the four values: a token from the Token Endpoint, then SCIM at the Tenant URL.
    const tokenResponse = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    t.equal(tokenResponse.status, 200);
    const { access_token: accessToken } = (await tokenResponse.json()) as { access_token: string };
    const users = await fetch(`${tenantUrl}/Users`, { headers: { authorization: `Bearer ${accessToken}` } });
    t.equal(users.status, 200, 'the token opens the Tenant URL');

    // The same link again, from another browser: the clear page, no session.
    const { page: second, problems: secondProblems } = await openPage(t, browser);
    const again = await second.goto(link);
    t.equal(again?.status(), 410);
    t.match(await second.locator('main').innerText(), /This setup link no longer works/);
    t.equal(await second.locator('header.top .who').count(), 0, 'nobody is signed in');
    t.same(await second.context().cookies().then((cs) => cs.filter((c) => c.name.endsWith('pp-console'))), [], 'no session cookie');
    // Chromium reports the 410 itself on the console; anything else would be a script error or CSP violation.
    t.same([...problems, ...secondProblems.filter((p) => !/status of 410/.test(p))], [], 'no script errors or CSP violations');

    // Started again on the now set-up database: no setup link.
    await service.stop();
    const restarted = await start(t, env);
    t.same(loggedSetupLinks(restarted), [], 'no link once a tenant and an admin exist');
  });

  t.test('with PUBLIC_BASE_URL set the setup link is printed with it', async (t) => {
    const service = await start(t, { ...(await freshDatabaseEnv(t)), PUBLIC_BASE_URL: 'https://provisioning.example.test/' });
    const links = loggedSetupLinks(service);
    t.equal(links.length, 1);
    t.match(links[0], /^https:\/\/provisioning\.example\.test\/console\/setup\?code=[A-Za-z0-9_-]{43}$/);
  });
}
