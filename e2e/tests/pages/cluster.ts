import { expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A node of `crypter dev --nodes N`, as written to its nodes.json. */
export interface DevNode {
  node_id: string;
  datacenter: string;
  api_addr: string;
  pid: number;
}

/** The nodes that `crypter dev --nodes N --listen 127.0.0.1:PORT` started. */
export function devNodes(port: number): DevNode[] {
  const file = join(tmpdir(), `crypter-dev-cluster-${port}`, 'nodes.json');
  return JSON.parse(readFileSync(file, 'utf8')) as DevNode[];
}

export class ClusterPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto('/cluster');
    await expect(this.page.getByTestId('page-title')).toHaveText('Cluster');
  }

  nodeRow(nodeId: string) {
    return this.page.getByTestId(`cluster-node-${nodeId}`);
  }

  svgNode(nodeId: string) {
    return this.page.getByTestId('cluster-svg').getByTestId(`svg-node-${nodeId}`);
  }

  status() {
    return this.page.getByTestId('cluster-status');
  }

  leader() {
    return this.page.getByTestId('cluster-leader');
  }

  /** The card of one data center on the Cluster page. */
  datacenter(name: string) {
    return this.page.getByTestId(`dc-card-${name}`);
  }

  /** The cards that say they hold the Raft leader. */
  datacentersWithLeader() {
    return this.page.locator('[data-testid^="dc-card-"][data-has-leader="true"]');
  }

  nodesTable() {
    return this.page.getByTestId('cluster-nodes');
  }

  /** The box the nodes table scrolls sideways in on a narrow screen. */
  nodesScroller() {
    return this.page.getByTestId('cluster-nodes-scroll');
  }

  /** The banner every page shows when this instance loses the leader or reads stale. */
  datacenterBanner() {
    return this.page.getByTestId('datacenter-banner');
  }
}
