// The web page in a real browser (Chromium through puppeteer-core), against
// the real service and the fake backend. Run by tests/http_ui.sh:
//   node ui_browser.mjs --base URL --fake URL --deps DIR --out DIR [--key KEY]
// Prints "ok - ..." / "FAIL - ..." per check and "# ..." notes; exits 1 when
// a check failed.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const arg = (name, dflt) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const BASE = arg('base');
const FAKE = arg('fake');
const KEY = arg('key', '');
const OUT = arg('out');
const DEPS = arg('deps');
const CHROMIUM = arg('chromium', '/usr/bin/chromium');
const require = createRequire(path.join(DEPS, 'node_modules', 'index.js'));
const puppeteer = require('puppeteer-core');

let failed = 0;
const check = (name, cond, detail) => {
  if (cond) console.log('ok - ' + name);
  else {
    failed++;
    console.log('FAIL - ' + name + (detail !== undefined ? ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail)) : ''));
  }
};
const note = (s) => console.log('# ' + s);
const fake = (script) => fetch(FAKE + '/_control', {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(script),
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

fs.mkdirSync(OUT, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-chromium-'));
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  protocolTimeout: 30000,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--user-data-dir=' + profile],
});

const origin = new URL(BASE).origin;
const foreign = [];
const consoleErrors = [];
const expectedFailures = new Set(); // "status path" the test provokes on purpose
const failedLoads = [];

async function newPage(width) {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 900 });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && new URL(u).origin !== origin) foreign.push(u);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) failedLoads.push(r.status() + ' ' + new URL(r.url()).pathname);
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const loc = m.location() && m.location().url ? new URL(m.location().url).pathname : '';
    if (/^Failed to load resource/.test(m.text()) && [...expectedFailures].some((e) => e.endsWith(' ' + loc))) return;
    consoleErrors.push(m.text() + (loc ? ' (' + loc + ')' : ''));
  });
  page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
  await page.evaluateOnNewDocument(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  return page;
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const visible = (page, sel) => page.$eval(sel, (e) => !e.closest('[hidden]') && e.getClientRects().length > 0);

async function send(page, { culture, message, country = '', prompt = false }) {
  await page.bringToFront(); // a background tab is not rendered
  await page.select('#culture', culture);
  await page.$eval('#message', (e) => { e.value = ''; });
  await page.type('#message', message);
  await page.$eval('#country', (e) => { e.value = ''; });
  if (country) await page.type('#country', country);
  const checked = await page.$eval('#include-prompt', (e) => e.checked);
  if (checked !== prompt) await page.click('#include-prompt');
  await page.evaluate(() => {
    window.__cls = 0;
    window.__lens = [];
    const r = document.getElementById('reply');
    window.__obs && window.__obs.disconnect();
    window.__obs = new MutationObserver(() => window.__lens.push(r.textContent.length));
    window.__obs.observe(r, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#send');
  await page.waitForFunction(() => !document.getElementById('send').disabled, { timeout: 20000 });
}

// Every form control and link has an accessible name (the browser's own
// accessibility tree).
async function unnamedControls(page) {
  const tree = await page.accessibility.snapshot({ interestingOnly: false });
  const roles = new Set(['textbox', 'combobox', 'button', 'checkbox', 'radio', 'tab', 'link', 'searchbox', 'listbox', 'spinbutton']);
  const bad = [];
  const walk = (n) => {
    if (!n) return;
    if (roles.has(n.role) && !(n.name && n.name.trim())) bad.push(n.role);
    for (const c of n.children || []) walk(c);
  };
  walk(tree);
  return bad;
}

// Text contrast from computed styles: every visible element with text of
// its own, against the first opaque background behind it (alpha blended).
function contrastFailures(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const blend = (top, under) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
    };
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let bg = [255, 255, 255, 1];
      for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg);
      return bg;
    };
    const bad = [];
    let n = 0;
    for (const el of document.body.querySelectorAll('*')) {
      const own = [...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
      if (!own || el.closest('[hidden]') || !el.getClientRects().length) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || el.closest('.sr-only') || el.closest('.skip')) continue;
      n++;
      const bg = background(el);
      const fg = blend(parse(cs.color), bg);
      const l1 = lum(fg), l2 = lum(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className + ' ' + ratio.toFixed(2));
    }
    return { n, bad };
  });
}

