// stagemock dashboard: vanilla JS over the control plane's JSON (/__mock/...), polled.
// Everything shown is data (request paths, metadata, response excerpts): it is only ever
// inserted as text (textContent / text nodes), never parsed as HTML.
'use strict';

const POLL_MS = 1000;
const MAX_JOURNAL_ROWS = 500;

// DOM helpers -----------------------------------------------------------------------------
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'src' || k === 'href') el.setAttribute(k, safeUrl(v));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// Only this mock's own paths and in-page routes: a URL taken from data never becomes a link
// or image elsewhere (CSP says the same).
function safeUrl(u) {
  u = String(u);
  if (u.startsWith('#') || (u.startsWith('/') && !u.startsWith('//'))) return u;
  try {
    const parsed = new URL(u, location.href);
    if (parsed.origin === location.origin) return parsed.pathname + parsed.search;
  } catch (e) { /* not a URL */ }
  return '#';
}

function mask(key) {
  if (!key) return '—';
  for (const p of ['sk_test_', 'sk_live_', 'stager_test_', 'stager_live_', 'whsec_', 'stager_']) {
    if (key.startsWith(p)) {
      const rest = key.slice(p.length);
      return p + (rest.length > 4 ? '…' + rest.slice(-4) : rest);
    }
  }
  return key.length > 4 ? '…' + key.slice(-4) : key;
}

const short = (text, n) => (text.length > n ? text.slice(0, n) + '…' : text);
const badge = (text, cls) => h('span', { class: 'badge ' + (cls || text) }, text);
const enc = encodeURIComponent;
const time = (iso) => (iso ? iso.replace('T', ' ').replace(/\.000Z$|Z$/, '') : '—');
const table = (head, rows, attrs) =>
  h('div', { class: 'scroll' }, h('table', attrs || {},
    h('thead', {}, h('tr', {}, head.map((t) => h('th', {}, t)))), h('tbody', {}, rows)));

function thumb(src, alt, cls) {
  if (!src) return h('div', { class: 'placeholder ' + (cls || '') }, alt + ': none yet');
  return h('img', { class: cls || 'thumb', src, alt, onclick: () => zoom(src) });
}

function zoom(src) {
  const box = document.getElementById('lightbox');
  document.getElementById('lightbox-img').setAttribute('src', safeUrl(src));
  box.hidden = false;
}

// the control plane ---------------------------------------------------------------------
async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch('/__mock/' + path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (r.status === 401) showLogin();
  if (!r.ok) {
    const msg = data && data.error ? data.error.message : `HTTP ${r.status}`;
    throw new Error(`${method} /__mock/${path}: ${msg}`);
  }
  return data;
}

// Off loopback the control plane needs its token: the form keeps it in a cookie that the
// control plane accepts like the bearer header (scoped to /__mock, never sent elsewhere).
function showLogin() {
  const form = document.getElementById('login');
  if (!form.hidden) return;
  form.hidden = false;
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const token = document.getElementById('login-token').value.trim();
    document.cookie = `stagemock_admin=${encodeURIComponent(token)}; path=/__mock; SameSite=Strict`;
    form.hidden = true;
    showError(null);
    refresh(true);
  };
}

// An error from polling goes away once polling works again; one from a button stays until
// the next action or page.
let pollError = false;

async function act(fn) {
  try {
    await fn();
    showError(null);
  } catch (e) {
    showError(e.message);
    pollError = false;
  }
  await refresh(true);
}

function showError(msg) {
  const el = document.getElementById('error');
  el.hidden = !msg;
  el.textContent = msg || '';
}

// routing -------------------------------------------------------------------------------
function parseHash() {
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'overview', args: parts.slice(1), query: new URLSearchParams(query || '') };
}

const PAGES = {};
let current = null; // {page, load, render, key}
let lastJson = null;
let busy = false;
let refreshes = 0; // numbers each refresh, so only the newest one draws

function route() {
  const { page, args, query } = parseHash();
  const make = PAGES[page] || PAGES.overview;
  current = make(args, query);
  current.page = page;
  lastJson = null;
  document.getElementById('title').textContent = current.title;
  document.title = current.title + ' · stagemock';
  const controls = document.getElementById('controls');
  controls.replaceChildren(...(current.controls ? [current.controls] : []));
  document.getElementById('content').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === page || (page === 'job' && a.dataset.page === 'jobs'));
  }
  showError(null);
  refresh(true);
}

