import { type APIRequestContext, expect, type Locator, test } from '@playwright/test';
import { PORT } from '../playwright.config';
import { expectAccessible } from '../tests/pages/a11y';
import { ClusterPage, devNodes, devWan, WanRelay } from '../tests/pages/cluster';
import { CredentialsPage } from '../tests/pages/credentials';
import { LoginPage } from '../tests/pages/login';

/** Scrolled to the middle of the screen, the element shows whole: nothing of it clipped.
 * (Scrolled only as far as needed, it would sit on the screen's edge, where a layout box
 * that does not fall on a whole pixel loses a fraction of one.) */
async function expectWhole(element: Locator) {
  await element.evaluate((e) => e.scrollIntoView({ block: 'center', inline: 'center' }));
  await expect(element).toBeInViewport({ ratio: 1 });
}

// Safe to run before or after view-cluster.spec.ts, which kills a standby: the cards,
// the one leader and the table's columns are there either way.
test('the cluster page shows one card per data center, one holding the leader, and fits 390 px', async ({ page }) => {
  const cluster = new ClusterPage(page);
  const datacenters = [...new Set(devNodes(PORT).map((n) => n.datacenter))].sort();
  expect(datacenters).toEqual(['dc1', 'dc2', 'dc3']);

  await test.step('log in and open the cluster page', async () => {
    await new LoginPage(page).goto();
    await new LoginPage(page).logIn();
    await expect(page.getByTestId('store-status')).toBeVisible();
    await cluster.goto();
  });

  await test.step('a card for dc1, dc2 and dc3, each with its nodes and replication lag', async () => {
    for (const dc of datacenters) {
      await expect(cluster.datacenter(dc)).toBeVisible();
      await expect(page.getByTestId(`dc-nodes-${dc}`).getByRole('listitem')).not.toHaveCount(0);
      await expect(page.getByTestId(`dc-lag-${dc}`)).not.toBeEmpty();
    }
  });

  await test.step('exactly one card holds the leader, and it lists the leader node', async () => {
    await expect(cluster.datacentersWithLeader()).toHaveCount(1);
    const holder = cluster.datacentersWithLeader();
    await expect(holder.getByTestId(/^dc-leader-/)).toHaveText('holds the leader');
    const leader = (await cluster.leader().textContent()) ?? '';
    await expect(holder.getByTestId(`dc-node-${leader}`)).toHaveAttribute('data-role', 'leader');
  });

  await test.step('this instance reads in exactly one data center', async () => {
    await expect(page.locator('[data-testid^="dc-card-"][data-reads-local="true"]')).toHaveCount(1);
    await expect(page.getByTestId('own-consistency')).toBeVisible();
  });

  await test.step('at 390 px the page does not scroll sideways and no Health cell is clipped', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(cluster.nodesTable()).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectWhole(cluster.nodesTable().getByRole('columnheader', { name: 'Health' }));
    const badges = cluster.nodesTable().getByTestId('node-health');
    await expect(badges).toHaveCount(3);
    for (const badge of await badges.all()) {
      await expectWhole(badge);
    }
    for (const dc of datacenters) {
      await expectWhole(cluster.datacenter(dc));
    }
  });
});

// `crypter dev --instances 3 --wan 20ms` runs one instance per data center: dc3's is
// PORT + 2, and the relay between data centers can cut dc3 off from the others.
const DC3 = `http://127.0.0.1:${PORT + 2}`;
// A fixed zone with daylight saving: the banner shows times on the local wall clock.
const ZONE = 'Europe/Berlin';

/** An RFC 3339 time as the wall clock in ZONE shows it: `14:02:11`. */
function wallClock(rfc3339: string): string {
  const clock = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return clock.format(new Date(rfc3339));
}

/** What dc3's instance says about its consistency (`GET /api/v1/health`). */
async function dc3Consistency(request: APIRequestContext) {
  const r = await request.get(`${DC3}/api/v1/health`);
  expect(r.status()).toBe(200);
  return (await r.json()).consistency as {
    datacenter: string | null;
    leader_reachable: boolean;
    leader_unreachable_since: string | null;
  };
}

