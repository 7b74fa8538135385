import { expect, test } from '@playwright/test';
import { LoginPage } from '../tests/pages/login';

// Time from navigation until 10,000 credentials are listable, and the time of one filter
// keystroke, measured inside the page with performance.now(). Targets: < 1 s and < 100 ms.
const N = 10_000;

declare global {
  interface Window {
    __t0: number;
    __t1: number;
  }
}

test('console: list 10,000 credentials and filter them', async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.logIn();
  await expect(page.getByTestId('current-user')).toBeVisible();
  const env = `bench-${Date.now() % 1000000}`;

  await test.step(`seed ${N} credentials in ${env}`, async () => {
    const session = await (await page.request.get('/api/v1/session')).json();
    const headers = { 'X-Crypter-Csrf': session.csrf_token };
    const created = await page.request.post('/api/v1/environments', { headers, data: { name: env } });
    expect(created.status()).toBe(201);
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const path = `svc-${String(i % 40).padStart(2, '0')}/app-${String(i).padStart(5, '0')}/password`;
        const r = await page.request.put(`/api/v1/environments/${env}/credentials/${path}`, {
          headers,
          data: { data: { value: `v${i}` }, class: 'service', owner: `team-${i % 7}`, description: `bench ${i}` },
        });
        expect(r.status()).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 24 }, worker));
    console.log(`seeded ${N} credentials in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const listable = [];
  for (let run = 0; run < 3; run++) {
    await page.goto(`/credentials?env=${env}`);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="credential-count"]')?.textContent === `${n} shown of ${n}` &&
        document.querySelector('[data-testid="credential-row"]') !== null,
      N,
      { polling: 'raf', timeout: 60_000 },
    );
    listable.push(await page.evaluate(() => performance.now()));
    const api = await page.evaluate(() =>
      performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/credentials?limit='))
        .map((e) => e.duration.toFixed(0)),
    );
    console.log(`run ${run}: the list request took ${api.join(', ')} ms of it`);
  }
  listable.sort((a, b) => a - b);
  console.log(`navigation until ${N} rows are listable: runs ${listable.map((t) => t.toFixed(0)).join(', ')} ms, median ${listable[1].toFixed(0)} ms (target < 1000 ms)`);

  await test.step('scrolling renders only the visible window', async () => {
    const rows = await page.getByTestId('credential-row').count();
    expect(rows).toBeLessThan(60);
    await page.getByTestId('credential-list').evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect(page.locator('[data-testid="credential-row"][data-path="svc-39/app-09999/password"]')).toBeVisible();
  });

  const keystrokes: number[] = [];
  const filter = page.getByTestId('filter-q');
  await filter.focus();
  for (const key of ['7', '7', 'Backspace', 'Backspace', '3', 'Backspace']) {
    await page.evaluate(() => {
      window.__t0 = 0;
      window.__t1 = 0;
      document.addEventListener('keydown', () => { window.__t0 = performance.now(); }, { capture: true, once: true });
      const el = document.querySelector('[data-testid="credential-count"]')!;
      const obs = new MutationObserver(() => {
        obs.disconnect();
        requestAnimationFrame(() => { window.__t1 = performance.now(); });
      });
      obs.observe(el, { subtree: true, childList: true, characterData: true });
    });
    await filter.press(key);
    await page.waitForFunction(() => window.__t1 > 0, null, { polling: 'raf' });
    keystrokes.push(await page.evaluate(() => window.__t1 - window.__t0));
  }
  keystrokes.sort((a, b) => a - b);
  const median = keystrokes[Math.floor(keystrokes.length / 2)];
  console.log(`filter keystroke until the list is redrawn: ${keystrokes.map((t) => t.toFixed(1)).join(', ')} ms, median ${median.toFixed(1)} ms (target < 100 ms)`);
});
