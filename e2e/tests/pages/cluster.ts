import { type APIRequestContext, expect, type Page } from '@playwright/test';
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

/** The WAN relay of `crypter dev --wan …`, as written to its wan.json. */
export interface DevWan {
  control: string;
  pid: number;
  delay_ms: number;
  datacenters: string[];
}

/** The relay that `crypter dev --wan … --listen 127.0.0.1:PORT` started. */
export function devWan(port: number): DevWan {
  const file = join(tmpdir(), `crypter-dev-cluster-${port}`, 'wan.json');
  return JSON.parse(readFileSync(file, 'utf8')) as DevWan;
}

/** What the relay's control address says: the data centers cut off, with since when. */
export interface WanState {
  datacenters: string[];
  partitioned: Record<string, string>;
}

/** The relay's control address: cut a data center off from the others, heal it again. */
export class WanRelay {
  constructor(
    private readonly request: APIRequestContext,
    readonly control: string,
  ) {}

  async partition(dc: string): Promise<WanState> {
    return this.post(`partition/${dc}`);
  }

  async heal(dc: string): Promise<WanState> {
    return this.post(`heal/${dc}`);
  }

  async state(): Promise<WanState> {
    const r = await this.request.get(`${this.control}/`);
    expect(r.status(), await r.text()).toBe(200);
    return (await r.json()) as WanState;
  }

  private async post(path: string): Promise<WanState> {
    const r = await this.request.post(`${this.control}/${path}`);
    expect(r.status(), await r.text()).toBe(200);
    return (await r.json()) as WanState;
  }
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
