import { type Browser, type CDPSession, expect, type Page, test } from '@playwright/test';
import { BAO_ADDR } from '../playwright.config';
import { LoginPage } from '../tests/pages/login';

// What the console costs to download, measured in Chromium: the bytes that came over the
// wire for each request (CDP Network.loadingFinished encodedDataLength: the response as
// sent, gzip when the backend had a precompressed .gz, plus its response headers),
// never a file size on disk. Three rounds, each in a new browser context (empty cache):
// 1. the login page, until its form works (budget 150 KiB);
// 2. a working day: the login page, logging in, then every page of the main navigation,
//    each clicked and rendered; the cache is on, so a file counts once (budget 700 KiB);
// 3. OpenBao's own UI at ${BAO_ADDR}/ui/ (the dev bao), until its login form shows: the
//    yardstick the two figures above are compared with. OpenBao answers Chromium's
//    Accept-Encoding with zstd; it is measured once more asking for gzip only, beside.
// A figure is the static files: documents, .js, .wasm and .css. JSON from /api/ (or
// OpenBao's /v1/) and anything else (icons, fonts, images) are shown beside it, not in it.

const LOGIN_BUDGET_KIB = 150;
const SESSION_BUDGET_KIB = 700;
const KiB = 1024;

type Kind = 'document' | 'js' | 'wasm' | 'css' | 'api' | 'other';
const STATIC: Kind[] = ['document', 'js', 'wasm', 'css'];

interface Transfer {
  url: string;
  kind: Kind;
  bytes: number; // on the wire: body as encoded plus response headers
  body: number; // the encoded body alone
  encoding: string; // the response's Content-Encoding ('' when none)
  status: number;
  cached: boolean; // served from the browser's cache: no bytes came over the wire
}

interface Pending {
  url: string;
  type: string;
  headerBytes: number;
  encoding: string;
  status: number;
  cached: boolean;
}

function kindOf(url: string, type: string): Kind {
  const u = new URL(url);
  if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/v1/')) return 'api';
  if (type === 'Document') return 'document';
  const p = u.pathname.toLowerCase();
  if (p.endsWith('.wasm')) return 'wasm';
  if (p.endsWith('.js') || p.endsWith('.mjs')) return 'js';
  if (p.endsWith('.css')) return 'css';
  return 'other';
}

/** Every request of one page (its tab), as CDP's Network domain reports it. */
class Recorder {
  readonly done: Transfer[] = [];
  private readonly pending = new Map<string, Pending>();

  private constructor(private readonly cdp: CDPSession) {}

  static async attach(page: Page): Promise<Recorder> {
    const cdp = await page.context().newCDPSession(page);
    const r = new Recorder(cdp);
    cdp.on('Network.requestWillBeSent', (e) => {
      // A redirect reuses the request id: the redirect's own response is done.
      const before = r.pending.get(e.requestId);
      if (before && e.redirectResponse) {
        r.finish(before, e.redirectResponse.encodedDataLength);
      }
      r.pending.set(e.requestId, { url: e.request.url, type: e.type ?? 'Other', headerBytes: 0, encoding: '', status: 0, cached: false });
    });
    cdp.on('Network.requestServedFromCache', (e) => {
      const p = r.pending.get(e.requestId);
      if (p) p.cached = true;
    });
    cdp.on('Network.responseReceived', (e) => {
      const p = r.pending.get(e.requestId);
      if (!p) return;
      const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      p.url = e.response.url;
      p.type = e.type ?? p.type;
      p.status = e.response.status;
      p.encoding = h['content-encoding'] ?? '';
      p.headerBytes = e.response.encodedDataLength ?? 0;
      p.cached ||= !!(e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker);
    });
    cdp.on('Network.loadingFinished', (e) => {
      const p = r.pending.get(e.requestId);
      if (!p) return;
      r.pending.delete(e.requestId);
      r.finish(p, e.encodedDataLength);
    });
    cdp.on('Network.loadingFailed', (e) => {
      r.pending.delete(e.requestId);
    });
    await cdp.send('Network.enable');
    return r;
  }

  private finish(p: Pending, bytes: number) {
    if (p.url.startsWith('data:') || p.url.startsWith('blob:')) return;
    const cached = p.cached || bytes === 0;
    this.done.push({
      url: p.url,
      kind: kindOf(p.url, p.type),
      bytes: cached ? 0 : bytes,
      body: cached ? 0 : Math.max(0, bytes - p.headerBytes),
      encoding: p.encoding,
      status: p.status,
      cached,
    });
  }

  /** A mark: the number of transfers so far, to take the ones after it. */
  mark(): number {
    return this.done.length;
  }