// Run before view-cluster.spec.ts (files run in name order), while every node is up: the
// standby that spec kills could be dc3's own.
test.describe('the data-center banner', () => {
  test.use({ baseURL: DC3, timezoneId: ZONE });

  // Whatever happened in the test, dc3 joins the others again before the next one starts,
  // and its instance reaches the leader again.
  test.afterEach(async ({ request }) => {
    await new WanRelay(request, devWan(PORT).control).heal('dc3');
    await expect
      .poll(async () => (await dc3Consistency(request)).leader_unreachable_since, { timeout: 30_000 })
      .toBeNull();
  });

  test('dc3 cut off from the others: the banner names it and the time, on every page, refuses changes there, and goes once healed', async ({
    page,
    request,
  }) => {
    test.setTimeout(120_000);
    const cluster = new ClusterPage(page);
    const relay = new WanRelay(request, devWan(PORT).control);

    await test.step("dc3's instance is ready and reaches the leader", async () => {
      expect((await relay.state()).datacenters).toEqual(['dc1', 'dc2', 'dc3']);
      await expect
        .poll(async () => (await request.get(`${DC3}/api/v1/health/ready`).catch(() => null))?.status(), {
          timeout: 30_000,
        })
        .toBe(200);
      await expect.poll(async () => (await dc3Consistency(request)).leader_reachable, { timeout: 30_000 }).toBe(true);
    });

    await test.step('log in on dc3 and open the cluster page: no banner while the leader answers', async () => {
      await new LoginPage(page).goto();
      await new LoginPage(page).logIn();
      await expect(page.getByTestId('store-status')).toBeVisible();
      await cluster.goto();
      await expect(page.getByTestId('own-leader-reachable')).toHaveAttribute('data-reachable', 'true');
      await expect(cluster.datacenterBanner()).toHaveCount(0);
    });

    await test.step('cut dc3 off at the relay', async () => {
      const state = await relay.partition('dc3');
      expect(Object.keys(state.partitioned)).toEqual(['dc3']);
    });

    await test.step('the banner names dc3 and, on the local clock, since when (within one probe and one poll)', async () => {
      let since = '';
      await expect
        .poll(async () => (since = (await dc3Consistency(request)).leader_unreachable_since ?? ''), {
          timeout: 15_000,
        })
        .not.toBe('');
      await expect(cluster.datacenterBanner()).toHaveText(
        `dc3 cannot reach the store's leader since ${wallClock(since)}; what you see may be older; changes are refused here`,
        { timeout: 15_000 },
      );
      await expect(cluster.datacenterBanner()).toHaveAttribute('data-kind', 'leader-unreachable');
      await expect(page.getByRole('status').filter({ hasText: 'cannot reach' })).toBeVisible();
    });

    await test.step('the banner and the cards pass axe (contrast included) in both themes', async () => {
      await expect(page.locator('.loading')).toHaveCount(0);
      for (const theme of ['light', 'dark']) {
        await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
        await expectAccessible(page, `cluster page with the banner (${theme})`);
      }
    });

    await test.step('another page shows it too', async () => {
      await page.getByTestId('nav').getByTestId('nav-overview').click();
      await expect(page.getByTestId('page-title')).toHaveText('Overview');
      await expect(cluster.datacenterBanner()).toContainText("dc3 cannot reach the store's leader");
    });

    await test.step('saving a credential there is refused in its form, and says nothing was changed', async () => {
      const creds = new CredentialsPage(page);
      await creds.goto('staging');
      const form = await creds.submitNew(`e2e/cut-off/${Date.now()}`, 'never-written');
      const refusal = form.getByRole('alert');
      await expect(refusal).toHaveAttribute('data-code', 'leader_unreachable');
      await expect(refusal).toContainText("dc3 cannot reach the store's leader since");
      await expect(refusal).toContainText('changes are refused here, and nothing was changed');
    });

    await test.step('heal dc3: the banner goes', async () => {
      const state = await relay.heal('dc3');
      expect(state.partitioned).toEqual({});
      await expect(cluster.datacenterBanner()).toHaveCount(0, { timeout: 30_000 });
    });
  });
});
