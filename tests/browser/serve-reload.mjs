#!/usr/bin/env node
// serve-reload.mjs — `gloss serve` in a real browser: live reload and the diagnostics overlay.
//
// Copies the seed briefing (site.toml, content/, themes/) to a temporary folder, with base_url
// moved under /briefing/, starts `gloss serve --root TMP --port 0`, opens the source page of the
// first annotation file in headless Chromium (playwright-core from $CHECKS_HOME, Debian's
// /usr/bin/chromium), then:
//   1. edits an annotation's note: the page must reload and show the new text within 1 s;
//   2. breaks that annotation's quote: the overlay must appear, naming the file and line;
//   3. fixes it: the overlay must disappear;
//   4. stops the server with SIGINT: it must exit 0.
// stdout: progress lines, then one summary line (the last line). Exit: 0 pass, 1 fail.
// Env: GLOSS_BIN (default target/release/gloss), CHROMIUM (default /usr/bin/chromium),
//      CHECKS_HOME (default ~/.cache/site-checks, see shared/checks/install.sh).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'serve-reload';
const RELOAD_BUDGET_MS = 1000;
const OVERLAY_BUDGET_MS = 3000;
const BASE_PATH = '/briefing/';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const glossBin = process.env.GLOSS_BIN || path.join(repo, 'target', 'release', 'gloss');
const checksHome = process.env.CHECKS_HOME || path.join(os.homedir(), '.cache', 'site-checks');

let server = null;
let browser = null;
let tmp = null;
const serverLines = [];

function log(line) {
  console.log(`  ${line}`);
}

async function finish(ok, detail) {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) server.kill('SIGKILL');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (!ok && serverLines.length) {
    console.error('gloss serve printed:');
    for (const line of serverLines) console.error(`  ${line}`);
  }
  console.log(`${NAME}: ${ok ? 'PASS' : 'FAIL'} (${detail})`);
  process.exit(ok ? 0 : 1);
}

function fail(message) {
  throw Object.assign(new Error(message), { expected: true });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the first stdout line matching `pattern` (or rejects after `ms`). */
function waitForLine(pattern, ms) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const line = serverLines.find((l) => pattern.test(l));
      if (line) {
        clearInterval(timer);
        resolve(line);
      } else if (server.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`gloss serve exited (${server.exitCode}) before printing ${pattern}`));
      } else if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error(`gloss serve printed no line matching ${pattern} in ${ms} ms`));
      }
    }, 10);
  });
}

/** Polls the page's HTML (which may be mid-navigation) until `test` holds; returns the ms taken. */
async function waitForHtml(page, test, ms, what) {
  const started = Date.now();
  for (;;) {
    const html = await page.content().catch(() => '');
    if (test(html)) return Date.now() - started;
    if (Date.now() - started > ms) fail(`${what} not seen within ${ms} ms`);
    await sleep(10);
  }
}

