#!/usr/bin/env node
// search.mjs DIR [SUBPATH] — search the built seed briefing in headless Chromium.
//
// Serves DIR under SUBPATH (default /briefing/) with `python3 -m http.server` and a temporary
// folder holding a symlink SUBPATH -> DIR (as /work/shared/checks/axe.mjs does), opens the search
// page, types "Maia" and checks that the results include the source that mentions it, the Maia
// entity page and annotations mentioning it, all under SUBPATH, having fetched only the index
// shards the word needs; then that the type filter set to `annotation` narrows the results to
// annotations, that the entity filter narrows, that "micro" finds Microsoft (prefix match), and
// that axe finds nothing serious or critical on the page with its results shown. Requests to any
// other host are aborted, and any failed request on our own server fails the test.
// Uses playwright-core from $CHECKS_HOME (default ~/.cache/site-checks) and Debian's Chromium.
// Prints one summary line last. Exit 0 = pass, 1 = fail, 2 = setup problem.
// Env: CHROMIUM=/path/to/chromium (default /usr/bin/chromium)
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const checksHome = process.env.CHECKS_HOME || path.join(os.homedir(), '.cache', 'site-checks');
let chromium, axeSource;
try {
  const require = createRequire(path.join(checksHome, 'package.json'));
  ({ chromium } = require('playwright-core'));
  axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch (e) {
  console.log(`search: FAIL (setup: playwright-core or axe-core not found under ${checksHome}: run install.sh of the site checks)`);
  process.exit(2);
}

const [dirArg, subArg = '/briefing/'] = process.argv.slice(2);
if (!dirArg || !fs.statSync(dirArg, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: node search.mjs SITE_DIR [SUBPATH]');
  console.log(`search: FAIL (setup: no such directory: '${dirArg ?? ''}')`);
  process.exit(2);
}
const root = path.resolve(dirArg);
const subpath = ('/' + subArg.replace(/^\/+|\/+$/g, '') + '/').replace(/^\/\/$/, '/');

let serveDir = root, tmpServeDir = null;
if (subpath !== '/') {
  tmpServeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-serve-'));
  const link = path.join(tmpServeDir, subpath.slice(1, -1));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(root, link);
  serveDir = tmpServeDir;
}
const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', serveDir],
  { stdio: ['ignore', 'pipe', 'ignore'] });
let browser;
const cleanup = async () => {
  try { await browser?.close(); } catch {}
  server.kill();
  if (tmpServeDir) fs.rmSync(tmpServeDir, { recursive: true, force: true });
};

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };
let summary = '';
try {
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('http.server did not start')), 15000);
    server.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/port (\d+)/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    server.on('exit', (code) => reject(new Error(`http.server exited (${code})`)));
  });
  const origin = `http://127.0.0.1:${port}`;

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const offHost = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    offHost.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  const broken = [];
  const consoleErrors = [];
  const indexRequests = [];
  page.on('request', (r) => { if (r.url().includes('/search-index/')) indexRequests.push(new URL(r.url()).pathname); });
  page.on('response', (r) => { if (r.status() >= 400) broken.push(`${r.status()} ${r.url()}`); });
  page.on('requestfailed', (r) => broken.push(`failed ${r.url()}`));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  await page.goto(`${origin}${subpath}search/`, { waitUntil: 'load' });
  await page.getByLabel('Search for').fill('Maia');
  const results = page.locator('#search-results > li');
  const status = page.locator('#search-status');
  await status.filter({ hasText: /result|could not/ }).waitFor({ timeout: 20000 });
  if (/could not/.test(await status.textContent())) {
    throw new Error(`the search page says: ${await status.textContent()} (${[...broken, ...consoleErrors].join(' | ')})`);
  }
  const read = () => results.evaluateAll((items) => items.map((li) => ({
    href: li.querySelector('a').getAttribute('href'),
    badge: li.querySelector('.search-badge').textContent,
    excerpt: li.querySelector('.search-result-excerpt').textContent,
  })));
  const all = await read();
  const hrefs = all.map((r) => r.href);
  const firstStatus = await status.textContent();
  check(all.length >= 20 || firstStatus.startsWith(`${all.length} result`),
    `the status counts the results listed ("${firstStatus}", ${all.length} listed)`);
  check(hrefs.includes(`${subpath}sources/microsoft-dual-track-strategy/`), 'the source that mentions Maia is a result');
  check(hrefs.includes(`${subpath}entities/maia/`), 'the Maia entity page is a result');
  const annotations = all.filter((r) => r.badge === 'Annotation');
  check(annotations.some((r) => r.href === `${subpath}sources/microsoft-dual-track-strategy/#ann-s2-maia-chip`),
    'the annotation on the Maia chip passage is a result');
  check(annotations.length >= 2 && annotations.every((r) => /Maia/i.test(r.excerpt)),
    'annotations that mention Maia are results, each excerpt showing it');
  check(all.every((r) => r.href.startsWith(subpath)), `every result link is under ${subpath}`);

  // Like Pagefind, the page fetches the index's small meta file and only the shards the query
  // needs, never the whole index.
  const meta = JSON.parse(fs.readFileSync(path.join(root, 'search-index', 'meta.json'), 'utf8'));
  const shardsFetched = indexRequests.filter((p) => p.startsWith(`${subpath}search-index/terms/`));
  check(indexRequests.includes(`${subpath}search-index/meta.json`), 'the index is found under the base path');
  check(shardsFetched.length >= 1 && shardsFetched.length <= 2 && meta.terms.keys.length > 10,
    `"Maia" fetches one or two term shards, not all ${meta.terms.keys.length} (${shardsFetched.join(', ')})`);

  // The page with its results passes axe (nothing serious or critical). axe is evaluated
  // through the DevTools protocol: the theme's Content-Security-Policy rightly blocks an
  // inline <script> tag, and console errors (CSP violations among them) fail the test below.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ['violations'] })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.nodes.length})`));
  check(violations.length === 0, `axe finds nothing serious with results shown (${violations.join(', ')})`);

  // The excerpt marks the match.
  check(await page.locator('#search-results mark').first().textContent().then((t) => /maia/i.test(t)),
    'excerpts mark the matched word');

  // One filter narrows: type = annotation.
  await page.getByLabel('Type').selectOption('annotation');
  await page.waitForFunction(() => /filtered by annotation/.test(document.getElementById('search-status').textContent));
  const narrowed = await read();
  check(narrowed.length > 0 && narrowed.length < all.length, 'the type filter narrows the results');
  check(narrowed.every((r) => r.badge === 'Annotation'), 'with type = annotation only annotations are listed');
  check(new URL(page.url()).searchParams.get('type') === 'annotation', 'the filter is kept in the address');

  // The entity filter narrows too, and a word's start finds the whole word.
  await page.getByLabel('Type').selectOption('');
  await page.getByLabel('Entity').selectOption('Maia');
  await page.waitForFunction(() => /filtered by Maia/.test(document.getElementById('search-status').textContent));
  const byEntity = await read();
  check(byEntity.length > 0 && byEntity.some((r) => r.href === `${subpath}entities/maia/`),
    'with entity = Maia, the Maia entity page is still a result');
  await page.getByLabel('Entity').selectOption('');
  await page.getByLabel('Search for').fill('micro');
  await page.waitForFunction(() => /for “micro”/.test(document.getElementById('search-status').textContent));
  const prefixed = await read();
  check(prefixed.some((r) => r.href === `${subpath}entities/microsoft/`), '"micro" finds the Microsoft entity page');
  // "Show more", clicked twice at once while the first batch's records are slow to come, lists
  // the same results in the same order as two clicks one after the other.
  const total = Number((await status.textContent()).match(/^(\d+) result/)?.[1] ?? 0);
  const moreButton = page.locator('#search-more button');
  let shownAfterMore = prefixed.length;
  check(total <= prefixed.length || await moreButton.isVisible(), `"Show more" is offered for ${total} results`);
  if (total > prefixed.length && await moreButton.isVisible()) {
    const expected = Math.min(total, prefixed.length + 40);
    const listed = (n) => page.waitForFunction((k) => document.querySelectorAll('#search-results > li').length >= k, n);
    let slowNext = true;
    await page.route('**/search-index/records/**', async (route) => {
      if (slowNext) {
        slowNext = false;
        await new Promise((resolve) => setTimeout(resolve, 800));
      }
      return route.continue();
    });
    await moreButton.evaluate((button) => { button.click(); button.click(); });
    await listed(expected);
    await page.waitForTimeout(1000);
    const atOnce = (await read()).map((r) => r.href);
    await page.unroute('**/search-index/records/**');
    // Again, one click at a time (the records are cached by now).
    await page.getByLabel('Search for').fill('microsoft');
    await page.waitForFunction(() => /for “microsoft”/.test(document.getElementById('search-status').textContent));
    await page.getByLabel('Search for').fill('micro');
    await page.waitForFunction(() => /for “micro”/.test(document.getElementById('search-status').textContent));
    await moreButton.click();
    await listed(Math.min(total, prefixed.length + 20));
    if (await moreButton.isVisible()) await moreButton.click();
    await listed(expected);
    const inTurn = (await read()).map((r) => r.href);
    check(atOnce.length === expected && new Set(atOnce).size === expected
      && atOnce.every((href, i) => href === inTurn[i]),
      `two quick clicks on "Show more" list the ${expected} results in rank order (${atOnce.length} listed)`);
    shownAfterMore = atOnce.length;
  }

  // A result link leads to a page that exists, at the annotated passage.
  const target = narrowed.find((r) => r.href.includes('#ann-'));
  if (target) {
    const resp = await page.goto(`${origin}${target.href}`, { waitUntil: 'load' });
    const id = target.href.split('#')[1];
    check(resp.status() === 200 && await page.locator(`[id="${id}"]`).count() === 1,
      `the result ${target.href} opens at its passage`);
  }

  check(offHost.length === 0, `nothing is loaded from other hosts (${offHost.join(', ')})`);
  check(broken.length === 0, `no failed requests (${broken.join(', ')})`);
  check(consoleErrors.length === 0, `no script errors (${consoleErrors.join(' | ')})`);
  summary = `${all.length} results for "Maia" (${annotations.length} annotations, ${shardsFetched.length} term shard(s) fetched), ${narrowed.length} with type=annotation, ${byEntity.length} with entity=Maia, ${prefixed.length} for "micro" (${shownAfterMore} after "Show more")`;
} catch (e) {
  await cleanup();
  console.error(e);
  console.log(`search: FAIL (${String(e.message || e).split('\n')[0]})`);
  process.exit(1);
}
await cleanup();
for (const f of failures) console.log(`not ok: ${f}`);
console.log(failures.length
  ? `search: FAIL ${failures.length} check(s) failed; ${summary} under ${subpath}`
  : `search: OK ${summary} under ${subpath}`);
process.exit(failures.length ? 1 : 0);