  /** Waits until no file (anything but API calls and streams) has been in flight for quietMs. */
  async settle(quietMs = 500, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      const busy = [...this.pending.values()].some(
        (p) => kindOf(p.url, p.type) !== 'api' && !['EventSource', 'WebSocket', 'Ping'].includes(p.type),
      );
      if (busy) quietSince = Date.now();
      else if (Date.now() - quietSince >= quietMs) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async detach() {
    await this.cdp.detach().catch(() => {});
  }
}

interface Tally {
  files: Transfer[]; // one per distinct URL: the largest transfer of it
  staticBytes: number;
  staticBody: number;
  apiBytes: number;
  apiCount: number;
  otherBytes: number;
  cachedHits: number;
  byKind: Record<Kind, { n: number; bytes: number }>;
}

/** Distinct URLs, each counted once (its largest transfer); cache hits cost nothing. */
function tally(transfers: Transfer[]): Tally {
  const byUrl = new Map<string, Transfer>();
  let apiBytes = 0;
  let apiCount = 0;
  let cachedHits = 0;
  for (const t of transfers) {
    if (t.cached) {
      cachedHits++;
      continue;
    }
    if (t.kind === 'api') {
      // JSON is data, fetched again as it changes: every call counts.
      apiBytes += t.bytes;
      apiCount++;
      continue;
    }
    const seen = byUrl.get(t.url);
    if (!seen || t.bytes > seen.bytes) byUrl.set(t.url, t);
  }
  const files = [...byUrl.values()];
  const byKind = Object.fromEntries(
    (['document', 'js', 'wasm', 'css', 'api', 'other'] as Kind[]).map((k) => [k, { n: 0, bytes: 0 }]),
  ) as Tally['byKind'];
  for (const f of files) {
    byKind[f.kind].n++;
    byKind[f.kind].bytes += f.bytes;
  }
  byKind.api = { n: apiCount, bytes: apiBytes };
  const stat = files.filter((f) => STATIC.includes(f.kind));
  return {
    files,
    staticBytes: stat.reduce((s, f) => s + f.bytes, 0),
    staticBody: stat.reduce((s, f) => s + f.body, 0),
    apiBytes,
    apiCount,
    otherBytes: files.filter((f) => f.kind === 'other').reduce((s, f) => s + f.bytes, 0),
    cachedHits,
    byKind,
  };
}

const kib = (b: number) => (b / KiB).toFixed(1);

/** The content encodings of the counted files, e.g. "gzip 5, identity 1". */
function encodings(t: Tally): string {
  const n = new Map<string, number>();
  for (const f of t.files.filter((f) => STATIC.includes(f.kind))) n.set(f.encoding || 'identity', (n.get(f.encoding || 'identity') ?? 0) + 1);
  return [...n].map(([e, c]) => `${e} ${c}`).join(', ');
}

function show(title: string, t: Tally) {
  const lines = [`\n${title}`];
  const rows = [...t.files].sort((a, b) => b.bytes - a.bytes);
  for (const f of rows) {
    const u = new URL(f.url);
    const mark = STATIC.includes(f.kind) ? ' ' : '-';
    lines.push(
      `  ${mark} ${f.kind.padEnd(8)} ${kib(f.bytes).padStart(7)} KiB  ${(f.encoding || 'identity').padEnd(8)} ${String(f.status).padEnd(3)} ${u.pathname}${u.search}`,
    );
  }
  const k = t.byKind;
  lines.push(
    `  static files (counted): ${kib(t.staticBytes)} KiB on the wire (${kib(t.staticBody)} KiB of bodies) = ` +
      STATIC.map((x) => `${x} ${k[x].n}: ${kib(k[x].bytes)}`).join(', '),
  );
  lines.push(
    `  not counted: JSON ${t.apiCount} calls ${kib(t.apiBytes)} KiB; other files ${k.other.n}: ${kib(t.otherBytes)} KiB; served from cache: ${t.cachedHits}`,
  );
  console.log(lines.join('\n'));
}

/** Sizes the page's own Resource Timing reports (the current document only): a cross-check. */
async function timingCheck(page: Page): Promise<number> {
  return page.evaluate(() => {
    const entries = [
      ...performance.getEntriesByType('navigation'),
      ...performance.getEntriesByType('resource'),
    ] as PerformanceResourceTiming[];
    return entries
      .filter((e) => {
        const u = new URL(e.name);
        const p = u.pathname;
        if (p.startsWith('/api/') || p.startsWith('/v1/')) return false;
        return e.entryType === 'navigation' || /\.(js|mjs|wasm|css)$/.test(p);
      })
      .reduce((s, e) => s + e.transferSize, 0);
  });
}

async function freshPage(browser: Browser, extraHTTPHeaders?: Record<string, string>): Promise<{ page: Page; rec: Recorder }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, extraHTTPHeaders });
  const page = await context.newPage();
  const rec = await Recorder.attach(page);
  return { page, rec };
}

