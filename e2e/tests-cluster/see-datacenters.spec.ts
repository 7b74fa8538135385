import { expect, type Locator, test } from '@playwright/test';
import { PORT } from '../playwright.config';
import { expectAccessible } from '../tests/pages/a11y';
import { ClusterPage, devNodes } from '../tests/pages/cluster';
import { LoginPage } from '../tests/pages/login';

/** Scrolled to if it must be, the element shows whole: nothing of it clipped. */
async function expectWhole(element: Locator) {
  await element.scrollIntoViewIfNeeded();
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

test.describe('the data-center banner', () => {
  // A fixed zone with daylight saving: the banner shows times on the local wall clock.
  test.use({ timezoneId: 'Europe/Berlin' });

  test('says what this instance reports about the leader and stale reads, on every page', async ({ page }) => {
    const cluster = new ClusterPage(page);
    // Losing the leader cannot be staged on loopback without cutting this instance off
    // too, so the health answer is the real one with its consistency part replaced.
    let consistency: Record<string, unknown> | undefined;
    await page.route('**/api/v1/health', async (route) => {
      const response = await route.fetch();
      const health = await response.json();
      if (consistency) health.consistency = { ...health.consistency, ...consistency };
      await route.fulfill({ response, json: health });
    });

    await test.step('log in and open the cluster page: no banner while the leader answers', async () => {
      await new LoginPage(page).goto();
      await new LoginPage(page).logIn();
      await cluster.goto();
      await expect(page.getByTestId('own-leader-reachable')).toHaveAttribute('data-reachable', 'true');
      await expect(cluster.datacenterBanner()).toHaveCount(0);
    });

    await test.step('dc3 loses the leader: the banner names it and the time, within one poll', async () => {
      consistency = {
        datacenter: 'dc3',
        leader_reachable: false,
        leader_unreachable_since: '2026-01-15T13:02:11Z',
        stale_since: '2026-01-15T13:02:00Z',
      };
      await expect(cluster.datacenterBanner()).toHaveText(
        "dc3 cannot reach the store's leader since 14:02:11; what you see may be older; changes are refused here",
        { timeout: 15_000 },
      );
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

    await test.step('without a data center it is "This instance"', async () => {
      consistency = { ...consistency, datacenter: null };
      await expect(cluster.datacenterBanner()).toHaveText(
        "This instance cannot reach the store's leader since 14:02:11; what you see may be older; changes are refused here",
        { timeout: 15_000 },
      );
    });

    await test.step('leader back, reads still behind: only the stale warning (summer time, UTC+2)', async () => {
      consistency = {
        datacenter: 'dc3',
        leader_reachable: true,
        leader_unreachable_since: null,
        stale_since: '2026-07-15T13:02:00Z',
      };
      await expect(cluster.datacenterBanner()).toHaveText('Reads here may be older than 15:02:00', {
        timeout: 15_000,
      });
    });

    await test.step('caught up: the banner goes', async () => {
      consistency = { leader_reachable: true, leader_unreachable_since: null, stale_since: null };
      await expect(cluster.datacenterBanner()).toHaveCount(0, { timeout: 15_000 });
    });
  });
});
