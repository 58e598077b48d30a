// The customer pages in a real browser (Debian's Chromium, driven by
// playwright-core): a customer in English, Urdu and Hindi picks a score,
// writes a comment, sends it and sees the thank-you page, and the rating is
// counted once; the one-click link preselects without recording, and a tap
// faster than a person's is sent back; a reusable counter link takes one
// answer per visitor a day; the radio group works from the keyboard;
// axe-core finds no serious or critical violation. Screenshots go to
// target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { call, seriousViolations as violations, serveAndBrowse, shots, stop, strings } from './support.mjs';

// serveAndBrowse's tenant zone, where the scores count.
const ZONE = 'Asia/Karachi';

let base;
let key;
let browser;
let env;

after(() => stop(env));

before(async () => {
  env = await serveAndBrowse([]);
  ({ base, key, browser } = env);
  assert.equal((await api('PUT', '/v1/reps/ayesha', { display_name: 'Ayesha Khan' })).status, 201);
  const settings = await api('PUT', '/v1/settings', {
    questions: ['speed', 'resolved'],
    coupon: 'CHAI10',
    thank_you: {
      en: 'Thanks from all of us at Chai Corner!',
      ur: 'چائے کارنر کی پوری ٹیم کی طرف سے شکریہ!',
      hi: 'चाय कॉर्नर की पूरी टीम की ओर से धन्यवाद!',
    },
  });
  assert.equal(settings.status, 200);
});

const api = (method, p, body) => call(base, key, method, p, body);

async function invite(order, locale) {
  const r = await api('POST', '/v1/invitations', { order_id: order, rep_id: 'ayesha', channel: 'sms', locale });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.code;
}

// The tenant's today, where the scores count.
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());

async function csatCount() {
  const r = await api('GET', `/v1/scores?from=${today()}&to=${today()}`);
  assert.equal(r.status, 200);
  return r.body.summary.csat?.count ?? 0;
}

const seriousViolations = (url) => violations(browser, url);

// People take a moment before Send: the server sends back forms posted
// sooner than its minimum fill time (abuse.min_fill_ms, 1.5 s by default).
const takeAMoment = (page) => page.waitForTimeout(1600);

const customers = [
  ['en', 'Lovely chai and quick service'],
  ['ur', 'بہت اچھی چائے، اور عائشہ نے جلدی مدد کی 👍'],
  ['hi', 'बहुत अच्छी चाय, धन्यवाद'],
];

for (const [lang, comment] of customers) {
  test(`a customer rates in ${lang}, sees the thank-you page, and is counted once`, async () => {
    const s = strings(lang);
    const code = await invite(`order-${lang}`, lang);
    const before = await csatCount();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const blocked = [];
    page.on('console', (m) => /Content Security Policy/i.test(m.text()) && blocked.push(m.text()));

    const response = await page.goto(`${base}/r/${code}`);
    assert.equal(response.status(), 200);
    assert.ok((await response.body()).length < 20 * 1024, 'the page is under 20 KB');
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /^default-src 'none'; style-src 'sha256-/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    assert.equal(headers['cache-control'], 'no-store');
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    const direction = await page.evaluate(() => getComputedStyle(document.documentElement).direction);
    assert.equal(direction, s.dir);
    const one = await page.locator('label[for=score-1]').boundingBox();
    const five = await page.locator('label[for=score-5]').boundingBox();
    assert.equal(one.x > five.x, lang === 'ur', 'the scale runs right to left in Urdu');
    const question = await page.textContent('legend');
    assert.ok(question.includes('Ayesha Khan') && !question.includes('<'), question);
    await page.screenshot({ path: path.join(shots, `rating-${lang}.png`), fullPage: true });

    await page.click('label[for=score-4]');
    await page.click('label[for=speed-5]');
    await page.click('label[for=resolved-true]');
    await page.fill('#comment', comment);
    assert.equal(await csatCount(), before, 'nothing is recorded before Send');
    await takeAMoment(page);
    const [sent] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(sent.status(), 201);
    assert.equal((await page.textContent('h1')).trim(), s.thanks_title);
    const text = await page.textContent('main');
    assert.ok(text.includes('CHAI10'), 'the coupon is shown');
    assert.ok(
      await page.locator(`a[href^="/r/${code}?edit="]`).count(),
      'the answer can still be changed, through a link carrying its edit token',
    );
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).direction), s.dir);
    await page.screenshot({ path: path.join(shots, `thanks-${lang}.png`), fullPage: true });

    assert.equal(await csatCount(), before + 1);
    const stored = await api('GET', `/v1/invitations/${code}`);
    assert.equal(stored.body.response.score, 4);
    assert.equal(stored.body.response.comment, comment, 'the comment is stored byte for byte');
    assert.deepEqual(blocked, [], 'the page needs nothing its CSP blocks');
    await context.close();

    assert.deepEqual(await seriousViolations(`${base}/r/${await invite(`axe-${lang}`, lang)}`), []);
    assert.deepEqual(await seriousViolations(`${base}/r/${code}`), []);
  });
}