/** Opens /login and waits until its form can be used. */
async function openLogin(page: Page, rec: Recorder) {
  await page.goto('/login');
  await expect(page.getByTestId('login-form')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('login-username')).toBeEditable();
  await rec.settle();
}

test('console size: the login page, a working day, and OpenBao UI beside them (gzip bytes in Chromium)', async ({ browser }) => {
  const annotate = (type: string, description: string) => test.info().annotations.push({ type, description });

  // Round 1: the login page.
  const login = await test.step('round 1: the login page', async () => {
    const { page, rec } = await freshPage(browser);
    await openLogin(page, rec);
    const t = tally(rec.done);
    const timing = await timingCheck(page);
    show('Round 1: /login until its form works', t);
    console.log(`  cross-check, Resource Timing transferSize of the same files: ${kib(timing)} KiB`);
    console.log(`  login page: ${kib(t.staticBytes)} KiB = ${(t.staticBytes / KiB / LOGIN_BUDGET_KIB).toFixed(2)} of the ${LOGIN_BUDGET_KIB} KiB budget`);
    annotate('login page', `${kib(t.staticBytes)} KiB (budget ${LOGIN_BUDGET_KIB} KiB)`);
    await rec.detach();
    await page.context().close();
    return t;
  });

  // Round 2: a working day, in one context (the cache on).
  const day = await test.step('round 2: a working day', async () => {
    const { page, rec } = await freshPage(browser);
    await openLogin(page, rec);
    const loginPart = tally(rec.done);
    await new LoginPage(page).logIn();
    // The login page loads the console anew, at / (no ?next= here).
    await page.waitForURL((u) => u.pathname === '/', { timeout: 30_000 });
    const nav = page.getByTestId('nav');
    await expect(nav).toBeVisible({ timeout: 30_000 });
    await rec.settle();
    const links = await nav.locator('a[href]').evaluateAll((as) =>
      as.map((a) => {
        const c = a.cloneNode(true) as HTMLElement;
        c.querySelectorAll('span').forEach((s) => s.remove()); // Approvals' pending count
        return { href: a.getAttribute('href')!, label: (c.textContent ?? '').trim() };
      }),
    );
    const visited: string[] = [];
    const seen = new Set<string>();
    for (const { href, label } of links) {
      const target = new URL(href, page.url());
      if (target.origin !== new URL(page.url()).origin || seen.has(target.pathname + target.search)) continue;
      seen.add(target.pathname + target.search);
      await test.step(`open ${label} (${target.pathname})`, async () => {
        await nav.locator(`a[href="${href}"]`).click();
        await page.waitForURL((u) => u.pathname === target.pathname, { timeout: 30_000 });
        await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible({ timeout: 30_000 });
        await expect(nav.locator(`a[href="${href}"]`)).toHaveAttribute('aria-current', 'page');
        await rec.settle();
      });
      visited.push(target.pathname);
    }
    const t = tally(rec.done);
    show(`Round 2: a working day: /login, log in, then ${visited.length} pages (${visited.join(' ')})`, t);
    console.log(`  of which the login page, before logging in: ${kib(loginPart.staticBytes)} KiB = ${(loginPart.staticBytes / KiB / LOGIN_BUDGET_KIB).toFixed(2)} of ${LOGIN_BUDGET_KIB} KiB`);
    console.log(`  whole session: ${kib(t.staticBytes)} KiB = ${(t.staticBytes / KiB / SESSION_BUDGET_KIB).toFixed(2)} of the ${SESSION_BUDGET_KIB} KiB budget`);
    annotate('whole session', `${kib(t.staticBytes)} KiB over ${visited.length} pages (budget ${SESSION_BUDGET_KIB} KiB)`);
    await rec.detach();
    await page.context().close();
    return { t, loginPart, visited };
  });

  // Round 3: OpenBao's own UI, the yardstick: as Chromium gets it (OpenBao answers its
  // Accept-Encoding with zstd), then asking for gzip only, like for like with Crypter's .gz.
  const openbao = async (title: string, headers?: Record<string, string>) => {
    const { page, rec } = await freshPage(browser, headers);
    await page.goto(`${BAO_ADDR}/ui/`);
    await expect(page.locator('input[name="token"], [data-test-token], form').first()).toBeVisible({ timeout: 60_000 });
    await rec.settle(1000);
    const t = tally(rec.done);
    const timing = await timingCheck(page);
    show(`${title}: ${BAO_ADDR}/ui/ until its login form shows (now at ${new URL(page.url()).pathname})`, t);
    console.log(`  cross-check, Resource Timing transferSize of the same files: ${kib(timing)} KiB`);
    console.log(`  OpenBao UI: ${kib(t.staticBytes)} KiB (and ${kib(t.otherBytes)} KiB of icons, fonts, images)`);
    await rec.detach();
    await page.context().close();
    return t;
  };
  const bao = await test.step('round 3: OpenBao UI', () => openbao('Round 3: OpenBao UI'));
  annotate('OpenBao UI', `${kib(bao.staticBytes)} KiB`);
  const baoGzip = await test.step('round 3, gzip only: OpenBao UI', () =>
    openbao('Round 3, Accept-Encoding: gzip, deflate only: OpenBao UI', { 'Accept-Encoding': 'gzip, deflate' }));
  console.log(
    `\nRatios: login page / OpenBao UI ${(login.staticBytes / bao.staticBytes).toFixed(3)}; ` +
      `whole session / OpenBao UI ${(day.t.staticBytes / bao.staticBytes).toFixed(3)}`,
  );

  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  const rows: [string, number, string, string, string][] = [
    ['1 login page', login.staticBytes, `${ratio(login.staticBytes / KiB, LOGIN_BUDGET_KIB)} of ${LOGIN_BUDGET_KIB}`, ratio(login.staticBytes, bao.staticBytes), `${login.files.length} files, JSON ${kib(login.apiBytes)} KiB; ${encodings(login)}`],
    ['2 login page (day)', day.loginPart.staticBytes, `${ratio(day.loginPart.staticBytes / KiB, LOGIN_BUDGET_KIB)} of ${LOGIN_BUDGET_KIB}`, ratio(day.loginPart.staticBytes, bao.staticBytes), `${day.loginPart.files.length} files`],
    ['2 whole session', day.t.staticBytes, `${ratio(day.t.staticBytes / KiB, SESSION_BUDGET_KIB)} of ${SESSION_BUDGET_KIB}`, ratio(day.t.staticBytes, bao.staticBytes), `${day.visited.length} pages, ${day.t.files.length} files, JSON ${kib(day.t.apiBytes)} KiB; ${encodings(day.t)}`],
    ['3 OpenBao UI', bao.staticBytes, '', '1.00', `${bao.files.length} files, +${kib(bao.otherBytes)} KiB other; ${encodings(bao)}`],
    ['3 OpenBao UI (gzip)', baoGzip.staticBytes, '', ratio(baoGzip.staticBytes, bao.staticBytes), `${baoGzip.files.length} files, Accept-Encoding gzip only; ${encodings(baoGzip)}`],
  ];
  const table = [
    '\nSummary (KiB on the wire; static files: documents, .js, .wasm, .css)',
    `  ${'round'.padEnd(20)} ${'KiB'.padStart(8)}  ${'budget'.padEnd(12)} ${'x OpenBao'.padStart(9)}  notes`,
    ...rows.map(([name, b, budget, vsBao, notes]) => `  ${name.padEnd(20)} ${kib(b).padStart(8)}  ${budget.padEnd(12)} ${vsBao.padStart(9)}  ${notes}`),
  ].join('\n');
  console.log(table);
  annotate('summary', table);

  // Not vacuous: the login page really loaded the app, and the day really went round.
  expect(login.byKind.wasm.n, 'the login page transferred a .wasm').toBeGreaterThanOrEqual(1);
  expect(login.byKind.css.n, 'the login page transferred a .css').toBeGreaterThanOrEqual(1);
  expect(day.visited.length, 'distinct pages visited in the working day').toBeGreaterThanOrEqual(8);
  expect(bao.staticBytes, 'OpenBao UI transferred its files').toBeGreaterThan(0);
  // The budgets.
  expect(login.staticBytes / KiB, `login page (round 1) <= ${LOGIN_BUDGET_KIB} KiB`).toBeLessThanOrEqual(LOGIN_BUDGET_KIB);
  expect(day.loginPart.staticBytes / KiB, `login page (round 2) <= ${LOGIN_BUDGET_KIB} KiB`).toBeLessThanOrEqual(LOGIN_BUDGET_KIB);
  expect(day.t.staticBytes / KiB, `whole session <= ${SESSION_BUDGET_KIB} KiB`).toBeLessThanOrEqual(SESSION_BUDGET_KIB);
});