const page = await newPage(1280);
if (KEY) expectedFailures.add('401 /cultures');
const nav = await page.goto(BASE + '/', { waitUntil: 'networkidle0' });
const h = nav.headers();
check('the page is served with a strict CSP', /default-src 'self'/.test(h['content-security-policy'] || '') &&
  !/unsafe-inline/.test(h['content-security-policy']), h['content-security-policy']);
check('nosniff and no referrer', h['x-content-type-options'] === 'nosniff' && h['referrer-policy'] === 'no-referrer');

if (KEY) {
  await page.waitForFunction(() => !document.getElementById('try-error').hidden, { timeout: 5000 }).catch(() => {});
  const err = await text(page, '#try-error');
  check('AUTH=on without a key: the 401 is shown plainly', /401/.test(err) && /key/i.test(err), err);
  await page.type('#api-key', KEY);
  await page.click('#key-form button[type=submit]');
}
await page.waitForFunction(() => document.querySelectorAll('#culture option[value="chinese"]').length === 1, { timeout: 5000 })
  .catch(() => {});
const codes = await page.$$eval('#culture option', (os) => os.map((o) => o.value));
check('cultures come from GET /cultures', codes.includes('chinese') && codes.includes('arabic'), codes);
if (KEY) {
  const st = await page.evaluate(() => ({
    session: sessionStorage.getItem('culturecare.apiKey'), local: localStorage.length, cookie: document.cookie,
    field: document.getElementById('api-key').value,
  }));
  check('the key is kept in session storage only', st.session === KEY && st.local === 0 && st.cookie === '' && st.field === '', st.local);
}

// 1. A reply streams in, piece by piece; its annotations are highlighted.
const pieces = ['Moving away from your friends is hard. ', 'It makes sense that the silence hurts. ',
  'Many people feel this after a move. ', 'Could you write to one friend from the group today? ',
  'Small messages often restart a conversation. ', 'You are not alone in this.'];
await fake({
  pieces, piece_interval_ms: 250,
  json_content: JSON.stringify({
    emotional_distress: [{ phrase: 'I feel so alone', intensity: 'moderate' }],
    cultural_signals: [{ phrase: 'WeChat', type: 'Artifacts' }],
  }),
});
await send(page, { culture: 'chinese', message: 'My WeChat group is silent since I moved and I feel so alone.', prompt: true });
const lens = await page.evaluate(() => window.__lens);
const growth = [...new Set(lens)].filter((n) => n > 0);
check('the reply streams in piece by piece', growth.length >= 3 && growth.every((v, i) => i === 0 || v > growth[i - 1]), lens);
check('the whole reply arrives', (await text(page, '#reply')) === pieces.join(''), await text(page, '#reply'));
const marks = await page.$$eval('#marked mark', (ms) => ms.map((m) => ({ kind: m.dataset.kind, it: m.dataset.intensity, type: m.dataset.type, text: m.firstChild && m.firstChild.textContent })));
check('a cultural signal is highlighted with its type', marks.some((m) => m.kind === 'signal' && m.type === 'Artifacts' && m.text === 'WeChat'), marks);
check('a distress phrase is highlighted with its intensity', marks.some((m) => m.kind === 'distress' && m.it === 'moderate'), marks);
check('the annotations are listed with intensity and type', /moderate/.test(await text(page, '#annotations')) && /Artifacts/.test(await text(page, '#annotations')));
check('safety, timings and strategies are shown', (await text(page, '#s-level')) === 'none' && (await text(page, '#t-total')) !== '–' &&
  (await text(page, '#strategies')).trim() !== '–' && (await text(page, '#s-classifier')) !== '–');
check('"show the prompt" shows the prompt', await visible(page, '#prompt-box') && /WeChat/.test(await text(page, '#prompt')));
const cls = await page.evaluate(() => window.__cls);
check('no layout shift while streaming (CLS ' + cls.toFixed(4) + ' < 0.1)', cls < 0.1, cls);
await page.screenshot({ path: path.join(OUT, 'desktop-reply.png'), fullPage: true });