async function main() {
  if (!fs.existsSync(glossBin)) fail(`no gloss binary at ${glossBin} (cargo build --release)`);
  let chromium;
  try {
    const require = createRequire(path.join(checksHome, 'package.json'));
    ({ chromium } = require('playwright-core'));
  } catch {
    fail(`playwright-core not found in ${checksHome} (run shared/checks/install.sh)`);
  }

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gloss-serve-reload-'));
  // Served under a sub-path, as on GitHub Pages, so the event stream's URL is tested too.
  const siteToml = fs.readFileSync(path.join(repo, 'site.toml'), 'utf8')
    .replace(/^base_url\s*=.*$/m, `base_url = "https://example.github.io${BASE_PATH}"`);
  fs.writeFileSync(path.join(tmp, 'site.toml'), siteToml);
  for (const folder of ['content', 'themes']) {
    fs.cpSync(path.join(repo, folder), path.join(tmp, folder), { recursive: true });
  }
  const annotationsDir = path.join(tmp, 'content', 'annotations');
  const yamlName = fs.readdirSync(annotationsDir).filter((f) => f.endsWith('.yaml')).sort()[0];
  if (!yamlName) fail('the seed briefing has no annotation file');
  const yamlPath = path.join(annotationsDir, yamlName);
  const original = fs.readFileSync(yamlPath, 'utf8');
  const slug = /^source:\s*"?([a-z0-9-]+)"?\s*$/m.exec(original)?.[1];
  if (!slug) fail(`no \`source:\` line in ${yamlName}`);

  server = spawn(glossBin, ['serve', '--root', tmp, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  for (const stream of [server.stdout, server.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      serverLines.push(...lines);
    });
  }
  const serving = await waitForLine(/^serving at http:\/\//, 30000);
  const siteUrl = serving.replace(/^serving at /, '').trim();
  const origin = new URL(siteUrl).origin;
  if (new URL(siteUrl).pathname !== BASE_PATH) fail(`served at ${siteUrl}, not under ${BASE_PATH}`);
  const pageUrl = new URL(`sources/${slug}/`, siteUrl).href;
  log(`serving ${siteUrl}; opening ${pageUrl}`);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Keep everything on this machine: abort any request that is not to our server.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    return u.startsWith(origin) || u.startsWith('data:') ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const response = await page.goto(pageUrl, { waitUntil: 'load' });
  if (response?.status() !== 200) fail(`${pageUrl} answered ${response?.status()}`);
  if (await page.locator('script[data-gloss-serve]').count() !== 1) fail('no live-reload script in the page');
  // Let the page's event stream connect (it would catch up on connecting anyway).
  await sleep(200);

  // 1. Edit the first note: the page reloads with the new text.
  const marker = `Edited-by-the-browser-test-${Date.now()}`;
  const noteLine = /^(\s+note: \|\s*\n)(\s+)/m;
  if (!noteLine.test(original)) fail(`no block \`note: |\` in ${yamlName}`);
  const edited = original.replace(noteLine, `$1$2${marker} `);
  let navigations = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations += 1; });
  fs.writeFileSync(yamlPath, edited);
  const reloadMs = await waitForHtml(page, (html) => html.includes(marker), RELOAD_BUDGET_MS,
    'the edited note');
  if (navigations < 1) fail('the new note appeared without a reload');
  log(`edited note shown after ${reloadMs} ms`);

  // 2. Break the quote: the overlay appears, naming the file and line.
  const broken = edited.replace(/quote: "/, 'quote: "zzz not in the source ');
  const brokenLine = broken.slice(0, broken.indexOf('zzz not in the source')).split('\n').length;
  const overlayStarted = Date.now();
  fs.writeFileSync(yamlPath, broken);
  const overlay = page.locator('#gloss-overlay');
  try {
    await overlay.waitFor({ state: 'visible', timeout: OVERLAY_BUDGET_MS });
  } catch {
    fail(`no overlay within ${OVERLAY_BUDGET_MS} ms of breaking the quote`);
  }
  const overlayMs = Date.now() - overlayStarted;
  const overlayText = await overlay.innerText();
  const place = `content/annotations/${yamlName}:${brokenLine}:`;
  if (!overlayText.includes(place)) fail(`the overlay does not name ${place}: ${overlayText}`);
  if (!overlayText.includes('quote-not-found')) fail(`the overlay does not say quote-not-found: ${overlayText}`);
  if (!(await page.content()).includes(marker)) fail('the last good page was not kept under the overlay');
  log(`overlay shown after ${overlayMs} ms, naming ${place}`);

  // 3. Fix it: the overlay goes away.
  const clearStarted = Date.now();
  fs.writeFileSync(yamlPath, edited);
  try {
    await overlay.waitFor({ state: 'detached', timeout: OVERLAY_BUDGET_MS });
  } catch {
    fail(`the overlay stayed for ${OVERLAY_BUDGET_MS} ms after the fix`);
  }
  const clearMs = Date.now() - clearStarted;
  log(`overlay cleared after ${clearMs} ms`);
  if (pageErrors.length) fail(`script errors in the page: ${pageErrors.join('; ')}`);

  // 4. Ctrl-C stops the server cleanly, with the page's event stream still open.
  const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
  server.kill('SIGINT');
  const exit = await Promise.race([exited, sleep(10000).then(() => null)]);
  if (!exit) fail('gloss serve did not stop within 10 s of SIGINT');
  if (exit.code !== 0) fail(`gloss serve exited with ${exit.code ?? exit.signal} on SIGINT`);

  const rebuilds = serverLines
    .map((line) => / (\d+) ms/.exec(line)?.[1])
    .filter(Boolean)
    .slice(1); // the first is the initial build
  await finish(true, `reload ${reloadMs} ms, overlay ${overlayMs} ms, cleared ${clearMs} ms; ` +
    `rebuilds ${rebuilds.join('/')} ms`);
}

main().catch((err) => finish(false, err.expected ? err.message : (err.stack || String(err))));
