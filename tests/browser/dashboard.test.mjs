// The business dashboard in a real browser, on the `--demo` data: sign in
// with an API key, see the headline figures equal GET /v1/scores for the
// same period, change the period with a link and with the filter form,
// switch language, sign out; axe-core finds no serious or critical
// violation; screenshots in English, Urdu and Hindi go to
// target/screenshots/dashboard-{lang}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { call, seriousViolations, serveAndBrowse, shots, stop, strings } from './support.mjs';

let base;
let key;
let browser;
let env;
before(async () => {
  env = await serveAndBrowse(['--demo']);
  ({ base, key, browser } = env);
});
after(() => stop(env));

async function signIn(page, lang = 'en') {
  await page.goto(`${base}/dashboard?lang=${lang}`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(/\/dashboard\?lang=/), page.click('form[action="/dashboard/sign-in"] button')]);
}

/** The period the page shows, from its filter form. */
async function period(page) {
  return { from: await page.inputValue('input[name=from]'), to: await page.inputValue('input[name=to]') };
}

/** The page's headline figures must be the API's for the same period. */
async function assertHeadlinesMatchTheApi(page) {
  const { from, to } = await period(page);
  const r = await call(base, key, 'GET', `/v1/scores?from=${from}&to=${to}`);
  assert.equal(r.status, 200);
  const s = r.body.summary;
  const expected = { csat: s.csat?.percent, nps: s.nps?.score, ces: s.ces?.mean };
  for (const [name, value] of Object.entries(expected)) {
    assert.ok(value !== undefined, `the demo has ${name} ratings from ${from} to ${to}`);
    const shown = await page.textContent(`[data-figure="${name}"]`);
    assert.equal(shown, value.toFixed(1), `${name} from ${from} to ${to}`);
  }
  return r.body;
}

test('sign in, read the figures the API gives, change the period, sign out', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const blocked = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && blocked.push(m.text()));

  const first = await page.goto(`${base}/dashboard`);
  assert.equal(first.status(), 200);
  assert.equal(await page.locator('#key').count(), 1, 'signed out: the sign-in form');
  await page.fill('#key', 'fbk_not_a_key');
  await page.click('form[action="/dashboard/sign-in"] button');
  assert.equal(await page.locator('[role=alert]').count(), 1, 'a wrong key is refused');

  await signIn(page);
  const [cookie] = await context.cookies();
  assert.equal(cookie.name, '__Host-feedback_session');
  assert.ok(cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict', JSON.stringify(cookie));
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');

  // The default period: the last 30 days, compared with the 30 before.
  const scores = await assertHeadlinesMatchTheApi(page);
  const { from, to } = await period(page);
  assert.equal((Date.parse(to) - Date.parse(from)) / 86_400_000, 29);
  assert.equal(await page.locator('svg.chart').count(), 3, 'a trend chart per metric');
  assert.ok((await page.locator('#leaderboard tbody tr').count()) >= 3);
  const channels = await page.locator('#channels tbody tr').count();
  assert.equal(channels, scores.channels.length, 'a row per channel with invitations');
  assert.ok((await page.locator('#comments li').count()) > 0, 'the latest comments');
  assert.match(await page.textContent('#waiting'), /\d+ waiting, \d+ overdue/);

  // A quick link: the last 7 days.
  await Promise.all([page.waitForURL(/from=/), page.click('text=Last 7 days')]);
  const week = await period(page);
  assert.equal((Date.parse(week.to) - Date.parse(week.from)) / 86_400_000, 6);
  await assertHeadlinesMatchTheApi(page);

  // The form: 90 days per week, one rep.
  await page.fill('input[name=from]', new Date(Date.parse(to) - 89 * 86_400_000).toISOString().slice(0, 10));
  await page.selectOption('select[name=granularity]', 'week');
  await page.selectOption('select[name=rep_id]', 'ayesha');
  await Promise.all([page.waitForURL(/granularity=week/), page.click('form.filters button')]);
  assert.match(page.url(), /rep_id=ayesha/);
  const { from: f, to: t } = await period(page);
  const rep = await call(base, key, 'GET', `/v1/scores?from=${f}&to=${t}&rep_id=ayesha&granularity=week`);
  assert.equal(await page.textContent('[data-figure="csat"]'), rep.body.summary.csat.percent.toFixed(1));
  const weeks = rep.body.series.filter((b) => b.csat).length;
  assert.equal(await page.locator('svg.chart').first().locator('circle').count(), weeks, 'a point per week with ratings');
  assert.deepEqual(blocked, [], 'the page needs nothing its CSP blocks');

  await Promise.all([page.waitForURL(/lang=en/), page.click('form[action="/dashboard/sign-out"] button')]);
  assert.equal(await page.locator('#key').count(), 1, 'signed out');
  assert.deepEqual(await context.cookies(), [], 'the session cookie is gone');
  await page.goto(`${base}/dashboard`);
  assert.equal(await page.locator('#key').count(), 1);
  await context.close();
});

for (const lang of ['en', 'ur', 'hi']) {
  test(`the dashboard in ${lang}: direction, strings, screenshot, accessibility`, async () => {
    const s = strings(lang).dashboard;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, lang);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).direction), strings(lang).dir);
    assert.equal((await page.textContent('h1')).trim(), s.title);
    await assertHeadlinesMatchTheApi(page);
    await page.screenshot({ path: path.join(shots, `dashboard-${lang}.png`), fullPage: true });
    // Readable on a phone: nothing wider than the screen but the tables'
    // own scrolling boxes.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
    await page.screenshot({ path: path.join(shots, `dashboard-${lang}-phone.png`), fullPage: true });
    await context.close();

    const signedIn = (page) => signIn(page, lang);
    assert.deepEqual(await seriousViolations(browser, `${base}/dashboard?lang=${lang}`, signedIn), []);
    assert.deepEqual(await seriousViolations(browser, `${base}/dashboard?lang=${lang}`), [], 'the sign-in form');
  });
}