async function refresh(force) {
  if (busy && !force) return;
  busy = true;
  const page = current;
  const mine = ++refreshes;
  try {
    const [health, data] = await Promise.all([api('GET', 'health'), page.load()]);
    if (mine !== refreshes) return; // a newer refresh (a filter changed) started meanwhile: its answer wins
    drawClock(health);
    if (pollError) { showError(null); pollError = false; }
    if (page !== current) return;
    const json = JSON.stringify(data);
    if (force || json !== lastJson) {
      lastJson = json;
      const y = window.scrollY;
      document.getElementById('content').replaceChildren(page.render(data, health));
      window.scrollTo(0, y);
    }
  } catch (e) {
    showError(e.message);
    pollError = true;
  } finally {
    busy = false;
  }
}

function drawClock(health) {
  const c = health.clock;
  document.getElementById('clock').textContent =
    `${health.deterministic ? 'deterministic' : 'wall'} · ${time(c.now)}`;
}

// account pickers -----------------------------------------------------------------------
function pickerPage(title, api_, target) {
  return {
    title,
    load: async () => (await api('GET', 'accounts')).data.filter((a) => a.api === api_),
    render: (accounts) => h('div', { class: 'card' },
      h('p', {}, 'Choose an account:'),
      accounts.length === 0 ? h('p', { class: 'muted' }, 'No account yet.') : h('ul', {},
        accounts.map((a) => h('li', {}, h('a', { href: `#/${target}/${enc(a.api_key)}` }, a.masked_key),
          ' ', h('span', { class: 'muted' }, a.livemode ? 'live' : 'test',
            a.jobs ? ` · ${Object.values(a.jobs).reduce((x, y) => x + y, 0)} jobs` : ''))))),
  };
}

function advanceButtons() {
  const custom = h('input', { class: 'seconds', type: 'number', min: '0', step: 'any', value: '30',
    'aria-label': 'seconds to advance' });
  const adv = (s) => act(() => api('POST', 'clock/advance', { seconds: Number(s) }));
  return h('div', { class: 'controls', id: 'clock-controls' },
    h('span', { class: 'muted' }, 'Advance the clock:'),
    h('button', { onclick: () => adv(10) }, '+10 s'),
    h('button', { onclick: () => adv(60) }, '+1 min'),
    h('button', { onclick: () => adv(3600) }, '+1 h'),
    h('label', {}, custom, 's'),
    h('button', { onclick: () => adv(custom.value) }, 'Advance'));
}

// Overview ------------------------------------------------------------------------------
PAGES.overview = () => ({
  title: 'Overview',
  controls: advanceButtons(),
  load: async () => (await api('GET', 'accounts')).data,
  render: (accounts, health) => {
    const apis = health.apis || {};
    const where = Object.entries(apis).map(([name, a]) => [
      h('dt', {}, name === 'stagepro' ? 'StagePro base URL' : name === 'stagerai' ? 'Stager AI base URL' : name),
      h('dd', { class: 'mono' }, location.origin + (a.base_path === '/' ? '' : a.base_path),
        ' ', h('a', { href: a.spec }, 'spec'))]);
    const rows = accounts.map((a) => {
      const jobs = a.jobs ? ['queued', 'processing', 'completed', 'failed']
        .filter((s) => a.jobs[s]).map((s) => [badge(`${a.jobs[s]} ${s}`, s), ' ']) : '';
      const links = a.api === 'stagepro'
        ? [h('a', { href: `#/jobs/${enc(a.api_key)}` }, 'jobs'), ' · ', h('a', { href: `#/batches/${enc(a.api_key)}` }, 'batches')]
        : [h('a', { href: `#/stager/${enc(a.api_key)}` }, 'projects & images')];
      const storage = a.storage_limit_bytes
        ? `${fmtBytes(a.storage_used_bytes)} / ${fmtBytes(a.storage_limit_bytes)}` : fmtBytes(a.storage_used_bytes);
      return h('tr', { 'data-key': a.masked_key },
        h('td', {}, a.api === 'stagepro' ? 'StagePro' : 'Stager AI'),
        h('td', { class: 'mono' }, a.masked_key),
        h('td', {}, a.livemode ? 'live' : 'test', a.revoked ? [' ', badge('revoked', 'bad')] : ''),
        h('td', { class: 'num' }, a.credits === null || a.credits === undefined ? '∞' : a.credits),
        h('td', {}, storage),
        h('td', {}, jobs || (a.api === 'stagepro' ? h('span', { class: 'muted' }, 'none') : ''),
          a.api === 'stagerai' ? h('span', { class: 'muted' }, fmtObjects(a.objects)) : ''),
        h('td', {}, links),
        h('td', {}, h('button', { class: 'danger', onclick: () => {
          if (confirm(`Reset account ${a.masked_key}? Its jobs, uploads and journal entries are forgotten.`)) {
            act(() => api('POST', 'reset', { api_key: a.api_key }));
          }
        } }, 'Reset')));
    });
    return h('div', {},
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h2', {}, 'This mock'), h('dl', { class: 'kv' },
          h('dt', {}, 'Mode'), h('dd', { id: 'mode' }, health.deterministic ? 'deterministic (virtual clock)' : 'wall clock'),
          h('dt', {}, 'Seed'), h('dd', {}, health.seed),
          h('dt', {}, 'Clock'), h('dd', { class: 'mono', id: 'clock-now' }, health.clock.now),
          h('dt', {}, 'Offset'), h('dd', {}, `${health.clock.offset_seconds} s`),
          h('dt', {}, 'Version'), h('dd', {}, health.version))),
        h('div', { class: 'card' }, h('h2', {}, 'Where the APIs live'), h('dl', { class: 'kv' }, where))),
      h('h2', {}, 'Accounts'),
      table(['API', 'Key', 'Mode', 'Credits', 'Storage', 'Jobs', '', ''], rows, { id: 'accounts' }),
      h('p', {}, h('button', { class: 'danger', onclick: () => {
        if (confirm('Reset everything? All accounts, jobs, webhooks and the journal are forgotten.')) {
          act(() => api('POST', 'reset'));
        }
      } }, 'Reset everything')));
  },
});