const phone = await newPage(390);
await phone.evaluateOnNewDocument((k) => { if (k) sessionStorage.setItem('culturecare.apiKey', k); }, KEY);
await phone.goto(BASE + '/', { waitUntil: 'networkidle0' });
await phone.waitForFunction(() => document.querySelectorAll('#culture option[value="chinese"]').length === 1, { timeout: 5000 });
await send(phone, { culture: 'chinese', message: 'My WeChat group is silent since I moved and I feel so alone.' });
check('phone width: no horizontal scrolling', await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
  await phone.evaluate(() => document.documentElement.scrollWidth));
const pcls = await phone.evaluate(() => window.__cls);
check('phone width: no layout shift while streaming (CLS ' + pcls.toFixed(4) + ')', pcls < 0.1, pcls);
await phone.screenshot({ path: path.join(OUT, 'phone-reply.png'), fullPage: true });
await phone.bringToFront();

// 2. A crisis message: the crisis reply and its resources, not a chat turn.
await send(page, { culture: 'german', message: 'I took all my pills an hour ago and wrote a note for my sister', country: 'DE' });
check('a crisis reply is shown as such', await visible(page, '#crisis') && !(await visible(page, '#reply')) &&
  (await text(page, '#crisis-text')).length > 50 && (await text(page, '#reply')) === '');
check('at imminent risk', (await text(page, '#s-level')).startsWith('imminent'), await text(page, '#s-level'));
const links = await page.$$eval('#resources a', (as) => as.map((a) => a.getAttribute('href')));
check('with the resources as tel: links', links.some((l) => l.startsWith('tel:')), links);
check('and their open-now state', /Open now|Closed now|not confirmed/.test(await text(page, '#resources')));
await page.screenshot({ path: path.join(OUT, 'desktop-crisis.png'), fullPage: true });
await send(phone, { culture: 'german', message: 'I took all my pills an hour ago and wrote a note for my sister', country: 'DE' });
await phone.screenshot({ path: path.join(OUT, 'phone-crisis.png'), fullPage: true });

// 3. Arabic renders right to left.
await fake({ pieces: ['أنا آسف لأنك تشعر بالوحدة. ', 'الانتقال إلى مكان جديد صعب. ', 'أنت لست وحدك.'], piece_interval_ms: 100 });
await send(page, { culture: 'arabic', message: 'أشعر بالوحدة منذ أن انتقلت إلى مدينة جديدة بعيدا عن عائلتي' });
const dirs = await page.evaluate(() => ['#message', '#marked', '#reply'].map((s) => getComputedStyle(document.querySelector(s)).direction));
check('an Arabic message and reply render right to left', dirs.every((d) => d === 'rtl'), dirs);
await page.screenshot({ path: path.join(OUT, 'desktop-arabic.png'), fullPage: true });

// 4. A stream error event is shown plainly.
await fake({ mode: 'error', status: 500 });
await send(page, { culture: 'german', message: 'Ich fühle mich so allein seit dem Umzug.' });
const err = await text(page, '#try-error');
check('a stream error event is shown plainly', (await visible(page, '#try-error')) && /failed/.test(err), err);
await fake({ mode: 'ok' });

// 5. Accessible names and contrast, on the results shown.
let bad = await unnamedControls(page);
check('every control has an accessible name (Try it)', bad.length === 0, bad);
let c = await contrastFailures(page);
check('text contrast >= 4.5:1 (' + c.n + ' text elements, Try it)', c.bad.length === 0 && c.n > 20, c.bad);

await page.bringToFront();
// 6. Rate: keyboard to the tab; a rating round trip against the real
// routes, on the item tests/http_ui.sh made with POST /candidates (the
// newest unrated one), ending in GET /stats.
const api = async (p) => {
  const res = await fetch(BASE + p, { headers: KEY ? { Authorization: 'Bearer ' + KEY } : {} });
  return { status: res.status, body: await res.json().catch(() => null) };
};
await page.focus('#tab-try');
await page.keyboard.press('ArrowRight');
const probe = await api('/items?rated=false&limit=1');
const item = probe.body && probe.body.items && probe.body.items[0];
await page.waitForFunction(() => document.getElementById('rate-status').textContent && !/Loading/.test(document.getElementById('rate-status').textContent) ||
  !document.getElementById('rate-form').hidden || !document.getElementById('rate-error').hidden, { timeout: 5000 }).catch(() => {});