test('the one-click link preselects the score and records nothing until confirmed', async () => {
  const code = await invite('one-click', 'en');
  const before = await csatCount();
  const page = await browser.newPage();
  // A mail scanner opening the link twice records nothing.
  await page.goto(`${base}/r/${code}?score=5`);
  await page.goto(`${base}/r/${code}?score=5`);
  assert.equal(await page.isChecked('#score-5'), true);
  assert.match(await page.textContent('.note'), /5/);
  assert.equal(await csatCount(), before);
  assert.equal((await api('GET', `/v1/invitations/${code}`)).body.response, null);
  // A tap the instant the page shows is a bot's speed: the form comes back,
  // the score still chosen, and the next tap records.
  const [quick] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(quick.status(), 400);
  assert.match(await page.textContent('.error'), /That was quick/);
  assert.equal(await page.isChecked('#score-5'), true);
  assert.equal(await csatCount(), before);
  await takeAMoment(page);
  const [sent] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(sent.status(), 201);
  assert.equal(await csatCount(), before + 1);
  assert.equal((await api('GET', `/v1/invitations/${code}`)).body.response.score, 5);
  await page.close();
});

test('a reusable counter link takes one answer per visitor a day', async () => {
  const link = (await api('POST', '/v1/links', { rep_id: 'ayesha', channel: 'in_store', label: 'Till 1' })).body;
  const before = await csatCount();
  const page = await browser.newPage();
  await page.goto(link.url.replace(/^https?:\/\/[^/]+/, base));
  assert.match(await page.textContent('legend'), /Ayesha Khan/, 'it reads as an invitation does');
  assert.equal(await page.isVisible('#website'), false, 'the honeypot is never shown');
  await page.click('label[for=score-5]');
  await takeAMoment(page);
  const [sent] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(sent.status(), 201);
  assert.equal(await page.locator(`a[href^="/r/${link.code}"]`).count(), 0, 'nothing to change: the next visit is a new answer');
  assert.equal(await csatCount(), before + 1);
  // The same visitor again the same day: a friendly refusal, nothing counted.
  await page.goto(`${base}/r/${link.code}`);
  await page.click('label[for=score-1]');
  await takeAMoment(page);
  const [again] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(again.status(), 429);
  assert.match(await page.textContent('h1'), /already answered/);
  assert.equal(await csatCount(), before + 1);
  await page.close();
});

test('the score is chosen from the keyboard, with a visible focus', async () => {
  const code = await invite('keyboard', 'en');
  const page = await browser.newPage();
  await page.goto(`${base}/r/${code}`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'score-1');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.isChecked('#score-3'), true);
  const outline = await page.evaluate(() => getComputedStyle(document.querySelector('label[for=score-3]')).outlineStyle);
  assert.equal(outline, 'solid', 'the focused choice is outlined');
  await page.close();
});
