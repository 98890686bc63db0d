import t from 'tap';
import { createTestAdmin } from '../helpers/admin.js';
import { chromiumPresent, CHROMIUM, launchChromium, listen, openPage, screenshot } from '../helpers/browser.js';
import { acmeEstate, FAKE_ENV, fakeApp } from '../ncentral/fake-app.js';

if (!chromiumPresent()) {
  t.comment(`skipped: ${CHROMIUM} is absent (run .ci/setup-browser to install Debian's chromium)`);
  t.pass(`browser tests skipped: no ${CHROMIUM}`);
} else {
  t.test('an operator finds a client’s laptop by serial number and sees what the last sync changed on it', async (t) => {
    const browser = await launchChromium(t);
    const estate = acmeEstate();
    const acme = estate.listCustomers().find((c) => c.customerName === 'Acme Corp');
    if (!acme) throw new Error('estate');
    const laptop = estate.addDevice({ customerId: acme.customerId, longName: 'ACME-LT-042', deviceClass: 'Laptop - Windows', supportedOs: 'Windows 10', assets: { serialNumber: '5CG7311XYZ' } });
    // PUBLIC_BASE_URL unset: the console is reached on 127.0.0.1 as a person's browser would.
    const a = await fakeApp(t, { estate }, { ...FAKE_ENV, PUBLIC_BASE_URL: '' });
    await a.connect();
    const nc = async (url: string) => (await a.app.inject({ method: 'POST', url: `/admin/v1/ncentral${url}`, headers: a.headers })).json() as Record<string, unknown>;
    await nc('/verify');
    await nc('/create-unmatched');
    t.equal((await nc('/finish?wait=true'))['status'], 'succeeded', 'the first sync finished');
    // In N-central the laptop is upgraded and renamed; the nightly sync brings it in.
    estate.renameDevice(laptop.deviceId, 'ACME-LT-042-W11');
    estate.setAssets(laptop.deviceId, { osName: 'Windows 11' });
    a.clock.advance(3600_000);
    t.equal((await nc('/sync?wait=true'))['status'], 'succeeded', 'the second sync finished');

    const viewer = await createTestAdmin(a, a.tenantId, 'viewer');
    const base = await listen(t, a);
    const { page, problems } = await openPage(t, browser);
    await page.goto(`${base}/console`);
    await page.getByLabel('Admin token').fill(viewer.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/logs/);

    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await page.waitForURL(/\/console\/inventory\/clients$/);
    await screenshot(page, 'inventory-clients');
    await page.getByRole('link', { name: 'Acme Corp' }).click();
    await page.waitForURL(/\/console\/inventory\/assets\?client=/);
    t.match(await page.locator('h1').innerText(), 'Assets of Acme Corp');
    await page.getByLabel('Name, serial number or MAC').fill('5cg7311xyz');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/search=5cg7311xyz/);
    const rows = page.locator('table[aria-label="Assets"] tbody tr');
    t.equal(await rows.count(), 1, 'exactly the laptop');
    await screenshot(page, 'inventory-assets');
    await page.getByRole('link', { name: 'ACME-LT-042-W11' }).click();
    await page.waitForURL(/\/console\/inventory\/assets\/[0-9a-f-]{36}$/);
    const main = await page.locator('main').innerText();
    t.match(main, /Serial number\s+5CG7311XYZ/);
    t.match(main, /name: ACME-LT-042 → ACME-LT-042-W11/, 'the rename, old → new');
    t.match(main, /os: Windows 10 → Windows 11/, 'the upgrade, old → new');
    t.equal(await page.getByRole('link', { name: 'Open in N-central' }).getAttribute('href'),
      `${a.fake.url}/deepLinkAction.do?method=deviceDetails&customerID=${acme.customerId}&deviceID=${laptop.deviceId}`);
    await screenshot(page, 'inventory-asset');
    // Keyboard: the skip link is the first stop on this page too.
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Skip to content');
    t.same(problems, [], 'no script errors or CSP violations');
  });
}
