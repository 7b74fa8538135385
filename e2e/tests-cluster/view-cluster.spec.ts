import { expect, test } from '@playwright/test';
import { PORT } from '../playwright.config';
import { ClusterPage, devNodes } from '../tests/pages/cluster';
import { LoginPage } from '../tests/pages/login';

test('the cluster page shows three nodes, then a killed standby as unhealthy', async ({ page }) => {
  const cluster = new ClusterPage(page);
  const nodes = devNodes(PORT);
  expect(nodes).toHaveLength(3);

  await test.step('log in and open the cluster page', async () => {
    await new LoginPage(page).goto();
    await new LoginPage(page).logIn();
    await expect(page.getByTestId('store-status')).toHaveText('ok');
    await cluster.goto();
  });

  let leader = '';
  await test.step('three healthy nodes, one per data center, one leader', async () => {
    await expect(page.getByTestId('cluster-node-count')).toHaveText('3');
    await expect(cluster.status()).toHaveText('healthy');
    for (const node of nodes) {
      await expect(cluster.nodeRow(node.node_id)).toHaveAttribute('data-healthy', 'true');
      await expect(cluster.svgNode(node.node_id)).toHaveAttribute('data-healthy', 'true');
      await expect(page.getByTestId(`cluster-dc-${node.datacenter}`)).toBeVisible();
    }
    leader = (await cluster.leader().textContent()) ?? '';
    expect(nodes.map((n) => n.node_id)).toContain(leader);
    await expect(page.getByTestId('node-role').filter({ hasText: 'leader' })).toHaveCount(1);
  });

  const standby = nodes.find((n) => n.node_id !== leader)!;
  await test.step(`kill the standby ${standby.node_id}`, async () => {
    process.kill(standby.pid, 'SIGKILL');
  });

  await test.step('the page refreshes by itself and shows it unhealthy', async () => {
    await expect(cluster.nodeRow(standby.node_id)).toHaveAttribute('data-healthy', 'false', {
      timeout: 20_000,
    });
    await expect(cluster.svgNode(standby.node_id)).toHaveAttribute('data-healthy', 'false');
    await expect(cluster.status()).toContainText('degraded');
    await expect(cluster.leader()).toHaveText(leader);
  });

  await test.step('the console keeps working and the overview says degraded', async () => {
    await page.getByTestId('nav').getByTestId('nav-overview').click();
    await expect(page.getByTestId('store-status')).toHaveText('degraded');
    await expect(page.getByTestId('store-nodes')).toHaveText('2 of 3 up');
    await expect(page.getByTestId('store-degraded')).toBeVisible();
  });
});