check('the Rate tab opens from the keyboard', await visible(page, '#panel-rate') && !(await visible(page, '#panel-try')));
check('GET /items?rated=false lists the item to rate', probe.status === 200 && item && item.candidates.length === 2, probe);
if (item) {
  const sums = async () => {
    const st = await api('/stats?culture=' + encodeURIComponent(item.culture));
    const gs = (st.body && st.body.groups) || [];
    const mine = gs.filter((g) => item.candidates.some((c) => c.strategy === g.strategy));
    return {
      status: st.status,
      ratings: mine.reduce((n, g) => n + g.human.ratings, 0),
      comparisons: mine.reduce((n, g) => n + g.preferences.comparisons, 0),
      empathy: mine.map((g) => g.human.means.empathy),
    };
  };
  const before = await sums();
  await page.type('#rater', 'ui-test');
  await page.click('#rater-form button[type=submit]');
  await page.waitForSelector('#rate-form:not([hidden])', { timeout: 5000 });
  const shown = await page.evaluate(() => ({
    message: document.getElementById('item-message').textContent,
    replies: [...document.querySelectorAll('.candidate-text')].map((e) => e.textContent),
  }));
  check('rating round trip: the item\'s message and its candidates\' replies are shown', shown.message === item.message &&
    shown.replies.length === 2 && shown.replies.every((t) => item.candidates.some((c) => c.reply === t && t.length > 0)), shown);
  await page.$$eval('#candidates input[type=radio][value="4"]', (rs) => rs.forEach((r) => r.click()));
  await page.click('#rate-submit');
  await page.waitForFunction(() => /Saved/.test(document.getElementById('rate-status').textContent) || !document.getElementById('rate-error').hidden, { timeout: 5000 });
  check('rating round trip: the ratings are saved', /Saved/.test(await text(page, '#rate-status')), await text(page, '#rate-error'));
  const after = await sums();
  check('rating round trip: GET /stats counts the two ratings and the ranking', after.status === 200 &&
    after.ratings === before.ratings + 2 && after.comparisons === before.comparisons + 2 && after.empathy.every((m) => m === 4), { before, after });
  const again = await api('/items/' + item.id);
  check('rating round trip: each candidate has the rating', again.status === 200 && again.body.candidates.every((c) => c.ratings === 1), again.body && again.body.candidates);
  await page.click('#rate-next');
  await page.waitForFunction(() => /Nothing left/.test(document.getElementById('rate-status').textContent) || !document.getElementById('rate-form').hidden, { timeout: 5000 }).catch(() => {});
  check('rating round trip: "Next item" finds nothing left to rate', /Nothing left/.test(await text(page, '#rate-status')), await text(page, '#rate-status'));
}
bad = await unnamedControls(page);
check('every control has an accessible name (Rate)', bad.length === 0, bad);