function fmtBytes(n) {
  if (!n) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function fmtObjects(objects) {
  return Object.entries(objects || {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing yet';
}

// Jobs ----------------------------------------------------------------------------------
PAGES.jobs = (args, query) => {
  if (!args[0]) return pickerPage('Jobs', 'stagepro', 'jobs');
  const key = args[0];
  const status = h('select', { id: 'filter-status', 'aria-label': 'status' },
    ['', 'queued', 'processing', 'completed', 'failed'].map((s) => h('option', { value: s }, s || 'any status')));
  const listing = h('select', { id: 'filter-listing', 'aria-label': 'listing' }, h('option', { value: '' }, 'any listing'));
  status.value = query.get('status') || '';
  const wanted = query.get('listing') || '';
  const onChange = () => refresh(true);
  status.addEventListener('change', onChange);
  listing.addEventListener('change', onChange);
  return {
    title: `Jobs of ${mask(key)}`,
    controls: h('div', {}, advanceButtons(), h('div', { class: 'controls' },
      h('label', {}, 'Status', status), h('label', {}, 'Listing', listing),
      h('a', { href: `#/batches/${enc(key)}` }, 'batches & workflows'))),
    load: async () => {
      const q = new URLSearchParams();
      if (status.value) q.set('status', status.value);
      const chosen = listing.value || wanted;
      if (chosen) q.set('listing_id', chosen);
      return api('GET', `accounts/${enc(key)}/jobs?${q}`);
    },
    render: (data) => {
      const keep = listing.value || wanted;
      const have = [...listing.options].map((o) => o.value).slice(1);
      if (JSON.stringify(have) !== JSON.stringify(data.listings)) {
        listing.replaceChildren(h('option', { value: '' }, 'any listing'),
          ...data.listings.map((l) => h('option', { value: l }, l)));
        listing.value = data.listings.includes(keep) ? keep : '';
      }
      if (data.data.length === 0) return h('p', { class: 'muted' }, 'No job matches.');
      const rows = data.data.map((r) => {
        const j = r.job;
        return h('tr', { class: 'job', 'data-id': j.id, 'data-status': j.status },
          h('td', {}, thumb(r.input_preview, 'input')),
          h('td', {}, r.output_preview ? thumb(r.output_preview, 'output') : h('span', { class: 'muted' }, '—')),
          h('td', {}, h('a', { href: `#/job/${enc(key)}/${enc(j.id)}`, class: 'mono nowrap' }, j.id)),
          h('td', {}, j.type, r.tool ? h('div', { class: 'muted' }, r.tool) : ''),
          h('td', {}, j.listing_id || h('span', { class: 'muted' }, '—')),
          h('td', {}, badge(j.status, j.status), j.error ? h('div', { class: 'muted' }, j.error.code) : ''),
          h('td', { class: 'mono' }, time(j.created_at)));
      });
      return table(['Input', 'Output', 'Job', 'Type / tool', 'Listing', 'Status', 'Created'], rows, { id: 'jobs' });
    },
  };
};

// One job -------------------------------------------------------------------------------
PAGES.job = (args) => {
  const [key, id] = args;
  return {
    title: `Job ${id}`,
    controls: advanceButtons(),
    load: () => api('GET', `accounts/${enc(key)}/jobs/${enc(id)}`),
    render: (d) => {
      const j = d.job;
      const reached = Object.fromEntries(d.timeline.map((s) => [s.status, s.at]));
      const end = j.status === 'failed' ? 'failed' : 'completed';
      const steps = ['queued', 'processing', end].map((s) => h('li', {
        class: (reached[s] ? 'done ' : 'todo ') + s, 'data-status': s },
      h('strong', {}, s), h('div', { class: 'mono' }, reached[s] ? time(reached[s]) : 'not yet')));
      return h('div', {},
        h('div', { class: 'card row' }, badge(j.status, j.status), h('span', {}, j.type),
          d.tool ? h('span', { class: 'muted' }, d.tool) : '',
          j.listing_id ? h('span', {}, 'listing ', j.listing_id) : '',
          j.batch_id ? h('span', {}, 'batch ', h('span', { class: 'mono' }, j.batch_id)) : '',
          h('a', { href: `#/jobs/${enc(key)}` }, '← all jobs of ', mask(key))),
        j.error ? h('div', { class: 'error', id: 'job-error' }, `${j.error.code}: ${j.error.message}`) : '',
        h('div', { class: 'pair' },
          h('figure', {}, h('figcaption', {}, 'Input (click for full size)'), thumb(d.input_preview, 'input', 'large')),
          h('figure', {}, h('figcaption', {}, 'Output (click for full size)'),
            thumb(d.output_preview, 'output', d.output_preview ? 'large' : ''))),
        h('h2', {}, 'Timeline'),
        h('ol', { class: 'timeline', id: 'timeline' }, steps),
        h('h2', {}, 'Webhook events'),
        d.deliveries.length ? h('div', { class: 'card' }, d.deliveries.map((x) => deliveryView(x)))
          : h('p', { class: 'muted' }, j.webhook_endpoint_id ? 'No event yet.' : 'This job has no webhook endpoint.'),
        h('h2', {}, 'As the API returns it'),
        h('pre', { id: 'job-json' }, JSON.stringify(j, null, 2)));
    },
  };
};

// `actions`: fault rule id → its action, when the page knows the rules (a removed rule's
// id is still shown, without its action).
function deliveryView(d, actions) {
  const action = d.fault && actions ? actions[d.fault] : null;
  const rows = d.attempts.map((a) => h('tr', { class: 'attempt', 'data-ok': String(a.ok) },
    h('td', { class: 'num' }, a.attempt),
    h('td', { class: 'mono' }, time(a.at)),
    h('td', {}, a.status === null ? '—' : a.status, ' ', badge(a.ok ? 'ok' : 'failed', a.ok ? 'ok' : 'failed')),
    h('td', { class: 'num' }, `${a.latency_ms} ms`),
    h('td', { class: 'mono' }, a.response_excerpt || ''),
    h('td', {}, a.error || '')));
  return h('div', { class: 'delivery', 'data-event': d.event_id, 'data-duplicate': d.duplicate ? 'true' : null },
    h('div', { class: 'row' }, h('strong', {}, d.type), h('span', { class: 'mono' }, d.event_id),
      badge(d.state, d.state), h('span', { class: 'muted' }, 'endpoint ', d.endpoint_id),
      d.fault ? h('a', { href: '#/faults', class: 'fault-link' }, badge(`fault ${d.fault}${action ? ' · ' + action : ''}`, 'fault')) : '',
      d.duplicate ? badge('second delivery (duplicate)', 'duplicate') : '',
      d.state === 'held' ? h('span', { class: 'muted' }, 'held until its reorder rule has held its count or is removed') : '',
      d.next_attempt_at ? h('span', { class: 'muted' }, d.attempts.length ? 'next retry due ' : 'due ', time(d.next_attempt_at)) : '',
      h('button', { class: 'redeliver', onclick: () => act(() => api('POST', `webhooks/events/${enc(d.event_id)}/redeliver`)) }, 'Redeliver')),
    rows.length ? table(['#', 'At', 'Status', 'Latency', 'Response', 'Error'], rows)
      : h('p', { class: 'muted' }, 'No attempt yet.'));
}

// Batches and workflows -----------------------------------------------------------------
PAGES.batches = (args) => {
  if (!args[0]) return pickerPage('Batches and workflows', 'stagepro', 'batches');
  const key = args[0];
  const jobLink = (id) => h('a', { href: `#/job/${enc(key)}/${enc(id)}`, class: 'mono' }, id);
  const counts = (c) => ['queued', 'processing', 'completed', 'failed'].filter((s) => c[s]).map((s) => [badge(`${c[s]} ${s}`, s), ' ']);
  return {
    title: `Batches and workflows of ${mask(key)}`,
    controls: advanceButtons(),
    load: () => api('GET', `accounts/${enc(key)}/batches`),
    render: (d) => h('div', {},
      h('h2', {}, 'Workflows'),
      d.workflows.length ? table(['Workflow', 'Template', 'Job type / tool', 'Listing', 'Batch', 'Status', 'Jobs'],
        d.workflows.map((w) => h('tr', { class: 'workflow' }, h('td', { class: 'mono' }, w.id), h('td', {}, w.template),
          h('td', {}, w.job_type, w.listing_tool ? h('div', { class: 'muted' }, w.listing_tool) : ''),
          h('td', {}, w.listing_id || '—'), h('td', { class: 'mono' }, w.batch_id),
          h('td', {}, badge(w.status, w.status)), h('td', {}, counts(w.counts), h('div', {}, w.job_ids.map((id) => [jobLink(id), ' '])))))) : h('p', { class: 'muted' }, 'No workflow.'),
      h('h2', {}, 'Batches'),
      d.batches.length ? d.batches.map((b) => h('div', { class: 'card batch', 'data-id': b.id },
        h('div', { class: 'row' }, h('strong', { class: 'mono' }, b.id), badge(b.status, b.status), h('span', {}, b.type),
          b.listing_id ? h('span', {}, 'listing ', b.listing_id) : '', counts(b.counts),
          h('span', { class: 'muted' }, 'created ', time(b.created_at), b.completed_at ? ` · completed ${time(b.completed_at)}` : '')),
        table(['Job', 'Label', 'Status'], b.jobs.map((j) => h('tr', {}, h('td', {}, jobLink(j.job_id)),
          h('td', {}, j.label || '—'), h('td', {}, badge(j.status, j.status)))))))
        : h('p', { class: 'muted' }, 'No batch.')),
  };
};

// Webhooks ------------------------------------------------------------------------------
PAGES.webhooks = () => ({
  title: 'Webhooks',
  controls: advanceButtons(),
  load: async () => {
    const [endpoints, deliveries, faults] = await Promise.all([
      api('GET', 'webhooks/endpoints'), api('GET', 'webhooks/deliveries'), api('GET', 'faults')]);
    const actions = Object.fromEntries(faults.data.map((r) => [r.id, r.action]));
    return { endpoints: endpoints.data, deliveries: deliveries.data, actions };
  },
  render: (d) => {
    const rows = d.endpoints.map((e) => {
      const v = e.last_verification;
      const outcome = v ? [badge(v.ok ? 'passed' : 'failed', v.ok ? 'ok' : 'bad'), ' ',
        v.status === null || v.status === undefined ? '' : `HTTP ${v.status}`, v.error ? h('div', { class: 'muted' }, v.error) : '']
        : h('span', { class: 'muted' }, 'not yet');
      return h('tr', { class: 'endpoint', 'data-id': e.id },
        h('td', { class: 'mono' }, e.id), h('td', { class: 'mono' }, e.masked_key),
        h('td', { class: 'mono' }, e.url), h('td', {}, badge(e.status, e.status)), h('td', {}, outcome),
        h('td', { class: 'mono' }, e.secret_masked || '—'),
        h('td', {}, e.force_fail ? badge('force-fail on', 'bad') : badge('off', 'pending')),
        h('td', {}, h('div', { class: 'row' },
          h('button', { class: 'force-fail', onclick: () => act(() => api('PATCH', `webhooks/endpoints/${enc(e.id)}`, { force_fail: !e.force_fail })) },
            e.force_fail ? 'Force-fail off' : 'Force-fail on'),
          h('button', { class: 'reverify', onclick: () => act(() => api('POST', `webhooks/endpoints/${enc(e.id)}/verify`)) }, 'Re-verify'))));
    });
    return h('div', {},
      h('h2', {}, 'Endpoints'),
      rows.length ? table(['Endpoint', 'Account', 'URL', 'Status', 'Verification', 'Secret', 'Force-fail', ''], rows, { id: 'endpoints' })
        : h('p', { class: 'muted' }, 'No endpoint yet (StagePro console: POST /api/v1/webhooks).'),
      h('h2', {}, 'Deliveries'),
      d.deliveries.length ? h('div', { class: 'card', id: 'deliveries' }, d.deliveries.slice().reverse().map((x) => deliveryView(x, d.actions)))
        : h('p', { class: 'muted' }, 'No delivery yet.'));
  },
});

// Journal -------------------------------------------------------------------------------
PAGES.journal = (args, query) => {
  const keySel = h('select', { id: 'filter-key', 'aria-label': 'key' }, h('option', { value: '' }, 'any key'));
  const apiSel = h('select', { id: 'filter-api', 'aria-label': 'API' },
    h('option', { value: '' }, 'both APIs'), h('option', { value: 'stagepro' }, 'StagePro'), h('option', { value: 'stagerai' }, 'Stager AI'));
  const confSel = h('select', { id: 'filter-conformance', 'aria-label': 'conformance' },
    h('option', { value: '' }, 'all requests'), h('option', { value: 'bad' }, 'non-conformant only'));
  let entries = [];
  let since = 0;
  let total = -1;
  let filterSig = '';
  let generation = 0; // bumped whenever `entries` starts over: a poll begun before must not append to it
  const restart = () => { entries = []; since = 0; generation += 1; refresh(true); };
  for (const s of [keySel, apiSel, confSel]) s.addEventListener('change', restart);
  api('GET', 'accounts').then((a) => {
    for (const acc of a.data) keySel.append(h('option', { value: acc.api_key }, `${acc.masked_key}`));
    if (query.get('key')) { keySel.value = query.get('key'); restart(); }
  }).catch(() => {});
  return {
    title: 'Journal',
    controls: h('div', { class: 'controls' }, h('label', {}, 'Key', keySel), h('label', {}, 'API', apiSel), h('label', {}, 'Show', confSel)),
    load: async () => {
      const sig = [keySel.value, apiSel.value, confSel.value].join('|');
      if (sig !== filterSig) { filterSig = sig; entries = []; since = 0; generation += 1; }
      const mine = generation;
      const q = new URLSearchParams({ since: String(since) });
      if (keySel.value) q.set('api_key', keySel.value);
      if (apiSel.value) q.set('api', apiSel.value);
      if (confSel.value) q.set('nonconformant', 'true');
      // the resilience report of the same key (GET /__mock/resilience), read beside the journal
      const rq = new URLSearchParams();
      if (keySel.value) rq.set('api_key', keySel.value);
      const [j, resilience] = await Promise.all([
        api('GET', `journal?${q}`), api('GET', `resilience?${rq}`)]);
      if (mine !== generation) return { entries, total, sig: filterSig, resilience }; // the filters changed meanwhile
      if (j.total < total) { // reset or cleared: start over
        total = j.total; entries = []; since = 0;
        return { entries: [], total: j.total, stamp: Math.random(), resilience };
      }
      total = j.total;
      entries = entries.concat(j.entries).slice(-MAX_JOURNAL_ROWS);
      if (entries.length) since = entries[entries.length - 1].seq;
      return { entries, total: j.total, dropped: j.dropped, sig, resilience };
    },
    render: (d) => {
      if (!d.entries.length) return h('div', {}, resilienceView(d.resilience), h('p', { class: 'muted' }, 'No request journaled yet.'));
      const rows = [];
      for (const e of d.entries.slice().reverse()) {
        rows.push(h('tr', { class: 'entry' + (e.conformant ? '' : ' bad') + (e.fault ? ' injected' : ''), 'data-seq': e.seq },
          h('td', { class: 'num' }, e.seq), h('td', { class: 'mono nowrap', title: e.time }, e.time.slice(11, 19)),
          h('td', {}, e.method), h('td', { class: 'mono path' }, e.path,
            e.query ? h('span', { class: 'muted query', title: '?' + e.query }, '?' + short(e.query, 60)) : ''),
          h('td', {}, e.operation_id || h('span', { class: 'muted' }, 'none')),
          h('td', {}, statusView(e)),
          h('td', { class: 'num nowrap' }, `${e.duration_ms} ms`),
          h('td', { class: 'mono nowrap' }, mask(e.api_key)),
          h('td', {}, e.conformant ? badge('conformant', 'ok') : badge('non-conformant', 'bad'))));
        if (!e.conformant) {
          rows.push(h('tr', { class: 'violations' }, h('td', {}), h('td', { colspan: '8' },
            h('ul', {}, e.violations.map((v) => h('li', {}, v.field ? [h('code', {}, v.field), ': '] : '', v.message))))));
        }
      }
      return h('div', {}, resilienceView(d.resilience),
        h('p', { class: 'muted' }, `${d.total} requests journaled${d.dropped ? `, ${d.dropped} fell off the ring` : ''}; newest first, at most ${MAX_JOURNAL_ROWS} shown.`),
        table(['#', 'Time', 'Method', 'Path', 'Operation', 'Status', 'Duration', 'Key', 'Spec'], rows, { id: 'journal' }));
    },
  };
};

// What the client did after the faults injected so far (GET /__mock/resilience, the key the
// journal is filtered by): the count of injected answers and each finding, linked to the
// faulted request's row. The same findings as `stagemock journal-report` and the plugin's
// `resilience()`.
function resilienceView(r) {
  if (!r) return '';
  const found = r.resilience;
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  let said;
  if (!r.faults_injected && !found.length) {
    said = 'No answer injected by a fault rule or the rate limit yet: nothing to judge (see Faults).';
  } else if (!found.length) {
    said = `${plural(r.faults_injected, 'injected answer')}: the client handled every one.`;
  } else {
    said = `${plural(r.faults_injected, 'injected answer')}, ${plural(found.length, 'finding')}: what the client did after them.`;
  }
  const goTo = (seq) => (ev) => {
    ev.preventDefault();
    const row = document.querySelector(`#journal tr.entry[data-seq="${seq}"]`);
    if (row) row.scrollIntoView({ block: 'center' });
  };
  return h('section', { class: 'card resilience' + (found.length ? ' findings' : ''), id: 'resilience' },
    h('h2', {}, 'Client resilience'),
    h('p', { class: found.length ? '' : 'muted' }, said),
    found.length ? h('ul', {}, found.map((f) => h('li', { class: 'finding', 'data-kind': f.kind, 'data-seq': f.seq },
      badge(f.kind, 'bad'), ' ', h('a', { href: '#/journal', onclick: goTo(f.seq) }, `#${f.seq}`), ' ',
      f.message, f.api_key ? h('span', { class: 'muted mono nowrap' }, ` · ${mask(f.api_key)}`) : ''))) : '');
}

// The status of a journaled request. An answer a fault rule (or the rate limit) injected is
// marked as such, never as the mock failing: its status is what the client got (null: the
// connection was dropped), and the rule that changed it is named.
function statusView(e) {
  if (!e.fault) return e.status === null ? '—' : badge(String(e.status), e.status < 400 ? 'ok' : 'bad');
  const label = e.fault === 'rate_limit' ? 'rate limit' : `fault ${e.fault} · ${e.fault_action || 'error'}`;
  const notes = [];
  if (e.retry_after !== null && e.retry_after !== undefined) notes.push(`Retry-After ${e.retry_after} s`);
  if (e.lost_status !== null && e.lost_status !== undefined) notes.push(`lost answer: ${e.lost_status}`);
  if (e.created) notes.push(`created ${e.created}`);
  return h('div', { class: 'injected-status' },
    e.status === null ? badge('no response', 'fault') : badge(String(e.status), 'fault'), ' ',
    h('a', { href: '#/faults', class: 'fault-link' }, badge(label, 'fault')),
    notes.length ? h('div', { class: 'muted' }, notes.join(' · ')) : '');
}

// Faults --------------------------------------------------------------------------------
function faultAction(r) {
  const parts = [r.action];
  if (r.action === 'error') parts.push(String(r.status === null ? 503 : r.status));
  if (r.action === 'lose_response') parts.push(r.lost_as === 'reset' ? '→ connection dropped' : `→ ${r.status === null ? 502 : r.status}`);
  if (r.action === 'delay') parts.push(r.delay_ms !== null ? `${r.delay_ms} ms` : `${r.delay_seconds || 0} s of the mock's clock`);
  if (r.action === 'reset') parts.push('(connection dropped)');
  if (r.retry_after !== null && r.retry_after !== undefined) parts.push(`· Retry-After ${r.retry_after} s`);
  if (r.action === 'reorder') parts.push(`· ${r.held} held`);
  const when = [];
  if (r.after) when.push(`after ${r.after} call${r.after === 1 ? '' : 's'}`);
  when.push(r.times === null ? 'every call until removed' : `${r.times} time${r.times === 1 ? '' : 's'}`);
  if (r.probability < 1) when.push(`probability ${Math.round(r.probability * 1000) / 10}%`);
  return [h('code', {}, parts.join(' ')), h('div', { class: 'muted' }, when.join(' · '))];
}

const API_NAMES = { stagepro: 'StagePro', stagerai: 'Stager AI', gcs: 'Stager AI storage', webhooks: 'StagePro webhooks' };

PAGES.faults = () => ({
  title: 'Faults',
  load: () => api('GET', 'faults'),
  render: (d) => {
    const rows = d.data.map((r) => h('tr', { class: 'fault', 'data-id': r.id },
      h('td', { class: 'mono' }, r.id),
      h('td', {}, API_NAMES[r.api] || r.api),
      h('td', {}, r.operation ? h('span', { class: 'mono' }, r.operation) : h('span', { class: 'muted' }, 'every operation')),
      h('td', { class: 'mono' }, r.api_key ? mask(r.api_key) : h('span', { class: 'muted' }, 'every key')),
      h('td', {}, faultAction(r)),
      h('td', { class: 'num hits', title: `${r.seen} matching seen` }, r.hits),
      h('td', { class: 'num remaining' }, r.remaining === null ? '∞' : r.remaining),
      h('td', {}, h('button', { class: 'danger remove', onclick: (ev) => {
        ev.currentTarget.disabled = true;
        act(() => api('DELETE', `faults/${enc(r.id)}`));
      } }, 'Remove'))));
    return h('div', {},
      h('p', { id: 'rate-limit' }, d.rate_limit
        ? ['Rate limit: ', h('strong', {}, d.rate_limit), ' per key (beyond it: 429 with Retry-After).']
        : h('span', { class: 'muted' }, 'Rate limit: off.')),
      rows.length ? [
        table(['Rule', 'API', 'Operation', 'Key', 'Action', 'Hits', 'Remaining', ''], rows, { id: 'faults' }),
        h('p', {}, h('button', { class: 'danger', id: 'remove-all-faults', onclick: () => {
          if (confirm(`Remove all ${rows.length} fault rules? Deliveries a reorder rule holds are sent.`)) {
            act(() => api('DELETE', 'faults'));
          }
        } }, 'Remove all'))]
        : h('p', { class: 'muted' }, 'No fault rule (POST /__mock/faults, or stagemock serve --fault).'));
  },
});

// Stager AI -----------------------------------------------------------------------------
PAGES.stager = (args) => {
  if (!args[0]) return pickerPage('Stager AI', 'stagerai', 'stager');
  const key = args[0];
  const onOff = (name, on) => badge(`${name} ${on ? 'on' : 'off'}`, on ? 'on' : 'off');
  return {
    title: `Stager AI · ${mask(key)}`,
    controls: advanceButtons(),
    load: () => api('GET', `accounts/${enc(key)}/stagerai`),
    render: (d) => h('div', {},
      h('h2', {}, 'Projects and HDR groups'),
      d.projects.length ? d.projects.map((p) => h('div', { class: 'card project' },
        h('div', { class: 'row' }, h('strong', {}, p.title), h('span', { class: 'mono muted' }, p.id)),
        p.groups.length ? p.groups.map((g) => h('div', { class: 'delivery group', 'data-id': g.id },
          h('div', { class: 'row' }, h('span', { class: 'mono' }, g.id), badge(g.status, g.status),
            onOff('lens correction', g.corrections.lens_correction),
            onOff('perspective correction', g.corrections.perspective_correction),
            onOff('photographer removal', g.corrections.photographer_removal)),
          h('div', { class: 'pair' },
            h('figure', {}, h('figcaption', {}, `Brackets (${g.brackets.length})`), h('div', { class: 'thumbs' },
              g.brackets.map((b) => b.preview ? h('img', { class: 'thumb bracket', src: b.preview, alt: b.filename, title: b.filename, onclick: () => zoom(b.preview) })
                : h('span', { class: 'badge pending', title: b.filename }, `${b.filename}: not uploaded`)))),
            h('figure', {}, h('figcaption', {}, 'Merged result'), g.result ? thumb(g.result, 'merged result', 'thumb merged')
              : h('span', { class: 'muted' }, g.error ? `${g.error.code}: ${g.error.message}` : 'not merged yet'))))) : h('p', { class: 'muted' }, 'No HDR group.'))) : h('p', { class: 'muted' }, 'No project.'),
      h('h2', {}, 'Uploaded images and their edits'),
      d.images.length ? d.images.map((img) => h('div', { class: 'card image', 'data-id': img.id },
        h('div', { class: 'row' }, h('span', { class: 'mono' }, img.id), h('span', { class: 'muted' }, `${img.width}×${img.height}`)),
        h('div', { class: 'thumbs' }, thumb(img.preview, 'upload'),
          img.edits.map((e) => h('figure', { class: 'edit' }, thumb(e.preview, e.operation),
            h('figcaption', { class: 'muted' }, `${e.operation} · ${e.width}×${e.height}`))))))
        : h('p', { class: 'muted' }, 'No uploaded image.')),
  };
};

// start ---------------------------------------------------------------------------------
document.getElementById('lightbox').addEventListener('click', (ev) => { ev.currentTarget.hidden = true; });
window.addEventListener('hashchange', route);
route();
setInterval(() => { if (!document.hidden) refresh(false); }, POLL_MS);
