// The proxy's journal, newest first: each exchange with its two verdicts. Polls
// /__mock/journal?since=N; every value is inserted as text.
'use strict';
const rows = document.getElementById('rows');
const about = document.getElementById('about');
let since = 0;
let total = -1;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function verdict(ok, violations) {
  if (ok) return h('span', { class: 'ok' }, 'conforms');
  const box = h('div', {});
  for (const v of violations) {
    // where the rule comes from: documented (with its source), a guess, or outside the spec
    const rule = v.rule || (v.guess ? 'guess' : 'documented');
    const kind = { documented: 'bad', guess: 'guess', unspecified: 'unspecified' }[rule] || 'bad';
    const label = { documented: 'breaks the spec: ', guess: 'contradicts a guess: ',
                    unspecified: 'outside the spec: ' }[rule] || '';
    const text = (v.field ? '`' + (Array.isArray(v.field) ? v.field.join(' or ') : v.field) + '` ' : '') + v.message;
    const line = h('div', { class: 'v ' + kind }, label + text);
    if (v.guess) line.setAttribute('title', 'the guess: ' + v.guess);
    if (v.source) line.setAttribute('title', 'documented: ' + v.source);
    box.append(line);
  }
  return box;
}

function row(e) {
  return h('tr', { 'data-seq': e.seq },
    h('td', { class: 'num' }, e.seq),
    h('td', { class: 'mono' }, e.method + ' ' + e.path + (e.query ? '?' + e.query : '')),
    h('td', {}, e.operation_id || '(none)'),
    h('td', {}, e.status === null ? 'no answer' : e.status, e.error ? h('div', { class: 'bad' }, e.error) : ''),
    h('td', {}, verdict(e.conformant, e.violations)),
    h('td', {}, verdict(e.response_conformant, e.response_violations)),
    h('td', { class: 'num' }, Math.round(e.duration_ms)));
}

async function poll() {
  try {
    const health = await (await fetch('/__mock/health')).json();
    about.textContent = `${health.api} → ${health.upstream}` + (health.recording ? ` · recording to ${health.recording}` : '');
    const j = await (await fetch('/__mock/journal?since=' + since)).json();
    if (j.total < total) { rows.replaceChildren(); since = 0; }
    total = j.total;
    for (const e of j.entries) { rows.prepend(row(e)); since = e.seq; }
  } catch (err) {
    about.textContent = 'the proxy does not answer: ' + err;
  }
}
poll();
setInterval(poll, 1000);
