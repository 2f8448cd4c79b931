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
    const kind = v.guess ? 'guess' : 'bad';
    const label = v.guess ? 'contradicts a guess: ' : (v.rule === 'documented' || !v.guess ? 'breaks the spec: ' : '');
    const text = (v.field ? '`' + (Array.isArray(v.field) ? v.field.join(' or ') : v.field) + '` ' : '') + v.message;
    const line = h('div', { class: 'v ' + kind }, label + text);
    if (v.guess) line.setAttribute('title', 'the guess: ' + v.guess);
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
