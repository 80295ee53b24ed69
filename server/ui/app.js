// CultureCare page: try POST /support (streamed) and rate candidate replies.
// Plain JavaScript, no build step, no framework; every request goes to this
// service's own origin. Message texts are never logged nor stored here.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const KEY_ITEM = 'culturecare.apiKey';
  const RATER_ITEM = 'culturecare.rater';

  // The seven metrics of the CultureCare evaluation, with their short
  // definitions (1 = not at all, 5 = fully). The keys are the API's metric
  // names (MetricName in openapi/openapi.yaml): the keys of `scores` in
  // POST /candidates/{id}/ratings and of the means in GET /stats.
  const METRICS = [
    ['empathy', 'Empathy', 'Understands and validates the feelings, genuinely.'],
    ['helpfulness', 'Helpfulness', 'Practical, actionable help tailored to the writer.'],
    ['socio_political', 'Socio-political influence', 'Recognises the systemic or political factors affecting the writer.'],
    ['knowledge', 'Knowledge', 'Accurate, non-stereotyped knowledge of the culture.'],
    ['cultural_context', 'Cultural context', 'Frames the problem within the writer\u2019s cultural framework.'],
    ['fluency', 'Fluency', 'Grammar, clarity, natural flow.'],
    ['communication', 'Communication', 'Tone and framing fit the writer\u2019s needs and culture.'],
  ];

  // ---------- the API key (session storage only) ----------
  const storage = (() => {
    try { return window.sessionStorage; } catch (e) { return null; }
  })();
  const getKey = () => (storage && storage.getItem(KEY_ITEM)) || '';
  const headers = (extra) => {
    const h = Object.assign({}, extra || {});
    const k = getKey();
    if (k) h.Authorization = 'Bearer ' + k;
    return h;
  };

  // ---------- errors, shown plainly ----------
  async function errorText(res) {
    let body = null;
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    const err = body && body.error ? body.error : null;
    const rid = (body && body.request_id) || res.headers.get('X-Request-Id') || '';
    let text;
    switch (res.status) {
      case 401: text = 'The API key is missing or not valid (401). Paste a key above.'; break;
      case 403: text = 'This API key may not do this (403): ' + (err ? err.message : 'missing scope') + '.'; break;
      case 429: {
        const after = res.headers.get('Retry-After');
        text = 'Too many requests (429).' + (after ? ' Try again in ' + after + ' s.' : '');
        break;
      }
      case 503: text = 'The service is not ready or is busy (503)' + (err ? ': ' + err.message : '.'); break;
      default: text = 'The service answered ' + res.status + (err ? ' ' + err.code + ': ' + err.message : '.');
    }
    if (err && err.details && err.details.field) text += ' (field: ' + err.details.field + ')';
    if (rid) text += ' Request id: ' + rid + '.';
    return text;
  }
  function showError(box, text) {
    box.textContent = text;
    box.hidden = !text;
  }

  // ---------- tabs ----------
  const tabs = [$('tab-try'), $('tab-rate')];
  function selectTab(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (tab.id === 'tab-rate' && !rate.loaded) loadItem(false);
  }
  for (const t of tabs) {
    t.addEventListener('click', () => selectTab(t));
    t.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(t);
      let j = -1;
      if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
        const step = (ev.key === 'ArrowRight') === (document.dir !== 'rtl') ? 1 : -1;
        j = (i + step + tabs.length) % tabs.length;
      } else if (ev.key === 'Home') j = 0;
      else if (ev.key === 'End') j = tabs.length - 1;
      if (j >= 0) {
        ev.preventDefault();
        tabs[j].focus();
        selectTab(tabs[j]);
      }
    });
  }

  // ---------- key form ----------
  $('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('api-key').value.trim();
    if (storage) {
      if (v) storage.setItem(KEY_ITEM, v);
      else storage.removeItem(KEY_ITEM);
    }
    $('api-key').value = '';
    keyStatus();
    loadCultures();
  });
  $('key-forget').addEventListener('click', () => {
    if (storage) storage.removeItem(KEY_ITEM);
    $('api-key').value = '';
    keyStatus();
  });
  function keyStatus() {
    $('key-status').textContent = getKey() ? 'A key is set for this tab.' : 'No key set.';
  }

  // ---------- cultures ----------
  async function loadCultures() {
    const sel = $('culture');
    const box = $('try-error');
    let res;
    try {
      res = await fetch('/cultures', { headers: headers() });
    } catch (e) {
      showError(box, 'The service cannot be reached.');
      return;
    }
    if (!res.ok) {
      showError(box, 'Cultures could not be loaded. ' + await errorText(res));
      return;
    }
    const body = await res.json();
    const keep = sel.value;
    sel.textContent = '';
    for (const c of body.cultures || []) {
      const o = document.createElement('option');
      o.value = c.code;
      o.textContent = c.display_name || c.code;
      sel.appendChild(o);
    }
    if (keep && [...sel.options].some((o) => o.value === keep)) sel.value = keep;
    showError(box, '');
  }

  // ---------- annotations highlighted in the message ----------
  function findSpan(text, phrase, used) {
    if (!phrase) return null;
    let at = text.indexOf(phrase);
    if (at < 0) at = text.toLowerCase().indexOf(phrase.toLowerCase());
    if (at < 0) return null;
    // A phrase found twice: prefer a place not taken yet.
    let from = at;
    while (used.has(from)) {
      const next = text.toLowerCase().indexOf(phrase.toLowerCase(), from + 1);
      if (next < 0) break;
      from = next;
    }
    used.add(from);
    return [from, from + phrase.length];
  }
  const INTENSITY_RANK = { light: 1, moderate: 2, high: 3 };

  function renderMarked(message, ann) {
    const box = $('marked');
    box.textContent = '';
    const n = message.length;
    const distress = new Array(n).fill(-1);
    const signal = new Array(n).fill(-1);
    const ds = (ann && ann.emotional_distress) || [];
    const ss = (ann && ann.cultural_signals) || [];
    const used = new Set();
    ds.forEach((d, i) => {
      const sp = findSpan(message, d.phrase, used);
      if (!sp) return;
      for (let k = sp[0]; k < sp[1]; k++) {
        const cur = distress[k];
        if (cur < 0 || (INTENSITY_RANK[d.intensity] || 0) > (INTENSITY_RANK[ds[cur].intensity] || 0)) distress[k] = i;
      }
    });
    const used2 = new Set();
    ss.forEach((s, i) => {
      const sp = findSpan(message, s.phrase, used2);
      if (!sp) return;
      for (let k = sp[0]; k < sp[1]; k++) if (signal[k] < 0) signal[k] = i;
    });
    let k = 0;
    while (k < n) {
      const d = distress[k];
      let end = k;
      while (end < n && distress[end] === d) end++;
      const outer = d >= 0 ? document.createElement('mark') : document.createDocumentFragment();
      if (d >= 0) {
        const it = ds[d].intensity || 'moderate';
        outer.className = 'distress ' + it;
        outer.dataset.kind = 'distress';
        outer.dataset.intensity = it;
        outer.title = 'Distress, ' + it + ' intensity';
      }
      let j = k;
      while (j < end) {
        const s = signal[j];
        let e = j;
        while (e < end && signal[e] === s) e++;
        const piece = message.slice(j, e);
        if (s >= 0) {
          const m = document.createElement('mark');
          const type = ss[s].type || 'untyped';
          m.className = 'signal';
          m.dataset.kind = 'signal';
          m.dataset.type = type;
          m.title = 'Cultural signal: ' + type;
          m.textContent = piece;
          const sr = document.createElement('span');
          sr.className = 'sr-only';
          sr.textContent = ' (cultural signal: ' + type + ')';
          m.appendChild(sr);
          outer.appendChild(m);
        } else {
          outer.appendChild(document.createTextNode(piece));
        }
        j = e;
      }
      if (d >= 0) {
        const sr = document.createElement('span');
        sr.className = 'sr-only';
        sr.textContent = ' (distress: ' + (ds[d].intensity || 'moderate') + ')';
        outer.appendChild(sr);
      }
      box.appendChild(outer);
      k = end;
    }
    if (!n) box.textContent = '–';

    const list = $('annotations');
    list.textContent = '';
    for (const d of ds) {
      const li = document.createElement('li');
      const p = document.createElement('bdi');
      p.textContent = d.phrase;
      li.append('Distress: \u201c', p, '\u201d', tag(d.intensity), tag(d.source));
      list.appendChild(li);
    }
    for (const s of ss) {
      const li = document.createElement('li');
      const p = document.createElement('bdi');
      p.textContent = s.phrase;
      li.append('Signal: \u201c', p, '\u201d', tag(s.type || 'untyped'), tag(s.source));
      list.appendChild(li);
    }
    if (!ds.length && !ss.length) {
      const li = document.createElement('li');
      li.textContent = 'No annotations.';
      list.appendChild(li);
    }
  }
  function tag(text) {
    const t = document.createElement('span');
    t.className = 'tag';
    t.textContent = text || '';
    return t;
  }

  function renderStrategies(list) {
    const ul = $('strategies');
    ul.textContent = '';
    for (const s of list || []) {
      const li = document.createElement('li');
      li.append(s.strategy + ' ', tag(Math.round((s.weight || 0) * 100) + ' %'));
      if (s.examples && s.examples.length) {
        const ex = document.createElement('ul');
        ex.className = 'examples';
        for (const e of s.examples) {
          const x = document.createElement('li');
          x.dir = 'auto';
          x.textContent = e;
          ex.appendChild(x);
        }
        li.appendChild(ex);
      }
      ul.appendChild(li);
    }
    if (!ul.children.length) {
      const li = document.createElement('li');
      li.textContent = 'None.';
      ul.appendChild(li);
    }
  }

  const MODE_TEXT = {
    normal: 'normal reply',
    check_in: 'reply with a gentle check-in',
    safe_messaging: 'reply with safe-messaging and crisis lines',
    crisis: 'crisis message (no model call)',
    replaced: 'replaced by the crisis message (output check)',
  };
  function renderSafety(s) {
    if (!s) return;
    const level = $('s-level');
    level.textContent = s.risk_level + (s.escalate ? ' (escalate)' : '');
    level.className = 'level-' + s.risk_level;
    $('s-mode').textContent = MODE_TEXT[s.response_mode] || s.response_mode;
    $('s-reasons').textContent = (s.reasons || []).join(', ') || 'none';
    $('s-categories').textContent = (s.categories || []).join(', ') || 'none';
    const c = s.classifier;
    $('s-classifier').textContent = c
      ? [c.kind, c.outcome, c.level ? 'level ' + c.level : ''].filter(Boolean).join(', ')
      : 'off';
  }
  const fmt = (v) => (typeof v === 'number' ? v.toFixed(v < 10 ? 2 : 0) : '–');
  function renderTimings(t, model) {
    t = t || {};
    $('t-matching').textContent = fmt(t.matching);
    $('t-annotator').textContent = fmt(t.annotator);
    $('t-backend').textContent = fmt(t.backend);
    $('t-total').textContent = fmt(t.total);
    $('t-model').textContent = model || '–';
  }
  function renderPrompt(prompt) {
    const box = $('prompt-box');
    const div = $('prompt');
    div.textContent = '';
    if (!prompt || !prompt.length) { box.hidden = true; return; }
    for (const m of prompt) {
      const h = document.createElement('h4');
      h.textContent = m.role;
      const pre = document.createElement('pre');
      pre.className = 'prompt-text';
      pre.dir = 'auto';
      pre.textContent = m.content;
      div.append(h, pre);
    }
    box.hidden = false;
  }

  // ---------- crisis ----------
  function showCrisis(text, safety) {
    $('reply').hidden = true;
    $('reply').textContent = '';
    $('crisis').hidden = false;
    if (text !== null) $('crisis-text').textContent = text;
    renderResources((safety && safety.resources) || []);
  }
  function renderResources(list) {
    const ul = $('resources');
    ul.textContent = '';
    for (const r of list) {
      const li = document.createElement('li');
      const name = document.createElement('div');
      name.className = 'name';
      name.dir = 'auto';
      name.textContent = r.name + (r.country ? ' (' + r.country + ')' : '');
      li.appendChild(name);
      const links = document.createElement('div');
      links.className = 'links';
      const link = (href, text, external) => {
        const a = document.createElement('a');
        a.href = href;
        a.textContent = text;
        if (external) { a.target = '_blank'; a.rel = 'noopener noreferrer'; }
        links.appendChild(a);
      };
      if (r.tel) link(r.tel, 'Call ' + (r.phone || r.tel.slice(4)));
      if (r.sms) link(r.sms, 'Text ' + (r.text_number || '') + (r.text_keyword ? ' \u201c' + r.text_keyword + '\u201d' : ''));
      if (r.chat_url) link(r.chat_url, 'Chat online', true);
      if (r.url) link(r.url, 'Website', true);
      if (links.children.length) li.appendChild(links);
      const state = document.createElement('div');
      if (r.open_now === true) { state.className = 'open-now'; state.textContent = 'Open now'; }
      else if (r.open_now === false) { state.className = 'closed-now'; state.textContent = 'Closed now'; }
      else { state.className = 'hours-unknown'; state.textContent = 'Opening hours not confirmed'; }
      if (r.hours) state.textContent += ' \u00b7 ' + r.hours;
      if (r.verified === false) state.textContent += ' \u00b7 not verified yet';
      li.appendChild(state);
      ul.appendChild(li);
    }
    if (!list.length) {
      const li = document.createElement('li');
      li.textContent = 'If you are in danger, call your local emergency number.';
      ul.appendChild(li);
    }
  }
  const isCrisis = (s) => s && (s.response_mode === 'crisis' || s.response_mode === 'replaced');

  // ---------- try it: POST /support, streamed ----------
  let controller = null;
  function resetResult() {
    showError($('try-error'), '');
    $('reply').hidden = false;
    $('reply').textContent = '';
    $('crisis').hidden = true;
    $('crisis-text').textContent = '';
    $('resources').textContent = '';
    $('marked').textContent = '–';
    $('annotations').textContent = '';
    $('annotator').textContent = '';
    renderStrategies([]);
    for (const id of ['s-level', 's-mode', 's-reasons', 's-categories', 's-classifier']) {
      $(id).textContent = '–';
      $(id).className = '';
    }
    renderTimings(null, null);
    renderPrompt(null);
  }
  function setBusy(busy, text) {
    $('send').disabled = busy;
    $('stop').disabled = !busy;
    $('reply').setAttribute('aria-busy', 'false');
    if (text) $('reply-status').textContent = text;
  }

  $('stop').addEventListener('click', () => { if (controller) controller.abort(); });

  $('try-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const message = $('message').value;
    const culture = $('culture').value;
    const country = $('country').value.trim();
    if (!message.trim()) { showError($('try-error'), 'Write a message first.'); $('message').focus(); return; }
    if (!culture) { showError($('try-error'), 'Choose a culture (paste an API key first if the list is empty).'); return; }
    if (country && !/^[A-Za-z]{2}$/.test(country)) {
      showError($('try-error'), 'The country is two letters (ISO 3166-1), e.g. DE.');
      $('country').focus();
      return;
    }
    resetResult();
    const body = {
      message, culture, strategy: $('strategy').value, stream: true,
      include_prompt: $('include-prompt').checked, dry_run: $('dry-run').checked,
    };
    if (country) body.country = country.toUpperCase();
    controller = new AbortController();
    setBusy(true, 'Sending\u2026');
    const started = performance.now();
    try {
      const res = await fetch('/support', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!res.ok) {
        showError($('try-error'), await errorText(res));
        setBusy(false, 'No reply.');
        return;
      }
      await readStream(res, message, started);
    } catch (e) {
      if (e.name === 'AbortError') setBusy(false, 'Stopped.');
      else { showError($('try-error'), 'The connection to the service failed.'); setBusy(false, 'No reply.'); }
      return;
    } finally {
      controller = null;
    }
  });

  async function readStream(res, message, started) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let crisis = false;
    let ended = false;
    const onEvent = (name, data) => {
      let d = null;
      try { d = JSON.parse(data); } catch (e) { d = null; }
      if (!d) return;
      if (name === 'meta') {
        renderMarked(message, d.annotations);
        renderStrategies(d.support_strategies);
        renderSafety(d.safety);
        renderPrompt(d.prompt);
        if (d.annotator) {
          $('annotator').textContent = 'Annotator: ' + d.annotator.used +
            (d.annotator.fallback_reason ? ' (' + d.annotator.fallback_reason + ')' : '');
        }
        if (isCrisis(d.safety)) { crisis = true; showCrisis('', d.safety); }
        $('reply-status').textContent = crisis ? 'Crisis message.' : 'Writing\u2026';
      } else if (name === 'delta') {
        if (crisis) $('crisis-text').append(d.text);
        else $('reply').append(d.text);
      } else if (name === 'replaced') {
        crisis = true;
        renderSafety(d.safety);
        showCrisis(d.text, d.safety);
      } else if (name === 'done') {
        ended = true;
        if (d.safety) {
          renderSafety(d.safety);
          if (isCrisis(d.safety) && !crisis) { crisis = true; showCrisis($('reply').textContent, d.safety); }
        }
        renderTimings(d.timings_ms, d.model);
        const ms = Math.round(performance.now() - started);
        setBusy(false, (crisis ? 'Crisis message' : d.dry_run ? 'Dry run: no reply' : 'Reply complete') + ' (' + ms + ' ms).');
      } else if (name === 'error') {
        ended = true;
        const e = d.error || {};
        showError($('try-error'), 'The reply failed: ' + (e.code || 'error') + ': ' + (e.message || '') +
          (d.request_id ? ' Request id: ' + d.request_id + '.' : ''));
        setBusy(false, 'The reply stopped with an error.');
      }
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value.replace(/\r\n?/g, '\n');
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? '' : line.slice(colon + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (field === 'event') name = v;
          else if (field === 'data') data.push(v);
        }
        if (data.length) onEvent(name, data.join('\n'));
      }
    }
    if (!ended) {
      showError($('try-error'), 'The stream ended early, without a last event.');
      setBusy(false, 'The reply is incomplete.');
    }
  }

  // ---------- rate ----------
  // GET /items?rated=false&limit=1 pages through the unrated items, newest
  // first, with an opaque cursor (next_cursor, absent on the last page).
  // `at` is the cursor that fetched the item shown (reloading it, e.g. for a
  // new rater name, shows the same item); `next` is the page's next_cursor,
  // used by "Next item" (past the end: from the newest again; rated items
  // drop out of rated=false by themselves).
  const rate = { loaded: false, item: null, order: [], at: null, next: null };

  function shuffle(a) {
    const r = new Uint32Array(a.length);
    crypto.getRandomValues(r);
    for (let i = a.length - 1; i > 0; i--) {
      const j = r[i] % (i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  const letter = (i) => String.fromCharCode(65 + i);

  $('rater').value = (storage && storage.getItem(RATER_ITEM)) || '';
  $('rater-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (storage) storage.setItem(RATER_ITEM, $('rater').value.trim());
    loadItem(false);
  });
  $('rate-next').addEventListener('click', () => loadItem(true));

  async function loadItem(advance) {
    const cursor = advance ? rate.next : rate.at;
    rate.loaded = true;
    const status = $('rate-status');
    const box = $('rate-error');
    showError(box, '');
    $('rate-form').hidden = true;
    status.textContent = 'Loading an unrated item\u2026';
    const q = new URLSearchParams({ rated: 'false', limit: '1' });
    if (cursor) q.set('cursor', cursor);
    let res;
    try {
      res = await fetch('/items?' + q, { headers: headers() });
    } catch (e) {
      status.textContent = '';
      showError(box, 'The service cannot be reached.');
      return;
    }
    if (res.status === 404) {
      status.textContent = 'Rating is not available on this service: it has no annotation routes (GET /items answered 404).';
      return;
    }
    if (res.status === 422 && cursor) {
      // A cursor the service no longer understands: start from the newest.
      rate.at = rate.next = null;
      loadItem(false);
      return;
    }
    if (!res.ok) {
      status.textContent = '';
      showError(box, 'Items could not be loaded. ' + await errorText(res) +
        (res.status === 403 ? ' Rating needs a key with the annotate scope.' : ''));
      return;
    }
    const body = await res.json();
    const items = body.items || [];
    if (!items.length && cursor) {
      // Past the last unrated item of this listing: from the newest again.
      rate.at = rate.next = null;
      loadItem(false);
      return;
    }
    rate.at = cursor || null;
    rate.next = body.next_cursor || null;
    if (!items.length) {
      status.textContent = 'Nothing left to rate. Thank you.';
      return;
    }
    status.textContent = '';
    showItem(items[0]);
  }

  function showItem(item) {
    rate.item = item;
    rate.order = shuffle((item.candidates || []).slice());
    $('item-message').textContent = item.message || '';
    const wrap = $('candidates');
    wrap.textContent = '';
    rate.order.forEach((c, i) => {
      const sec = document.createElement('section');
      sec.className = 'candidate';
      const hid = 'cand-' + i + '-title';
      sec.setAttribute('aria-labelledby', hid);
      const h = document.createElement('h3');
      h.id = hid;
      h.textContent = 'Reply ' + letter(i);
      const rev = document.createElement('span');
      rev.className = 'revealed';
      rev.dataset.reveal = String(i);
      h.append(' ', rev);
      const text = document.createElement('p');
      text.className = 'candidate-text';
      text.dir = 'auto';
      text.textContent = c.reply || '';
      sec.append(h, text);
      for (const [key, name, def] of METRICS) {
        const fs = document.createElement('fieldset');
        fs.className = 'metric';
        const lg = document.createElement('legend');
        lg.textContent = name + ' (Reply ' + letter(i) + ')';
        const d = document.createElement('span');
        d.className = 'def';
        d.textContent = def;
        lg.appendChild(d);
        fs.appendChild(lg);
        const scale = document.createElement('div');
        scale.className = 'scale';
        for (let v = 1; v <= 5; v++) {
          const lab = document.createElement('label');
          const input = document.createElement('input');
          input.type = 'radio';
          input.name = 'c' + i + '-' + key;
          input.value = String(v);
          input.required = true;
          lab.append(input, ' ' + v + (v === 1 ? ' (not at all)' : v === 5 ? ' (fully)' : ''));
          scale.appendChild(lab);
        }
        fs.appendChild(scale);
        sec.appendChild(fs);
      }
      const cl = document.createElement('label');
      cl.htmlFor = 'c' + i + '-comment';
      cl.textContent = 'Comment on Reply ' + letter(i) + ' (optional)';
      const ta = document.createElement('textarea');
      ta.id = 'c' + i + '-comment';
      ta.rows = 2;
      ta.dir = 'auto';
      ta.maxLength = 2000;
      sec.append(cl, ta);
      wrap.appendChild(sec);
    });
    renderRanking(rate.order.map((_, i) => i));
    $('rate-submit').disabled = false;
    $('rate-next').hidden = true;
    $('rate-form').hidden = false;
  }

  function renderRanking(order) {
    rate.ranking = order;
    const ol = $('ranking');
    ol.textContent = '';
    order.forEach((ci, pos) => {
      const li = document.createElement('li');
      const s = document.createElement('span');
      s.textContent = 'Reply ' + letter(ci);
      const up = document.createElement('button');
      up.type = 'button';
      up.className = 'secondary';
      up.textContent = '\u2191';
      up.setAttribute('aria-label', 'Move Reply ' + letter(ci) + ' up');
      up.disabled = pos === 0;
      up.addEventListener('click', () => move(pos, -1));
      const down = document.createElement('button');
      down.type = 'button';
      down.className = 'secondary';
      down.textContent = '\u2193';
      down.setAttribute('aria-label', 'Move Reply ' + letter(ci) + ' down');
      down.disabled = pos === order.length - 1;
      down.addEventListener('click', () => move(pos, 1));
      li.append(s, up, down);
      ol.appendChild(li);
    });
  }
  function move(pos, by) {
    const o = rate.ranking.slice();
    const to = pos + by;
    if (to < 0 || to >= o.length) return;
    [o[pos], o[to]] = [o[to], o[pos]];
    renderRanking(o);
    const btn = $('ranking').children[to].querySelector(by < 0 ? 'button' : 'button:last-of-type');
    if (btn && !btn.disabled) btn.focus();
  }

  $('rate-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const box = $('rate-error');
    showError(box, '');
    const rater = $('rater').value.trim();
    if (!rater) { showError(box, 'Write your rater name first.'); $('rater').focus(); return; }
    const ratings = [];
    for (let i = 0; i < rate.order.length; i++) {
      const scores = {};
      for (const [key, name] of METRICS) {
        const picked = document.querySelector('input[name="c' + i + '-' + key + '"]:checked');
        if (!picked) {
          showError(box, 'Rate ' + name + ' for Reply ' + letter(i) + '.');
          document.querySelector('input[name="c' + i + '-' + key + '"]').focus();
          return;
        }
        scores[key] = Number(picked.value);
      }
      // RatingRequest: {rater, scores, comment?}; an empty comment is left out.
      const body = { rater, scores };
      const comment = $('c' + i + '-comment').value.trim();
      if (comment) body.comment = comment;
      ratings.push({ id: rate.order[i].id, body });
    }
    $('rate-submit').disabled = true;
    $('rate-status').textContent = 'Submitting\u2026';
    const post = (path, body) => fetch(path, {
      method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body),
    });
    try {
      for (const r of ratings) {
        const res = await post('/candidates/' + encodeURIComponent(r.id) + '/ratings', r.body);
        if (!res.ok) throw new Error(await errorText(res));
      }
      if (rate.order.length > 1) {
        const ranking = rate.ranking.map((ci) => rate.order[ci].id);
        const res = await post('/items/' + encodeURIComponent(rate.item.id) + '/preferences', { rater, ranking });
        if (!res.ok) throw new Error(await errorText(res));
      }
    } catch (e) {
      showError(box, 'The ratings were not all saved. ' + (e.message || ''));
      $('rate-submit').disabled = false;
      $('rate-status').textContent = '';
      return;
    }
    // Rated: now the strategies may be shown.
    for (const el of document.querySelectorAll('[data-reveal]')) {
      const c = rate.order[Number(el.dataset.reveal)];
      el.textContent = c.strategy ? '\u2014 ' + c.strategy : '';
    }
    $('rate-status').textContent = 'Saved. Thank you.';
    $('rate-next').hidden = false;
    $('rate-next').focus();
  });

  // ---------- start ----------
  keyStatus();
  loadCultures();
})();
