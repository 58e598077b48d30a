// What the browser suites share: the local server on a fresh store, the
// browser (Debian's Chromium, driven by playwright-core), and axe-core.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const root = path.resolve(import.meta.dirname, '../..');
const bin = process.env.FEEDBACK_BIN ?? path.join(root, 'target/debug/feedback');
export const shots = process.env.SCREENSHOT_DIR ?? path.join(root, 'target/screenshots');
export const strings = (lang) => JSON.parse(readFileSync(path.join(root, `functions/http/locales/${lang}.json`), 'utf8'));

/** The local server on a fresh SQLite store with `args`; resolves to its
 * base URL, its first admin key and the process. */
export function startServer(args, env) {
  const data = mkdtempSync(path.join(tmpdir(), 'feedback-browser-'));
  const all = { ...process.env, FEEDBACK_DATA: data, FEEDBACK_ADDR: '127.0.0.1:0', ...env };
  delete all.DYNAMODB_ENDPOINT;
  delete all.DYNAMODB_TABLE;
  delete all.PUBLIC_BASE_URL;
  const server = spawn(bin, args, { env: all, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    server.stdout.on('data', (d) => {
      out += d;
      const served = out.match(/Serving on (http:\/\/\S+)/);
      const admin = out.match(/fbk_[A-Za-z0-9]+/);
      if (served && admin) {
        clearTimeout(timer);
        resolve({ base: served[1], key: admin[0], server });
      }
    });
    server.on('exit', (c) => reject(new Error(`server exited with ${c}: ${out}`)));
  });
}

/** The server (with `args`, for Chai Corner in Karachi) and the browser:
 * `base`, `key`, `server` and `browser`. */
export async function serveAndBrowse(args) {
  mkdirSync(shots, { recursive: true });
  const env = await startServer(args, { TENANT_TIME_ZONE: 'Asia/Karachi', TENANT_NAME: 'Chai Corner' });
  env.browser = await launchBrowser();
  return env;
}

/** Stops what serveAndBrowse started. */
export async function stop(env) {
  await env?.browser?.close();
  env?.server?.kill('SIGTERM');
}

function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A JSON API call with `key`. */
export async function call(base, key, method, p, body) {
  const r = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** axe-core's serious and critical findings on `url`, after `prepare`
 * (e.g. a sign-in) runs on the page. axe is injected, so this context may
 * run it despite the page's CSP; the flows themselves run under the real
 * policy. */
export async function seriousViolations(browser, url, prepare = async () => {}) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await prepare(page);
  await page.goto(url);
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () =>
    (await window.axe.run(document)).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  await context.close();
  return found;
}