// 7. The rating flow against the annotation routes' shapes (as
// openapi/openapi.yaml documents them), answered by the browser itself
// (request interception): the page's side alone, checked in detail.
{
  const ITEM_ID = '0b8e7a52-3c1d-4f6e-9a2b-1c3d5e7f9a0b';
  const CAND_A = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
  const CAND_B = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';
  const r = await newPage(1280);
  await r.setRequestInterception(true);
  const posted = [];
  r.on('request', (q) => {
    const u = new URL(q.url());
    if (u.pathname === '/items' && q.method() === 'GET') {
      // An ItemList as the route answers (openapi/openapi.yaml): the last
      // page, so no next_cursor.
      return q.respond({
        status: 200, contentType: 'application/json', body: JSON.stringify({
          items: [{ id: ITEM_ID, created_at: '2025-01-01T00:00:00Z', culture: 'arabic', country: null, risk_level: 'none',
            annotator: 'corpus', message: 'أشعر بالوحدة منذ أن انتقلت', annotations: { emotional_distress: [], cultural_signals: [] },
            metadata: {}, candidates: [
              { id: CAND_A, position: 1, strategy: 'redditor', response_mode: 'normal', model: 'm', reply: 'First reply.', ratings: 0 },
              { id: CAND_B, position: 2, strategy: 'guided_annotation', response_mode: 'normal', model: 'm', reply: 'Second reply.', ratings: 0 }] }],
        }),
      });
    }
    if (q.method() === 'POST' && (/^\/candidates\/[^/]+\/ratings$/.test(u.pathname) || /^\/items\/[^/]+\/preferences$/.test(u.pathname))) {
      posted.push({ path: u.pathname, body: JSON.parse(q.postData()) });
      const id = u.pathname.split('/')[2];
      return q.respond({ status: 201, contentType: 'application/json', body: JSON.stringify(u.pathname.endsWith('/ratings')
        ? { candidate_id: id, created: true, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' }
        : { item_id: id, stored: true }) });
    }
    return q.continue();
  });
  await r.goto(BASE + '/', { waitUntil: 'networkidle0' });
  await r.click('#tab-rate');
  await r.waitForSelector('#rate-form:not([hidden])', { timeout: 5000 });
  await r.type('#rater', 'ui-test');
  const hiddenBefore = await r.$$eval('[data-reveal]', (es) => es.map((e) => e.textContent).join(''));
  const order = await r.$$eval('.candidate-text', (es) => es.map((e) => e.textContent));
  const metricsShown = await r.$$eval('#candidates fieldset.metric', (fs) => fs.length);
  check('mocked rating flow: candidates side by side, strategies hidden, 7 metrics each', order.length === 2 && hiddenBefore === '' && metricsShown === 14, { order, hiddenBefore, metricsShown });
  await r.click('#rate-submit');
  check('mocked rating flow: an incomplete rating is refused plainly', await visible(r, '#rate-error') && /^Rate /.test(await text(r, '#rate-error')), await text(r, '#rate-error'));
  await r.$$eval('#candidates input[type=radio]', (rs) => rs.filter((x) => x.value === '3').forEach((x) => x.click()));
  await r.$$eval('#ranking button', (bs) => bs.find((b) => !b.disabled && /down/.test(b.getAttribute('aria-label'))).click());
  await r.click('#rate-submit');
  await r.waitForFunction(() => /Saved/.test(document.getElementById('rate-status').textContent), { timeout: 5000 }).catch(() => {});
  const ratings = posted.filter((p) => p.path.endsWith('/ratings'));
  const pref = posted.find((p) => p.path.endsWith('/preferences'));
  const METRIC_NAMES = ['empathy', 'helpfulness', 'socio_political', 'knowledge', 'cultural_context', 'fluency', 'communication'];
  const scoresOk = ratings.length === 2 && ratings.every((p) => p.body.rater === 'ui-test' &&
    JSON.stringify(Object.keys(p.body.scores).sort()) === JSON.stringify(METRIC_NAMES.slice().sort()) &&
    Object.values(p.body.scores).every((v) => v === 3) && Object.keys(p.body).every((k) => ['rater', 'scores', 'comment'].includes(k)) &&
    (p.body.comment === undefined || typeof p.body.comment === 'string'));
  check('mocked rating flow: one rating per candidate {rater, scores (the 7 metrics, 1-5), comment?}', scoresOk, posted);
  const expected = [order[1], order[0]].map((t) => (t === 'First reply.' ? CAND_A : CAND_B));
  check('mocked rating flow: the ranking as moved', pref && pref.path === '/items/' + ITEM_ID + '/preferences' && JSON.stringify(pref.body.ranking) === JSON.stringify(expected) &&
    Object.keys(pref.body).every((k) => ['rater', 'ranking', 'tie'].includes(k)), pref);
  const revealed = await r.$$eval('[data-reveal]', (es) => es.map((e) => e.textContent).join(' '));
  check('mocked rating flow: strategies shown once rated', /redditor/.test(revealed) && /guided_annotation/.test(revealed), revealed);
  c = await contrastFailures(r);
  check('text contrast >= 4.5:1 (' + c.n + ' text elements, Rate)', c.bad.length === 0, c.bad);
  bad = await unnamedControls(r);
  check('every control has an accessible name (Rate, an item shown)', bad.length === 0, bad);
  await r.close();
}

check('no request left the service\'s origin', foreign.length === 0, foreign);
check('no console errors', consoleErrors.length === 0, consoleErrors);
note('responses >= 400 (provoked on purpose): ' + ([...new Set(failedLoads)].join(', ') || 'none'));

await browser.close();
fs.rmSync(profile, { recursive: true, force: true });
note('screenshots: ' + OUT);
process.exit(failed ? 1 : 0);
